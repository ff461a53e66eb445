//! Consent as an object: a release of information.
//!
//! A release names who consents, the recipient (an organization or a role),
//! the purpose, the groups of fields, the date signed and a required expiry
//! date, and can be revoked. It is checked when it is recorded
//! ([`validate`]) and every time data is read ([`Consent::is_active`]), so an
//! expiry or a revocation takes effect at once everywhere.
//!
//! Consent is never a condition of service: nothing that helps the victim
//! asks for one (R-4 (D)(ii), R-5).

use crate::ids::{CaseId, ConsentId, OrganizationId, UserId};
use crate::people::Role;
use time::{Date, Duration, OffsetDateTime};

/// The longest term Haven records a release for: R-6 sets no number, OVW
/// expects "short and case-specific"; a year is Haven's policy maximum, and
/// a victim can renew a release that is still needed.
pub const MAX_TERM: Duration = Duration::days(366);

/// Who receives the information.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Recipient {
    Organization(OrganizationId),
    /// Everyone holding this role, in any organization (e.g. the certifying
    /// officials who must see the facts to sign a certification).
    Role(Role),
}

/// Groups of fields a release can cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldGroup {
    /// Names, date of birth, nationality: who the person is.
    Identity,
    /// How and when to reach them safely.
    Contact,
    /// Where they are.
    Location,
    Immigration,
    Health,
    /// The advocate's (victim-services) notes and fields.
    AdvocateRecords,
    /// Case events and services.
    CaseHistory,
}

impl FieldGroup {
    pub const ALL: [FieldGroup; 7] = [
        Self::Identity,
        Self::Contact,
        Self::Location,
        Self::Immigration,
        Self::Health,
        Self::AdvocateRecords,
        Self::CaseHistory,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Contact => "contact",
            Self::Location => "location",
            Self::Immigration => "immigration",
            Self::Health => "health",
            Self::AdvocateRecords => "advocate_records",
            Self::CaseHistory => "case_history",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// Who signed, in what capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Signer {
    /// The victim.
    Victim,
    /// A parent or guardian of an unemancipated minor.
    ParentOrGuardian,
    /// A court-appointed guardian of a person without legal capacity.
    CourtGuardian,
}

/// A party who signed, and whether the case records them as the victim's
/// abuser or trafficker (or the abuser of a minor's other parent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Party {
    pub signer: Signer,
    pub recorded_as_abuser: bool,
}

/// A release of information.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consent {
    pub id: ConsentId,
    pub case: CaseId,
    pub parties: Vec<Party>,
    pub recipient: Recipient,
    /// The purpose as the victim agreed to it, sealed by the server: free
    /// text about a person is personal data (read it with the keyring).
    pub purpose: Vec<u8>,
    pub fields: Vec<FieldGroup>,
    pub signed_on: Date,
    pub expires_on: Date,
    pub revoked_at: Option<OffsetDateTime>,
    /// The victim-services staff member who witnessed the signature and
    /// recorded it (`None` for releases recorded before Haven kept it).
    pub witnessed_by: Option<UserId>,
}

/// Facts about the victim that decide who must sign.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConsentContext {
    /// Under 18 and not emancipated on the day of signing.
    pub unemancipated_minor: bool,
    /// The minor may lawfully receive these services without a parent's
    /// consent, and so may consent alone.
    pub minor_may_consent_alone: bool,
    /// A court found the person without legal capacity.
    pub legal_incapacity: bool,
}

/// Why a release cannot be recorded. Each names the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConsentError {
    #[error("a release must name its purpose (R-6)")]
    NoPurpose,
    #[error("a release must name the information it covers (R-6)")]
    NoFields,
    #[error("a release must have an expiry date after the date it was signed (R-6)")]
    ExpiryNotAfterSigning,
    #[error("a person recorded as the abuser or trafficker can never give consent (R-4, R-5)")]
    AbuserCannotConsent,
    #[error("an unemancipated minor's release needs the minor and a parent or guardian (R-4)")]
    MinorNeedsBoth,
    #[error("a person without legal capacity needs their court-appointed guardian's consent (R-4)")]
    GuardianRequired,
    #[error("the victim must sign their own release (R-4)")]
    VictimMustSign,
    #[error(
        "advocate records are released to a named organization, never to a role in every organization (R-4)"
    )]
    AdvocateRecordsToRole,
    #[error("a release is signed on or before the day it is recorded (R-6)")]
    SignedInFuture,
    #[error("a release may run for at most a year; the victim can renew it (R-6)")]
    TermTooLong,
}

/// The purpose as typed: trimmed, and refused when nothing visible is left
/// a release names its purpose).
///
/// # Errors
/// [`ConsentError::NoPurpose`].
pub fn purpose_text(typed: &str) -> Result<String, ConsentError> {
    let t = crate::text::trim_invisible(typed);
    if crate::text::has_visible(t) {
        Ok(t.to_owned())
    } else {
        Err(ConsentError::NoPurpose)
    }
}

