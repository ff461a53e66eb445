#![allow(clippy::inconsistent_digit_grouping)] // cents written as dollars_cents
use super::*;
use crate::consent::{Party, Recipient, Signer};
use crate::ids::ConsentId;
use proptest::prelude::*;
use time::macros::{date, datetime};

const NOW: OffsetDateTime = datetime!(2026-11-28 12:00 UTC);

fn actor(org: OrganizationId, roles: &[Role]) -> Actor {
    Actor {
        user: UserId::new(),
        organization: org,
        roles: roles.to_vec(),
        scopes: None,
    }
}

fn case(org: OrganizationId, team: Vec<(UserId, TeamRole)>) -> CaseFacts {
    CaseFacts {
        id: CaseId::new(),
        organization: org,
        team,
        flag_1367: false,
    }
}

fn consent(case: CaseId, to: Recipient, fields: &[FieldGroup]) -> Consent {
    Consent {
        id: ConsentId::new(),
        case,
        parties: vec![Party {
            signer: Signer::Victim,
            recorded_as_abuser: false,
        }],
        recipient: to,
        purpose: Vec::new(),
        fields: fields.to_vec(),
        signed_on: date!(2026 - 11 - 01),
        expires_on: date!(2026 - 12 - 31),
        revoked_at: None,
        witnessed_by: None,
    }
}

#[test]
fn writes_need_the_team_or_a_supervisor_and_advocate_notes_stay_with_victim_services() {
    let org = OrganizationId::new();
    let specialist = actor(org, &[Role::VictimSpecialist]);
    let agent = actor(org, &[Role::LawEnforcementAgent]);
    let outsider = actor(org, &[Role::VictimSpecialist]);
    let boss = actor(org, &[Role::Supervisor]);
    let c = case(
        org,
        vec![
            (specialist.user, TeamRole::OwnerSpecialist),
            (agent.user, TeamRole::Agent),
        ],
    );
    assert!(may_edit_case(&specialist, &c));
    assert!(may_edit_case(&agent, &c));
    assert!(may_edit_case(&boss, &c));
    assert!(!may_edit_case(&outsider, &c));
    assert!(may_write_compartment(&specialist, Compartment::Advocate));
    assert!(!may_write_compartment(&agent, Compartment::Advocate));
    assert!(may_write_compartment(&agent, Compartment::Shared));
    assert!(may_request_funds(&specialist, &c, org));
    assert!(
        !may_request_funds(&agent, &c, org),
        "agents do not spend victim funds"
    );
    assert!(!may_request_funds(&specialist, &c, OrganizationId::new()));
}

#[test]
fn fund_decisions_need_another_supervisor_within_their_limit() {
    let org = OrganizationId::new();
    let boss = actor(org, &[Role::Supervisor]);
    let requester = UserId::new();
    assert_eq!(
        may_decide_fund_request(&boss, org, requester, 500_00, true, 500_00),
        Ok(())
    );
    assert_eq!(
        may_decide_fund_request(&boss, org, requester, 500_01, true, 500_00),
        Err(FundDeny::OverLimit)
    );
    assert_eq!(
        may_decide_fund_request(&boss, org, requester, 900_00, false, 0),
        Ok(()),
        "denying has no limit"
    );
    assert_eq!(
        may_decide_fund_request(&boss, org, boss.user, 1, true, 500_00),
        Err(FundDeny::OwnRequest)
    );
    assert_eq!(
        may_decide_fund_request(&boss, OrganizationId::new(), requester, 1, true, 500_00),
        Err(FundDeny::NotSupervisor)
    );
    let specialist = actor(org, &[Role::VictimSpecialist]);
    assert_eq!(
        may_decide_fund_request(&specialist, org, requester, 1, true, 1_000_00),
        Err(FundDeny::NotSupervisor)
    );
}

#[test]
fn analysts_and_provider_staff_never_see_cases() {
    let org = OrganizationId::new();
    for roles in [
        &[Role::Analyst][..],
        &[Role::ProviderStaff],
        &[Role::ProviderStaff, Role::Analyst],
        &[],
    ] {
        let a = actor(org, roles);
        let c = case(org, vec![(a.user, TeamRole::Agent)]);
        let all = [consent(
            c.id,
            Recipient::Organization(org),
            &FieldGroup::ALL,
        )];
        assert!(
            !authorize_case(&a, CaseAction::View, &c, &all, NOW).is_allowed(),
            "{roles:?}"
        );
        assert!(case_filter(&a).nothing);
    }
}

