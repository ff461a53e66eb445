//! The referral part of the one policy, over every combination of roles,
//! organizations and token scopes: only the receiving organization's
//! provider staff and supervisors handle a referral, and provider staff never
//! see a case, whatever team they are put on or release names them.

use haven_domain::access::{
    CaseAction, CaseFacts, Compartment, TeamRole, authorize_case, case_filter,
};
use haven_domain::consent::{Consent, FieldGroup, Party, Recipient, Signer};
use haven_domain::directory::referral::may_handle_incoming;
use haven_domain::policy::{Actor, Scope};
use haven_domain::{CaseId, ConsentId, OrganizationId, Role, UserId};
use proptest::prelude::*;
use time::macros::{date, datetime};

fn roles_from(mask: u8) -> Vec<Role> {
    Role::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, r)| *r)
        .collect()
}

fn scopes_from(mask: u8) -> Option<Vec<Scope>> {
    (mask & 0x80 != 0).then(|| {
        Scope::ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, s)| *s)
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn only_the_receiving_organizations_provider_staff_and_supervisors_handle_referrals(
        role_mask in any::<u8>(),
        scope_mask in any::<u8>(),
        same_org in any::<bool>(),
        write in any::<bool>(),
    ) {
        let receiving = OrganizationId::new();
        let actor = Actor {
            user: UserId::new(),
            organization: if same_org { receiving } else { OrganizationId::new() },
            roles: roles_from(role_mask),
            scopes: scopes_from(scope_mask),
        };
        let allowed = may_handle_incoming(&actor, receiving, write);
        let answers = actor.roles.iter().any(|r| matches!(r, Role::ProviderStaff | Role::Supervisor));
        let scoped = actor.scopes.as_ref().is_none_or(|s| s.contains(&Scope::ReferralsWrite) || (!write && s.contains(&Scope::ReferralsRead)));
        prop_assert_eq!(allowed, same_org && answers && scoped);
    }

    #[test]
    fn provider_staff_never_see_a_case(
        role_mask in 0u8..4,
        on_team in any::<bool>(),
        release_to_their_org in any::<bool>(),
        release_to_their_role in any::<bool>(),
        same_org in any::<bool>(),
    ) {
        // Only provider staff and analysts, in every combination.
        let roles: Vec<Role> = [Role::ProviderStaff, Role::Analyst].iter().enumerate().filter(|(i, _)| role_mask & (1 << i) != 0).map(|(_, r)| *r).collect();
        let org = OrganizationId::new();
        let actor = Actor { user: UserId::new(), organization: if same_org { org } else { OrganizationId::new() }, roles, scopes: None };
        let case = CaseFacts {
            id: CaseId::new(),
            organization: org,
            team: if on_team { vec![(actor.user, TeamRole::Agent)] } else { vec![] },
            flag_1367: false,
        };
        let mut consents = Vec::new();
        let release = |to| Consent {
            id: ConsentId::new(),
            case: case.id,
            parties: vec![Party { signer: Signer::Victim, recorded_as_abuser: false }],
            recipient: to,
            purpose: b"sealed".to_vec(),
            witnessed_by: None,
            fields: FieldGroup::ALL.to_vec(),
            signed_on: date!(2026 - 11 - 01),
            expires_on: date!(2027 - 11 - 01),
            revoked_at: None,
        };
        if release_to_their_org { consents.push(release(Recipient::Organization(actor.organization))); }
        if release_to_their_role { consents.push(release(Recipient::Role(Role::ProviderStaff))); }
        let now = datetime!(2026-12-01 12:00 UTC);
        for action in [CaseAction::View, CaseAction::ViewCompartment(Compartment::Shared), CaseAction::ViewCompartment(Compartment::Advocate)] {
            prop_assert!(!authorize_case(&actor, action, &case, &consents, now).is_allowed());
        }
        prop_assert!(case_filter(&actor).nothing);
    }
}