/// Checks a release before it is recorded on `today` (the purpose is
/// checked as typed, by [`purpose_text`]).
///
/// # Errors
/// The first rule it breaks.
pub fn validate(consent: &Consent, ctx: ConsentContext, today: Date) -> Result<(), ConsentError> {
    if consent.fields.is_empty() {
        return Err(ConsentError::NoFields);
    }
    if consent.expires_on <= consent.signed_on {
        return Err(ConsentError::ExpiryNotAfterSigning);
    }
    // A day's grace: the signer's calendar may be ahead of UTC.
    if consent.signed_on > today + Duration::days(1) {
        return Err(ConsentError::SignedInFuture);
    }
    if consent.expires_on - consent.signed_on > MAX_TERM {
        return Err(ConsentError::TermTooLong);
    }
    if matches!(consent.recipient, Recipient::Role(_))
        && consent.fields.contains(&FieldGroup::AdvocateRecords)
    {
        return Err(ConsentError::AdvocateRecordsToRole);
    }
    if consent.parties.iter().any(|p| p.recorded_as_abuser) {
        return Err(ConsentError::AbuserCannotConsent);
    }
    let signed = |s: Signer| consent.parties.iter().any(|p| p.signer == s);
    if ctx.legal_incapacity {
        return if signed(Signer::CourtGuardian) {
            Ok(())
        } else {
            Err(ConsentError::GuardianRequired)
        };
    }
    if !signed(Signer::Victim) {
        return Err(ConsentError::VictimMustSign);
    }
    if ctx.unemancipated_minor && !ctx.minor_may_consent_alone && !signed(Signer::ParentOrGuardian)
    {
        return Err(ConsentError::MinorNeedsBoth);
    }
    Ok(())
}

impl Consent {
    /// In force at `now`: signed, not expired (the expiry day is the last day
    /// it covers) and not revoked.
    #[must_use]
    pub fn is_active(&self, now: OffsetDateTime) -> bool {
        let today = now.date();
        self.revoked_at.is_none_or(|r| r > now)
            && self.signed_on <= today
            && today <= self.expires_on
    }

    /// Whether it covers `group` for someone in `organization` holding `roles`.
    #[must_use]
    pub fn covers(
        &self,
        organization: OrganizationId,
        roles: &[Role],
        group: FieldGroup,
        now: OffsetDateTime,
    ) -> bool {
        // Advocate records go to a named organization only, whatever
        // an older row says.
        let role_to_advocate =
            group == FieldGroup::AdvocateRecords && matches!(self.recipient, Recipient::Role(_));
        !role_to_advocate
            && self.is_active(now)
            && self.fields.contains(&group)
            && self.reaches(organization, roles)
    }

