//! Closed-loop referrals: a need on a case's service plan sent to a
//! directory service, answered by the provider, followed to its outcome.
//!
//! A referral carries the minimum necessary: by default it is anonymous
//! (needs, age range, language, urgency); the person's name and safe contact
//! details go with it only while a release of information to the receiving
//! organization covers them, checked at every read.

use crate::access::{self, CaseFacts};
use crate::ids::OrganizationId;
use crate::people::Role;
use crate::policy::{Actor, Scope};
use crate::record::picklist;

picklist!(
    /// Where a referral stands.
    ReferralStatus {
        Sent => "sent",
        Accepted => "accepted",
        Declined => "declined",
        Contacted => "contacted",
        ServicesStarted => "services_started",
        Completed => "completed",
        UnableToContact => "unable_to_contact",
        Withdrawn => "withdrawn",
    }
);

picklist!(
    /// Why a provider declines.
    DeclineReason {
        NoCapacity => "no_capacity",
        NotEligible => "not_eligible",
        ServiceNotOffered => "service_not_offered",
        LanguageUnavailable => "language_unavailable",
        CannotServeSafely => "cannot_serve_safely",
        Other => "other",
    }
);

picklist!(
    /// An age range: what an anonymous referral says instead of a birth date.
    AgeRange {
        Under12 => "under_12",
        From12To17 => "12_17",
        From18To24 => "18_24",
        From25To39 => "25_39",
        From40To59 => "40_59",
        From60 => "60_plus",
        Unknown => "unknown",
    }
);

impl AgeRange {
    #[must_use]
    pub fn of(age: Option<u8>) -> Self {
        match age {
            None => Self::Unknown,
            Some(0..=11) => Self::Under12,
            Some(12..=17) => Self::From12To17,
            Some(18..=24) => Self::From18To24,
            Some(25..=39) => Self::From25To39,
            Some(40..=59) => Self::From40To59,
            Some(_) => Self::From60,
        }
    }
}

impl ReferralStatus {
    /// Waiting for the provider's answer.
    #[must_use]
    pub const fn is_open(self) -> bool {
        matches!(self, Self::Sent)
    }

    /// No further change is possible.
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            Self::Declined | Self::Completed | Self::UnableToContact | Self::Withdrawn
        )
    }

    /// The statuses a provider may move a referral to from this one.
    #[must_use]
    pub fn provider_next(self) -> &'static [ReferralStatus] {
        use ReferralStatus::*;
        match self {
            Sent => &[Accepted, Declined],
            Accepted => &[Contacted, ServicesStarted, Completed, UnableToContact],
            Contacted => &[ServicesStarted, Completed, UnableToContact],
            ServicesStarted => &[Completed],
            _ => &[],
        }
    }
}

/// Who answers for a receiving organization: its provider staff and
/// supervisors. An API token needs `referrals:write` (or `referrals:read` to
/// look). Nobody else sees an organization's incoming referrals, and none of
/// them sees the case: a referral is not a key to the case record.
#[must_use]
pub fn may_handle_incoming(actor: &Actor, receiving: OrganizationId, write: bool) -> bool {
    let scope_ok = actor.scopes.as_ref().is_none_or(|s| {
        s.contains(&Scope::ReferralsWrite) || (!write && s.contains(&Scope::ReferralsRead))
    });
    actor.organization == receiving
        && scope_ok
        && actor
            .roles
            .iter()
            .any(|r| matches!(r, Role::ProviderStaff | Role::Supervisor))
}

/// Who may send a referral from a case, or withdraw it: whoever may change
/// the case record (its team and supervisors).
#[must_use]
pub fn may_send(actor: &Actor, case: &CaseFacts) -> bool {
    access::may_edit_case(actor, case)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    fn actor(org: OrganizationId, roles: &[Role]) -> Actor {
        Actor {
            user: UserId::new(),
            organization: org,
            roles: roles.to_vec(),
            scopes: None,
        }
    }

    #[test]
    fn only_the_receiving_organizations_provider_staff_and_supervisors_answer() {
        let shelter = OrganizationId::new();
        let other = OrganizationId::new();
        assert!(may_handle_incoming(
            &actor(shelter, &[Role::ProviderStaff]),
            shelter,
            true
        ));
        assert!(may_handle_incoming(
            &actor(shelter, &[Role::Supervisor]),
            shelter,
            true
        ));
        assert!(!may_handle_incoming(
            &actor(other, &[Role::ProviderStaff]),
            shelter,
            false
        ));
        for r in [
            Role::Analyst,
            Role::VictimSpecialist,
            Role::LawEnforcementAgent,
            Role::Administrator,
        ] {
            assert!(
                !may_handle_incoming(&actor(shelter, &[r]), shelter, false),
                "{r:?}"
            );
        }
        let mut token = actor(shelter, &[Role::ProviderStaff]);
        token.scopes = Some(vec![Scope::ReferralsRead]);
        assert!(may_handle_incoming(&token, shelter, false));
        assert!(!may_handle_incoming(&token, shelter, true));
    }

    #[test]
    fn transitions_follow_the_loop() {
        assert_eq!(
            ReferralStatus::Sent.provider_next(),
            [ReferralStatus::Accepted, ReferralStatus::Declined]
        );
        assert!(ReferralStatus::Completed.provider_next().is_empty());
        assert!(ReferralStatus::Declined.is_final());
        assert_eq!(AgeRange::of(Some(15)), AgeRange::From12To17);
        assert_eq!(AgeRange::of(None), AgeRange::Unknown);
    }
}