#[test]
fn the_team_and_supervisors_of_the_organization_see_the_case() {
    let org = OrganizationId::new();
    let specialist = actor(org, &[Role::VictimSpecialist]);
    let c = case(org, vec![(specialist.user, TeamRole::OwnerSpecialist)]);
    assert_eq!(
        authorize_case(&specialist, CaseAction::View, &c, &[], NOW),
        CaseDecision::Allow
    );
    let supervisor = actor(org, &[Role::Supervisor]);
    assert_eq!(
        authorize_case(&supervisor, CaseAction::View, &c, &[], NOW),
        CaseDecision::Allow
    );
    let elsewhere = actor(OrganizationId::new(), &[Role::Supervisor]);
    assert_eq!(
        authorize_case(&elsewhere, CaseAction::View, &c, &[], NOW),
        CaseDecision::Deny(CaseDeny::NotOnCase)
    );
    let colleague = actor(org, &[Role::VictimSpecialist]);
    assert!(
        !authorize_case(&colleague, CaseAction::View, &c, &[], NOW).is_allowed(),
        "need to know, not same org"
    );
}

#[test]
fn law_enforcement_sees_advocate_records_only_with_consent() {
    let ngo = OrganizationId::new();
    let agency = OrganizationId::new();
    let agent = actor(agency, &[Role::LawEnforcementAgent]);
    let c = case(ngo, vec![(agent.user, TeamRole::Agent)]);
    let advocate = CaseAction::ViewCompartment(Compartment::Advocate);
    assert!(
        authorize_case(
            &agent,
            CaseAction::ViewCompartment(Compartment::Shared),
            &c,
            &[],
            NOW
        )
        .is_allowed()
    );
    assert_eq!(
        authorize_case(&agent, advocate, &c, &[], NOW),
        CaseDecision::Deny(CaseDeny::AdvocateRecords)
    );
    let narrow = consent(
        c.id,
        Recipient::Organization(agency),
        &[FieldGroup::Identity],
    );
    assert!(!authorize_case(&agent, advocate, &c, std::slice::from_ref(&narrow), NOW).is_allowed());
    let wide = consent(
        c.id,
        Recipient::Organization(agency),
        &[FieldGroup::AdvocateRecords],
    );
    assert!(authorize_case(&agent, advocate, &c, std::slice::from_ref(&wide), NOW).is_allowed());
    let mut revoked = wide;
    revoked.revoked_at = Some(NOW - time::Duration::minutes(1));
    assert!(
        !authorize_case(&agent, advocate, &c, &[revoked], NOW).is_allowed(),
        "revocation is immediate"
    );
    let specialist = actor(ngo, &[Role::VictimSpecialist]);
    let own = case(ngo, vec![(specialist.user, TeamRole::OwnerSpecialist)]);
    assert!(authorize_case(&specialist, advocate, &own, &[], NOW).is_allowed());
}

#[test]
fn consent_opens_a_case_to_its_recipient_until_it_expires() {
    let ngo = OrganizationId::new();
    let c = case(ngo, vec![]);
    let certifier = actor(OrganizationId::new(), &[Role::CertifyingOfficial]);
    let release = consent(
        c.id,
        Recipient::Role(Role::CertifyingOfficial),
        &[FieldGroup::CaseHistory],
    );
    assert!(
        authorize_case(
            &certifier,
            CaseAction::View,
            &c,
            std::slice::from_ref(&release),
            NOW
        )
        .is_allowed()
    );
    assert!(
        !authorize_case(
            &certifier,
            CaseAction::View,
            &c,
            &[release],
            datetime!(2027-01-01 00:00 UTC)
        )
        .is_allowed()
    );
}

#[test]
fn r3_protected_records_leave_only_with_an_exception_or_consent() {
    let org = OrganizationId::new();
    let s = actor(org, &[Role::VictimSpecialist]);
    let mut c = case(org, vec![(s.user, TeamRole::OwnerSpecialist)]);
    c.flag_1367 = true;
    assert_eq!(
        authorize_case(
            &s,
            CaseAction::Export {
                exception_recorded: false
            },
            &c,
            &[],
            NOW
        ),
        CaseDecision::Deny(CaseDeny::Protected1367)
    );
    assert!(
        authorize_case(
            &s,
            CaseAction::Export {
                exception_recorded: true
            },
            &c,
            &[],
            NOW
        )
        .is_allowed()
    );
}

