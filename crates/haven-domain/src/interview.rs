//! Forensic interviews: one interview, done properly, by the right person.
//!
//! A child (under 18 on the interview date, D-6) or a victim flagged as
//! traumatized is interviewed by a forensic interview specialist (VAP-1,
//! 6 U.S.C. 258). A second interview of the same victim needs a written
//! reason, and coordinating agencies are offered to observe the first one
//! instead (R-1 (8): fairness and respect for the victim's dignity and
//! privacy). Who is busy when is checked before anything is scheduled.

use crate::people::Role;
use crate::policy::{Actor, Scope};
use crate::record::picklist;
use time::OffsetDateTime;

picklist!(
    /// Where an interview stands.
    InterviewStatus {
        Requested => "requested",
        Scheduled => "scheduled",
        Completed => "completed",
        Cancelled => "cancelled",
    }
);

picklist!(
    /// What an interview file is.
    FileKind {
        Recording => "recording",
        Document => "document",
    }
);

picklist!(
    /// A chain-of-custody event of an interview file.
    CustodyAction {
        Stored => "stored",
        Downloaded => "downloaded",
        Transferred => "transferred",
        Verified => "verified",
    }
);

/// Interviews longer than this are refused: a sign of a typing mistake.
pub const MAX_MINUTES: i64 = 8 * 60;

/// Whether a forensic interview specialist must conduct the interview
/// (VAP-1). An unknown age is treated as a possible child: the safer reading.
#[must_use]
pub fn requires_specialist(age_at_interview: Option<u8>, traumatized: bool) -> bool {
    traumatized || age_at_interview.is_none_or(|a| a < 18)
}

fn has_scope(actor: &Actor, scope: Scope) -> bool {
    actor.scopes.as_ref().is_none_or(|s| s.contains(&scope))
}

/// Who may ask for an interview on a case: the case's law-enforcement agents
/// and victim specialists (and its supervisors), i.e. those who may change it
/// and hold one of those roles.
#[must_use]
pub fn may_request(actor: &Actor, may_edit_case: bool) -> bool {
    may_edit_case
        && has_scope(actor, Scope::CasesWrite)
        && actor.roles.iter().any(|r| {
            matches!(
                r,
                Role::LawEnforcementAgent | Role::VictimSpecialist | Role::Supervisor
            )
        })
}

/// Who may schedule, conduct and record an interview routed to
/// `interview_org`: its forensic interviewers, and its supervisors.
#[must_use]
pub fn may_handle(actor: &Actor, interview_org: crate::OrganizationId) -> bool {
    actor.organization == interview_org
        && has_scope(actor, Scope::CasesWrite)
        && actor
            .roles
            .iter()
            .any(|r| matches!(r, Role::ForensicInterviewer | Role::Supervisor))
}

/// Who may see the interview queue of `interview_org`.
#[must_use]
pub fn may_see_queue(actor: &Actor, interview_org: crate::OrganizationId) -> bool {
    actor.organization == interview_org
        && has_scope(actor, Scope::CasesRead)
        && actor
            .roles
            .iter()
            .any(|r| matches!(r, Role::ForensicInterviewer | Role::Supervisor))
}

/// Whether `roles` may conduct an interview that requires a specialist
/// (`specialist`) or not.
#[must_use]
pub fn may_conduct(roles: &[Role], specialist: bool) -> bool {
    roles.contains(&Role::ForensicInterviewer)
        || (!specialist && roles.contains(&Role::LawEnforcementAgent))
}

/// Whether someone may read an interview of a case: whoever may view the
/// case, and the interviewing organization's interviewers and supervisors.
#[must_use]
pub fn may_read(actor: &Actor, case_visible: bool, interview_org: crate::OrganizationId) -> bool {
    case_visible || may_see_queue(actor, interview_org)
}

/// A booked span of time of one resource (a person, an interpreter, a room,
/// the victim).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Booking {
    pub resource: String,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
}

/// Whether two half-open spans `[a0, a1)` and `[b0, b1)` overlap.
#[must_use]
pub fn overlaps(
    a0: OffsetDateTime,
    a1: OffsetDateTime,
    b0: OffsetDateTime,
    b1: OffsetDateTime,
) -> bool {
    a0 < b1 && b0 < a1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OrganizationId, UserId};
    use time::macros::datetime;

    fn actor(roles: &[Role], org: OrganizationId) -> Actor {
        Actor {
            user: UserId::new(),
            organization: org,
            roles: roles.to_vec(),
            scopes: None,
        }
    }

    #[test]
    fn children_and_traumatized_victims_need_a_specialist() {
        assert!(requires_specialist(Some(15), false));
        assert!(requires_specialist(Some(17), false));
        assert!(!requires_specialist(Some(18), false));
        assert!(requires_specialist(Some(30), true));
        assert!(requires_specialist(None, false));
    }

    #[test]
    fn only_interviewers_conduct_a_specialist_interview() {
        assert!(may_conduct(&[Role::ForensicInterviewer], true));
        assert!(!may_conduct(&[Role::LawEnforcementAgent], true));
        assert!(may_conduct(&[Role::LawEnforcementAgent], false));
        assert!(!may_conduct(&[Role::VictimSpecialist], false));
        assert!(!may_conduct(&[Role::Supervisor], false));
    }

    #[test]
    fn the_queue_belongs_to_the_interviewing_organization() {
        let org = OrganizationId::new();
        let other = OrganizationId::new();
        assert!(may_see_queue(
            &actor(&[Role::ForensicInterviewer], org),
            org
        ));
        assert!(!may_see_queue(
            &actor(&[Role::ForensicInterviewer], other),
            org
        ));
        assert!(!may_see_queue(
            &actor(&[Role::LawEnforcementAgent], org),
            org
        ));
        assert!(may_handle(&actor(&[Role::Supervisor], org), org));
        let reader = actor(&[Role::ForensicInterviewer], org).with_scopes(vec![Scope::CasesRead]);
        assert!(may_see_queue(&reader, org));
        assert!(!may_handle(&reader, org));
    }

    #[test]
    fn requesters_are_agents_and_specialists_who_may_change_the_case() {
        let org = OrganizationId::new();
        assert!(may_request(&actor(&[Role::LawEnforcementAgent], org), true));
        assert!(may_request(&actor(&[Role::VictimSpecialist], org), true));
        assert!(!may_request(&actor(&[Role::VictimSpecialist], org), false));
        assert!(!may_request(&actor(&[Role::ProviderStaff], org), true));
        assert!(!may_request(&actor(&[Role::Analyst], org), true));
    }

    #[test]
    fn spans_touching_end_to_start_do_not_overlap() {
        let a = datetime!(2026-12-01 10:00 UTC);
        let b = datetime!(2026-12-01 11:00 UTC);
        let c = datetime!(2026-12-01 12:00 UTC);
        assert!(!overlaps(a, b, b, c));
        assert!(overlaps(a, c, b, c));
        assert!(overlaps(b, c, a, c));
    }
}
