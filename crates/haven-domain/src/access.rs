//! Who may see a case, and which parts of it. Part of the one policy: the
//! decision for one case ([`authorize_case`]) and the filter every case list
//! applies ([`case_filter`]) come from the same rules, and a property test
//! holds them together.
//!
//! Access to a case comes from its team, from supervising in the case's
//! organization, and from the victim's consent. Advocate records
//! are hidden from law enforcement unless the victim consented. Records tied
//! to a T, U or VAWA application carry the 8 U.S.C. 1367 flag and leave only
//! with a recorded exception or consent.

use crate::consent::{Consent, FieldGroup, Recipient};
use crate::ids::{CaseId, OrganizationId, UserId};
use crate::people::OrgKind;
use crate::people::Role;
use crate::policy::Actor;
use time::OffsetDateTime;

/// A place on a case team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TeamRole {
    OwnerSpecialist,
    Agent,
    Interviewer,
    Supervisor,
}

impl TeamRole {
    pub const ALL: [TeamRole; 4] = [
        Self::OwnerSpecialist,
        Self::Agent,
        Self::Interviewer,
        Self::Supervisor,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OwnerSpecialist => "owner_specialist",
            Self::Agent => "agent",
            Self::Interviewer => "interviewer",
            Self::Supervisor => "supervisor",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The facts about a case that decide access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseFacts {
    pub id: CaseId,
    pub organization: OrganizationId,
    pub team: Vec<(UserId, TeamRole)>,
    /// Linked to a T, U or VAWA application.
    pub flag_1367: bool,
}

/// Which part of a case record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compartment {
    /// Victim-services (advocate) notes and fields.
    Advocate,
    /// What the whole team may see.
    Shared,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseAction {
    View,
    ViewCompartment(Compartment),
    /// Send records to a third party (an export, a report with identities).
    Export {
        exception_recorded: bool,
    },
}

/// Why access to a case was refused. The person sees "not found".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseDeny {
    /// Analysts see de-identified statistics only.
    NoPersonalData,
    /// Provider staff see only referrals sent to their organization.
    ReferralsOnly,
    NotOnCase,
    /// Advocate records, and the victim has not consented to share them.
    AdvocateRecords,
    /// 8 U.S.C. 1367 protected, and no exception or consent is recorded.
    Protected1367,
    /// Emergency access needs a supervisor and a written reason.
    EmergencyNeedsReason,
    /// An API token without the `cases:read` scope.
    OutOfScope,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseDecision {
    Allow,
    /// Allowed outside the actor's scope in an emergency: audited and flagged
    /// for another supervisor's review.
    AllowEmergency,
    Deny(CaseDeny),
}

impl CaseDecision {
    #[must_use]
    pub const fn is_allowed(self) -> bool {
        matches!(self, Self::Allow | Self::AllowEmergency)
    }
}

/// Roles that act for law enforcement (advocate records are closed to them).
#[must_use]
pub fn acts_for_law_enforcement(roles: &[Role]) -> bool {
    roles
        .iter()
        .any(|r| matches!(r, Role::LawEnforcementAgent | Role::CertifyingOfficial))
}

/// Roles that never see case data, whatever else is true.
fn only(roles: &[Role], allowed: &[Role]) -> bool {
    !roles.is_empty() && roles.iter().all(|r| allowed.contains(r))
}

fn token_may_read_cases(actor: &Actor) -> bool {
    actor
        .scopes
        .as_ref()
        .is_none_or(|s| s.contains(&crate::policy::Scope::CasesRead))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Basis {
    Team,
    Supervisor,
    Consent,
}

fn basis(
    actor: &Actor,
    case: &CaseFacts,
    consents: &[Consent],
    now: OffsetDateTime,
) -> Option<Basis> {
    if case.team.iter().any(|(u, _)| *u == actor.user) {
        return Some(Basis::Team);
    }
    if actor.roles.contains(&Role::Supervisor) && actor.organization == case.organization {
        return Some(Basis::Supervisor);
    }
    consents
        .iter()
        .any(|c| {
            c.case == case.id && c.is_active(now) && c.reaches(actor.organization, &actor.roles)
        })
        .then_some(Basis::Consent)
}

fn consent_covers(
    actor: &Actor,
    case: &CaseFacts,
    consents: &[Consent],
    group: FieldGroup,
    now: OffsetDateTime,
) -> bool {
    consents
        .iter()
        .any(|c| c.case == case.id && c.covers(actor.organization, &actor.roles, group, now))
}

/// The decision for `actor` doing `action` on `case`, given the case's
/// releases of information.
#[must_use]
pub fn authorize_case(
    actor: &Actor,
    action: CaseAction,
    case: &CaseFacts,
    consents: &[Consent],
    now: OffsetDateTime,
) -> CaseDecision {
    use CaseDecision::{Allow, Deny};
    if !token_may_read_cases(actor) {
        return Deny(CaseDeny::OutOfScope);
    }
    if only(&actor.roles, &[Role::Analyst]) || actor.roles.is_empty() {
        return Deny(CaseDeny::NoPersonalData);
    }
    if only(&actor.roles, &[Role::ProviderStaff, Role::Analyst]) {
        return Deny(CaseDeny::ReferralsOnly);
    }
    let Some(basis) = basis(actor, case, consents, now) else {
        return Deny(CaseDeny::NotOnCase);
    };
    match action {
        CaseAction::View | CaseAction::ViewCompartment(Compartment::Shared) => Allow,
        CaseAction::ViewCompartment(Compartment::Advocate) => {
            let closed = acts_for_law_enforcement(&actor.roles) || basis == Basis::Consent;
            if !closed || consent_covers(actor, case, consents, FieldGroup::AdvocateRecords, now) {
                Allow
            } else {
                Deny(CaseDeny::AdvocateRecords)
            }
        }
        CaseAction::Export { exception_recorded } => {
            if !case.flag_1367 || exception_recorded {
                Allow
            } else {
                Deny(CaseDeny::Protected1367)
            }
        }
    }
}

/// Who may open a new case: the people who identify victims. The creator
/// joins the team (a specialist as owner, an agent as agent).
#[must_use]
pub fn may_open_case(actor: &Actor) -> Option<TeamRole> {
    if actor.roles.contains(&Role::VictimSpecialist) {
        Some(TeamRole::OwnerSpecialist)
    } else if actor.roles.contains(&Role::LawEnforcementAgent) {
        Some(TeamRole::Agent)
    } else if actor.roles.contains(&Role::Supervisor) {
        Some(TeamRole::Supervisor)
    } else {
        None
    }
}

/// Victim-services staff: victim specialists, and supervisors who do not act
/// for law enforcement. They keep the advocate compartment and record the
/// victim's releases.
#[must_use]
pub fn acts_for_victim_services(roles: &[Role]) -> bool {
    !acts_for_law_enforcement(roles)
        && roles
            .iter()
            .any(|r| matches!(r, Role::VictimSpecialist | Role::Supervisor))
}

/// Who may see a case's releases of information: the case team and
/// supervisors of the case's organization.
#[must_use]
pub fn may_see_consents(actor: &Actor, case: &CaseFacts) -> bool {
    token_may_read_cases(actor)
        && (case.team.iter().any(|(u, _)| *u == actor.user)
            || (actor.roles.contains(&Role::Supervisor) && actor.organization == case.organization))
}

/// Who may record or revoke a victim's release of information.
/// A release records the victim's own decision, made with their advocate: so
/// only victim-services staff of the organization that owns the case, on its
/// team or supervising it, and never through a token without `cases:write`.
/// Law enforcement on the team, release recipients and other organizations
/// never do (an agent recording a "release" to their own agency would open
/// the advocate compartment to themself).
#[must_use]
pub fn may_manage_consent(actor: &Actor, case: &CaseFacts) -> bool {
    token_may_write_cases(actor)
        && actor.organization == case.organization
        && acts_for_victim_services(&actor.roles)
        && (case.team.iter().any(|(u, _)| *u == actor.user)
            || actor.roles.contains(&Role::Supervisor))
}

/// Why a release cannot name its recipient when `actor` records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecipientDeny {
    /// The recorder's own organization: it holds the case already, and a
    /// release to it could only widen what its own staff see.
    OwnOrganization,
    /// A role the recorder holds: they would be releasing to themself.
    OwnRole,
}

/// Nobody records a release naming themself, their own organization or a
/// role they hold: a release widens someone else's access, at the victim's
/// word, never the recorder's.
///
/// # Errors
/// Why the recipient is refused.
pub fn may_name_recipient(actor: &Actor, recipient: Recipient) -> Result<(), RecipientDeny> {
    match recipient {
        Recipient::Organization(o) if o == actor.organization => {
            Err(RecipientDeny::OwnOrganization)
        }
        Recipient::Role(r) if actor.roles.contains(&r) => Err(RecipientDeny::OwnRole),
        _ => Ok(()),
    }
}

/// Whether `actor` may see a case's immigration information (relief and
/// benefits: T, U and VAWA applications, their facts, trackers and
/// deadlines). A case linked to such an application carries the 8 U.S.C.
/// 1367 flag: its immigration information stays with the victim-services
/// staff of the owning organization (team and supervisors), and reaches law
/// enforcement or anyone whose access is a release only with the victim's
/// prior written consent: an active release covering `immigration`.
#[must_use]
pub fn may_see_immigration(
    actor: &Actor,
    case: &CaseFacts,
    consents: &[Consent],
    now: OffsetDateTime,
) -> bool {
    if !authorize_case(actor, CaseAction::View, case, consents, now).is_allowed() {
        return false;
    }
    if !case.flag_1367 {
        return true;
    }
    let own_victim_services = actor.organization == case.organization
        && acts_for_victim_services(&actor.roles)
        && matches!(
            basis(actor, case, consents, now),
            Some(Basis::Team | Basis::Supervisor)
        );
    own_victim_services || consent_covers(actor, case, consents, FieldGroup::Immigration, now)
}

/// Who may change a case record (stage, needs, plan, notes, tasks, rights):
/// the case team and supervisors of the case's organization. A release of
/// information lets its recipient read, never write. Entries in the advocate
/// compartment are further closed to law enforcement (see
/// [`may_write_compartment`]).
#[must_use]
pub fn may_edit_case(actor: &Actor, case: &CaseFacts) -> bool {
    may_see_consents(actor, case) && token_may_write_cases(actor)
}

fn token_may_write_cases(actor: &Actor) -> bool {
    actor
        .scopes
        .as_ref()
        .is_none_or(|s| s.contains(&crate::policy::Scope::CasesWrite))
}

/// Who may change a case's team: supervisors of the case's organization and
/// the owner specialist.
#[must_use]
pub fn may_manage_team(actor: &Actor, case: &CaseFacts) -> bool {
    token_may_write_cases(actor)
        && ((actor.roles.contains(&Role::Supervisor) && actor.organization == case.organization)
            || case
                .team
                .iter()
                .any(|(u, r)| *u == actor.user && *r == TeamRole::OwnerSpecialist))
}

/// Whether `actor` may write into `compartment` of a case they may edit:
/// advocate notes are written by victim services only.
#[must_use]
pub fn may_write_compartment(actor: &Actor, compartment: Compartment) -> bool {
    compartment == Compartment::Shared || !acts_for_law_enforcement(&actor.roles)
}

/// Who may ask an emergency fund to pay for something on a case: a victim
/// specialist or supervisor who may edit the case, from the fund's own
/// organization.
#[must_use]
pub fn may_request_funds(actor: &Actor, case: &CaseFacts, fund_org: OrganizationId) -> bool {
    may_edit_case(actor, case)
        && actor.organization == fund_org
        && actor
            .roles
            .iter()
            .any(|r| matches!(r, Role::VictimSpecialist | Role::Supervisor))
}

/// Why a fund decision is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FundDeny {
    NotSupervisor,
    /// Nobody approves their own request.
    OwnRequest,
    OverLimit,
}

/// Whether `actor` may approve (or deny) a request of `amount` cents made by
/// `requested_by` against a fund of `fund_org`, given the actor's approval
/// limit. Denying has no limit.
///
/// # Errors
/// The reason the decision is refused.
pub fn may_decide_fund_request(
    actor: &Actor,
    fund_org: OrganizationId,
    requested_by: UserId,
    amount: i64,
    approve: bool,
    limit: i64,
) -> Result<(), FundDeny> {
    if !actor.roles.contains(&Role::Supervisor) || actor.organization != fund_org {
        return Err(FundDeny::NotSupervisor);
    }
    if actor.user == requested_by {
        return Err(FundDeny::OwnRequest);
    }
    if approve && amount > limit {
        return Err(FundDeny::OverLimit);
    }
    Ok(())
}

/// Who may draft a law-enforcement declaration (I-914 B) or certification
/// (I-918 B) on a case: a law-enforcement agent or certifying official who
/// may edit the case (T-5, U-5). The document belongs to the drafter's
/// agency.
#[must_use]
pub fn may_draft_le_document(actor: &Actor, case: &CaseFacts) -> bool {
    acts_for_law_enforcement(&actor.roles) && may_edit_case(actor, case)
}

/// Who may sign, or withdraw, a declaration or certification: a certifying
/// official of the agency it belongs to (the head or a designated
/// supervisor, U-5; a supervising official, T-5). Nobody else, whatever
/// their access to the case.
#[must_use]
pub fn may_sign_le_document(actor: &Actor, agency: OrganizationId) -> bool {
    actor.roles.contains(&Role::CertifyingOfficial)
        && actor.organization == agency
        && token_may_write_cases(actor)
}

/// Who may read a declaration or certification: whoever may view the case,
/// and the certifying officials of its agency (who sign it without being on
/// the case team).
#[must_use]
pub fn may_read_le_document(
    actor: &Actor,
    case_view: CaseDecision,
    agency: OrganizationId,
) -> bool {
    matches!(
        case_view,
        CaseDecision::Allow | CaseDecision::AllowEmergency
    ) || (actor.roles.contains(&Role::CertifyingOfficial)
        && actor.organization == agency
        && token_may_read_cases(actor))
}

/// Whether `actor` may see who accessed a case: supervisors of the case's
/// organization (and, later, the victim).
#[must_use]
pub fn may_see_case_history(actor: &Actor, case: &CaseFacts) -> bool {
    actor.roles.contains(&Role::Supervisor) && actor.organization == case.organization
}

/// What break glass needs to know besides the actor and the reason.
#[derive(Clone, Copy, Debug)]
pub struct EmergencyContext<'a> {
    pub case: &'a CaseFacts,
    /// The organizations of the case team's members.
    pub team_organizations: &'a [OrganizationId],
    /// The kind of the actor's own organization.
    pub actor_org_kind: OrgKind,
}