fn emergency(
    a: &Actor,
    reason: &str,
    c: &CaseFacts,
    team_orgs: &[OrganizationId],
    kind: OrgKind,
) -> CaseDecision {
    authorize_emergency(
        a,
        reason,
        EmergencyContext {
            case: c,
            team_organizations: team_orgs,
            actor_org_kind: kind,
        },
    )
}

#[test]
fn emergency_access_needs_a_supervisor_and_a_reason() {
    let org = OrganizationId::new();
    let c = case(org, vec![]);
    let reason = "Victim in danger tonight; owner unreachable";
    assert_eq!(
        emergency(
            &actor(org, &[Role::Supervisor]),
            reason,
            &c,
            &[],
            OrgKind::Ngo
        ),
        CaseDecision::AllowEmergency
    );
    for short in ["urgent", &"\u{200B}".repeat(12), "  a  b  c  "] {
        assert!(
            !emergency(
                &actor(org, &[Role::Supervisor]),
                short,
                &c,
                &[],
                OrgKind::Ngo
            )
            .is_allowed(),
            "{short:?}"
        );
    }
    assert!(
        !emergency(
            &actor(org, &[Role::VictimSpecialist]),
            reason,
            &c,
            &[],
            OrgKind::Ngo
        )
        .is_allowed()
    );
    let read_only =
        actor(org, &[Role::Supervisor]).with_scopes(vec![crate::policy::Scope::CasesRead]);
    assert!(!emergency(&read_only, reason, &c, &[], OrgKind::Ngo).is_allowed());
}

#[test]
fn r3_break_glass_stays_in_the_supervisors_own_organizations_cases() {
    let ngo = OrganizationId::new();
    let agency = OrganizationId::new();
    let reason = "Victim in danger tonight; owner unreachable";
    let mut c = case(ngo, vec![]);
    let boss = actor(agency, &[Role::Supervisor]);
    assert_eq!(
        emergency(&boss, reason, &c, &[], OrgKind::LawEnforcement),
        CaseDecision::Deny(CaseDeny::NotOnCase),
        "another organization's case"
    );
    assert_eq!(
        emergency(&boss, reason, &c, &[agency], OrgKind::LawEnforcement),
        CaseDecision::AllowEmergency,
        "their agency works on the case"
    );
    c.flag_1367 = true;
    assert_eq!(
        emergency(&boss, reason, &c, &[agency], OrgKind::LawEnforcement),
        CaseDecision::Deny(CaseDeny::Protected1367)
    );
    let agent_boss = actor(ngo, &[Role::Supervisor, Role::LawEnforcementAgent]);
    assert_eq!(
        emergency(&agent_boss, reason, &c, &[], OrgKind::Ngo),
        CaseDecision::Deny(CaseDeny::Protected1367)
    );
    assert_eq!(
        emergency(
            &actor(ngo, &[Role::Supervisor]),
            reason,
            &c,
            &[],
            OrgKind::Ngo
        ),
        CaseDecision::AllowEmergency
    );
}

#[test]
fn releases_are_recorded_by_victim_services_of_the_owning_organization_only() {
    let ngo = OrganizationId::new();
    let agency = OrganizationId::new();
    let specialist = actor(ngo, &[Role::VictimSpecialist]);
    let agent = actor(agency, &[Role::LawEnforcementAgent]);
    let ngo_agent = actor(ngo, &[Role::LawEnforcementAgent]);
    let boss = actor(ngo, &[Role::Supervisor]);
    let other_boss = actor(agency, &[Role::Supervisor]);
    let c = case(
        ngo,
        vec![
            (specialist.user, TeamRole::OwnerSpecialist),
            (agent.user, TeamRole::Agent),
            (ngo_agent.user, TeamRole::Agent),
            (other_boss.user, TeamRole::Supervisor),
        ],
    );
    assert!(may_manage_consent(&specialist, &c));
    assert!(may_manage_consent(&boss, &c));
    assert!(
        !may_manage_consent(&agent, &c),
        "law enforcement on the team"
    );
    assert!(
        !may_manage_consent(&ngo_agent, &c),
        "law enforcement of the owner"
    );
    assert!(!may_manage_consent(&other_boss, &c), "another organization");
    let read = specialist
        .clone()
        .with_scopes(vec![crate::policy::Scope::CasesRead]);
    assert!(!may_manage_consent(&read, &c), "a read-only token");
    assert!(may_see_consents(&read, &c));
    assert!(may_see_consents(&agent, &c));
    assert_eq!(
        may_name_recipient(&specialist, Recipient::Organization(ngo)),
        Err(RecipientDeny::OwnOrganization)
    );
    assert_eq!(
        may_name_recipient(&specialist, Recipient::Role(Role::VictimSpecialist)),
        Err(RecipientDeny::OwnRole)
    );
    assert_eq!(
        may_name_recipient(&specialist, Recipient::Organization(agency)),
        Ok(())
    );
}