    /// Whether the recipient is this organization or one of these roles.
    #[must_use]
    pub fn reaches(&self, organization: OrganizationId, roles: &[Role]) -> bool {
        match self.recipient {
            Recipient::Organization(o) => o == organization,
            Recipient::Role(r) => roles.contains(&r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn release() -> Consent {
        Consent {
            id: ConsentId::new(),
            case: CaseId::new(),
            parties: vec![Party {
                signer: Signer::Victim,
                recorded_as_abuser: false,
            }],
            recipient: Recipient::Organization(OrganizationId::new()),
            purpose: Vec::new(),
            fields: vec![FieldGroup::Identity, FieldGroup::Contact],
            signed_on: date!(2026 - 11 - 01),
            expires_on: date!(2026 - 12 - 01),
            revoked_at: None,
            witnessed_by: None,
        }
    }

    const TODAY: Date = date!(2026 - 11 - 02);

    fn validate(c: &Consent, ctx: ConsentContext) -> Result<(), ConsentError> {
        super::validate(c, ctx, TODAY)
    }

    #[test]
    fn r6_a_release_names_purpose_fields_and_an_expiry_after_signing() {
        assert_eq!(validate(&release(), ConsentContext::default()), Ok(()));
        for nothing in ["  ", "\u{200B}\u{200B}\u{200B}", "\u{FEFF}"] {
            assert_eq!(purpose_text(nothing), Err(ConsentError::NoPurpose));
        }
        assert_eq!(purpose_text(" Housing \u{200B}").as_deref(), Ok("Housing"));
        let mut c = release();
        c.fields.clear();
        assert_eq!(
            validate(&c, ConsentContext::default()),
            Err(ConsentError::NoFields)
        );
        let mut c = release();
        c.expires_on = c.signed_on;
        assert_eq!(
            validate(&c, ConsentContext::default()),
            Err(ConsentError::ExpiryNotAfterSigning)
        );
    }

    #[test]
    fn r4_an_abuser_can_never_consent() {
        let mut c = release();
        c.parties.push(Party {
            signer: Signer::ParentOrGuardian,
            recorded_as_abuser: true,
        });
        let minor = ConsentContext {
            unemancipated_minor: true,
            ..ConsentContext::default()
        };
        assert_eq!(validate(&c, minor), Err(ConsentError::AbuserCannotConsent));
    }

    #[test]
    fn r4_a_minor_and_a_guardian_both_sign_unless_the_minor_may_consent_alone() {
        let minor = ConsentContext {
            unemancipated_minor: true,
            ..ConsentContext::default()
        };
        assert_eq!(
            validate(&release(), minor),
            Err(ConsentError::MinorNeedsBoth)
        );
        let mut both = release();
        both.parties.push(Party {
            signer: Signer::ParentOrGuardian,
            recorded_as_abuser: false,
        });
        assert_eq!(validate(&both, minor), Ok(()));
        let mut guardian_only = both.clone();
        guardian_only.parties.retain(|p| p.signer != Signer::Victim);
        assert_eq!(
            validate(&guardian_only, minor),
            Err(ConsentError::VictimMustSign)
        );
        let alone = ConsentContext {
            minor_may_consent_alone: true,
            ..minor
        };
        assert_eq!(validate(&release(), alone), Ok(()));
    }

    #[test]
    fn r4_legal_incapacity_needs_the_court_appointed_guardian() {
        let ctx = ConsentContext {
            legal_incapacity: true,
            ..ConsentContext::default()
        };
        assert_eq!(
            validate(&release(), ctx),
            Err(ConsentError::GuardianRequired)
        );
        let mut c = release();
        c.parties = vec![Party {
            signer: Signer::CourtGuardian,
            recorded_as_abuser: false,
        }];
        assert_eq!(validate(&c, ctx), Ok(()));
    }

    #[test]
    fn r6_expiry_and_revocation_take_effect_at_once() {
        let c = release();
        assert!(
            !c.is_active(datetime!(2026-10-31 23:59 UTC)),
            "not before signing"
        );
        assert!(c.is_active(datetime!(2026-11-01 00:00 UTC)));
        assert!(
            c.is_active(datetime!(2026-12-01 23:59 UTC)),
            "the expiry day is covered"
        );
        assert!(!c.is_active(datetime!(2026-12-02 00:00 UTC)));
        let mut revoked = c;
        revoked.revoked_at = Some(datetime!(2026-11-10 12:00 UTC));
        assert!(revoked.is_active(datetime!(2026-11-10 11:59 UTC)));
        assert!(!revoked.is_active(datetime!(2026-11-10 12:00 UTC)));
    }

    #[test]
    fn a_release_covers_only_its_recipient_and_fields() {
        let c = release();
        let Recipient::Organization(org) = c.recipient else {
            unreachable!()
        };
        let now = datetime!(2026-11-15 12:00 UTC);
        assert!(c.covers(org, &[], FieldGroup::Contact, now));
        assert!(!c.covers(org, &[], FieldGroup::AdvocateRecords, now));
        assert!(!c.covers(OrganizationId::new(), &[], FieldGroup::Contact, now));
        let mut by_role = release();
        by_role.recipient = Recipient::Role(Role::CertifyingOfficial);
        assert!(by_role.covers(
            OrganizationId::new(),
            &[Role::CertifyingOfficial],
            FieldGroup::Identity,
            now
        ));
        assert!(!by_role.covers(
            OrganizationId::new(),
            &[Role::LawEnforcementAgent],
            FieldGroup::Identity,
            now
        ));
    }

    #[test]
    fn r6_a_release_is_reasonably_time_limited_and_not_signed_in_the_future() {
        let mut c = release();
        c.signed_on = date!(0000 - 01 - 01);
        c.expires_on = date!(9999 - 12 - 31);
        assert_eq!(
            validate(&c, ConsentContext::default()),
            Err(ConsentError::TermTooLong)
        );
        let mut c = release();
        c.expires_on = c.signed_on + MAX_TERM;
        assert_eq!(validate(&c, ConsentContext::default()), Ok(()));
        c.expires_on += Duration::days(1);
        assert_eq!(
            validate(&c, ConsentContext::default()),
            Err(ConsentError::TermTooLong)
        );
        let mut c = release();
        c.signed_on = TODAY + Duration::days(2);
        c.expires_on = c.signed_on + Duration::days(30);
        assert_eq!(
            validate(&c, ConsentContext::default()),
            Err(ConsentError::SignedInFuture)
        );
    }

    #[test]
    fn r4_advocate_records_go_to_a_named_organization_never_to_a_role() {
        let mut c = release();
        c.recipient = Recipient::Role(Role::LawEnforcementAgent);
        c.fields = vec![FieldGroup::AdvocateRecords];
        assert_eq!(
            validate(&c, ConsentContext::default()),
            Err(ConsentError::AdvocateRecordsToRole)
        );
        // A row recorded before the rule still covers nothing of them.
        let now = datetime!(2026-11-15 12:00 UTC);
        assert!(!c.covers(
            OrganizationId::new(),
            &[Role::LawEnforcementAgent],
            FieldGroup::AdvocateRecords,
            now
        ));
    }
}