/// Emergency ("break glass") access to a case outside the actor's scope: only
/// a supervisor, only with a written reason of at least ten visible
/// characters, only into a case of their own organization or one their
/// organization works on (a member on the team), and never by law
/// enforcement into a record protected by 8 U.S.C. 1367. Always
/// audited, shown on the case and reviewed by the owning organization's
/// supervisors.
#[must_use]
pub fn authorize_emergency(actor: &Actor, reason: &str, ctx: EmergencyContext<'_>) -> CaseDecision {
    if !actor.roles.contains(&Role::Supervisor) || crate::text::visible_chars(reason) < 10 {
        return CaseDecision::Deny(CaseDeny::EmergencyNeedsReason);
    }
    if !token_may_write_cases(actor) {
        return CaseDecision::Deny(CaseDeny::OutOfScope);
    }
    let related = ctx.case.organization == actor.organization
        || ctx.team_organizations.contains(&actor.organization);
    if !related {
        return CaseDecision::Deny(CaseDeny::NotOnCase);
    }
    let law_enforcement =
        acts_for_law_enforcement(&actor.roles) || ctx.actor_org_kind == OrgKind::LawEnforcement;
    if law_enforcement && ctx.case.flag_1367 {
        return CaseDecision::Deny(CaseDeny::Protected1367);
    }
    CaseDecision::AllowEmergency
}