#[test]
fn r3_immigration_information_of_a_protected_case_stays_with_victim_services() {
    let ngo = OrganizationId::new();
    let agency = OrganizationId::new();
    let specialist = actor(ngo, &[Role::VictimSpecialist]);
    let agent = actor(agency, &[Role::LawEnforcementAgent]);
    let mut c = case(
        ngo,
        vec![
            (specialist.user, TeamRole::OwnerSpecialist),
            (agent.user, TeamRole::Agent),
        ],
    );
    assert!(may_see_immigration(&agent, &c, &[], NOW), "no flag, no bar");
    c.flag_1367 = true;
    assert!(may_see_immigration(&specialist, &c, &[], NOW));
    assert!(may_see_immigration(
        &actor(ngo, &[Role::Supervisor]),
        &c,
        &[],
        NOW
    ));
    assert!(!may_see_immigration(&agent, &c, &[], NOW));
    let identity = consent(
        c.id,
        Recipient::Organization(agency),
        &[FieldGroup::Identity],
    );
    assert!(!may_see_immigration(
        &agent,
        &c,
        std::slice::from_ref(&identity),
        NOW
    ));
    let immigration = consent(
        c.id,
        Recipient::Organization(agency),
        &[FieldGroup::Immigration],
    );
    assert!(may_see_immigration(
        &agent,
        &c,
        std::slice::from_ref(&immigration),
        NOW
    ));
    let outsider = actor(OrganizationId::new(), &[Role::VictimSpecialist]);
    assert!(
        !may_see_immigration(&outsider, &c, &[], NOW),
        "not on the case at all"
    );
}

fn roles() -> impl Strategy<Value = Vec<Role>> {
    proptest::sample::subsequence(Role::ALL.to_vec(), 0..=3)
}

proptest! {
    /// The list filter and the single decision agree for every actor,
    /// case and set of releases.
    #[test]
    fn the_case_filter_is_the_view_decision(
        roles in roles(),
        same_org in any::<bool>(),
        on_team in any::<bool>(),
        grants in proptest::collection::vec((0u8..4, any::<bool>(), 0i64..60, any::<bool>()), 0..4),
    ) {
        let (a_org, other) = (OrganizationId::new(), OrganizationId::new());
        let a = actor(a_org, &roles);
        let team = if on_team { vec![(a.user, TeamRole::Agent)] } else { vec![(UserId::new(), TeamRole::OwnerSpecialist)] };
        let c = case(if same_org { a_org } else { other }, team);
        let consents: Vec<Consent> = grants
            .iter()
            .map(|(to, revoked, days, mine)| {
                let recipient = match to {
                    0 => Recipient::Organization(if *mine { a_org } else { other }),
                    1 => Recipient::Role(Role::CertifyingOfficial),
                    2 => Recipient::Role(Role::LawEnforcementAgent),
                    _ => Recipient::Role(Role::VictimSpecialist),
                };
                let mut k = consent(c.id, recipient, &[FieldGroup::Identity]);
                k.expires_on = date!(2026 - 11 - 01) + time::Duration::days(*days);
                k.revoked_at = revoked.then_some(NOW - time::Duration::hours(1));
                k
            })
            .collect();
        let decided = authorize_case(&a, CaseAction::View, &c, &consents, NOW).is_allowed();
        prop_assert_eq!(case_filter(&a).matches(&c, &consents, NOW), decided);
    }
}