/// The filter a case list applies: exactly the cases `authorize_case(View)`
/// allows. Stores translate it to SQL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseFilter {
    /// Nothing at all (analysts, provider staff).
    pub nothing: bool,
    /// Cases whose team includes this user.
    pub team_member: UserId,
    /// Every case of this organization (supervisors).
    pub supervised_org: Option<OrganizationId>,
    /// Cases with an active release to this organization...
    pub consent_org: OrganizationId,
    /// ...or to one of these roles.
    pub consent_roles: Vec<Role>,
}

#[must_use]
pub fn case_filter(actor: &Actor) -> CaseFilter {
    let nothing = actor.roles.is_empty()
        || !token_may_read_cases(actor)
        || only(&actor.roles, &[Role::Analyst])
        || only(&actor.roles, &[Role::ProviderStaff, Role::Analyst]);
    CaseFilter {
        nothing,
        team_member: actor.user,
        supervised_org: actor
            .roles
            .contains(&Role::Supervisor)
            .then_some(actor.organization),
        consent_org: actor.organization,
        consent_roles: actor.roles.clone(),
    }
}

impl CaseFilter {
    /// The filter as a predicate (what the SQL computes).
    #[must_use]
    pub fn matches(&self, case: &CaseFacts, consents: &[Consent], now: OffsetDateTime) -> bool {
        !self.nothing
            && (case.team.iter().any(|(u, _)| *u == self.team_member)
                || self.supervised_org == Some(case.organization)
                || consents.iter().any(|c| {
                    c.case == case.id
                        && c.is_active(now)
                        && c.reaches(self.consent_org, &self.consent_roles)
                }))
    }
}

#[cfg(test)]
mod tests;
