//! No operation lets an actor widen their own access.
//!
//! For random actors (roles, organization, token scopes) and random cases
//! (owner, team, releases, 8 U.S.C. 1367 flag), every operation the policy
//! lets the actor perform is applied to the model, and what the actor may do
//! afterwards must be no more than before: recording a release,
//! changing the case team, changing their own roles, narrowing to a token,
//! and break glass (which opens one case once, and only a case of their own
//! organization or one it works on).

use haven_domain::access::{self, CaseAction, CaseFacts, Compartment, EmergencyContext, TeamRole};
use haven_domain::consent::{self, Consent, ConsentContext, FieldGroup, Party, Recipient, Signer};
use haven_domain::policy::{self, Action, Actor, Resource, Scope};
use haven_domain::{CaseId, ConsentId, OrgKind, OrganizationId, Role, UserId};
use proptest::prelude::*;
use time::OffsetDateTime;
use time::macros::{date, datetime};

const NOW: OffsetDateTime = datetime!(2026-11-28 12:00 UTC);

/// Everything an actor may do on one case, as one comparable value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reach {
    view: bool,
    advocate: bool,
    immigration: bool,
    edit: bool,
    manage_consent: bool,
    manage_team: bool,
}

impl Reach {
    fn of(a: &Actor, c: &CaseFacts, k: &[Consent]) -> Self {
        Self {
            view: access::authorize_case(a, CaseAction::View, c, k, NOW).is_allowed(),
            advocate: access::authorize_case(
                a,
                CaseAction::ViewCompartment(Compartment::Advocate),
                c,
                k,
                NOW,
            )
            .is_allowed(),
            immigration: access::may_see_immigration(a, c, k, NOW),
            edit: access::may_edit_case(a, c),
            manage_consent: access::may_manage_consent(a, c),
            manage_team: access::may_manage_team(a, c),
        }
    }

    /// `self` allows nothing that `before` did not.
    fn within(self, before: Self) -> bool {
        let le = |a: bool, b: bool| !a || b;
        le(self.view, before.view)
            && le(self.advocate, before.advocate)
            && le(self.immigration, before.immigration)
            && le(self.edit, before.edit)
            && le(self.manage_consent, before.manage_consent)
            && le(self.manage_team, before.manage_team)
    }
}

fn roles() -> impl Strategy<Value = Vec<Role>> {
    proptest::sample::subsequence(Role::ALL.to_vec(), 1..=3)
}

fn scopes() -> impl Strategy<Value = Option<Vec<Scope>>> {
    proptest::option::of(proptest::sample::subsequence(Scope::ALL.to_vec(), 0..=7))
}

fn field_groups() -> impl Strategy<Value = Vec<FieldGroup>> {
    proptest::sample::subsequence(FieldGroup::ALL.to_vec(), 1..=7)
}

fn team_role() -> impl Strategy<Value = TeamRole> {
    proptest::sample::select(TeamRole::ALL.to_vec())
}

/// A random world: the actor's organization, another one, a case owned by
/// one of them with a random team and releases.
#[derive(Debug, Clone)]
struct World {
    actor: Actor,
    other_org: OrganizationId,
    case: CaseFacts,
    consents: Vec<Consent>,
}

fn release(case: CaseId, to: Recipient, fields: Vec<FieldGroup>) -> Consent {
    Consent {
        id: ConsentId::new(),
        case,
        parties: vec![Party {
            signer: Signer::Victim,
            recorded_as_abuser: false,
        }],
        recipient: to,
        purpose: b"sealed".to_vec(),
        fields,
        signed_on: date!(2026 - 11 - 01),
        expires_on: date!(2027 - 03 - 01),
        revoked_at: None,
        witnessed_by: None,
    }
}

fn world() -> impl Strategy<Value = World> {
    (
        roles(),
        scopes(),
        any::<bool>(),
        proptest::option::of(team_role()),
        any::<bool>(),
        proptest::collection::vec((any::<bool>(), 0usize..8, field_groups()), 0..3),
    )
        .prop_map(|(roles, scopes, own_case, on_team, flag, grants)| {
            let org = OrganizationId::new();
            let other_org = OrganizationId::new();
            let actor = Actor {
                user: UserId::new(),
                organization: org,
                roles,
                scopes,
            };
            let mut team = vec![(UserId::new(), TeamRole::OwnerSpecialist)];
            if let Some(r) = on_team {
                team.push((actor.user, r));
            }
            let case = CaseFacts {
                id: CaseId::new(),
                organization: if own_case { org } else { other_org },
                team,
                flag_1367: flag,
            };
            let consents = grants
                .into_iter()
                .map(|(to_org, role, fields)| {
                    let to = if to_org {
                        Recipient::Organization(if role % 2 == 0 { org } else { other_org })
                    } else {
                        Recipient::Role(Role::ALL[role % Role::ALL.len()])
                    };
                    release(case.id, to, fields)
                })
                .collect();
            World {
                actor,
                other_org,
                case,
                consents,
            }
        })
}

fn recipient() -> impl Strategy<Value = (bool, bool, usize)> {
    (any::<bool>(), any::<bool>(), 0usize..8)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Recording a release the policy accepts never widens the recorder's
    /// own reach on the case (R-4: a release records the victim's decision
    /// for someone else).
    #[test]
    fn recording_a_release_never_widens_the_recorders_access(
        w in world(),
        (to_org, own, role) in recipient(),
        fields in field_groups(),
    ) {
        let before = Reach::of(&w.actor, &w.case, &w.consents);
        let to = if to_org {
            Recipient::Organization(if own { w.actor.organization } else { w.other_org })
        } else {
            Recipient::Role(Role::ALL[role % Role::ALL.len()])
        };
        let r = release(w.case.id, to, fields);
        let accepted = access::may_manage_consent(&w.actor, &w.case)
            && access::may_name_recipient(&w.actor, r.recipient).is_ok()
            && consent::validate(&r, ConsentContext::default(), NOW.date()).is_ok();
        if accepted {
            let mut after = w.consents.clone();
            after.push(r);
            let now = Reach::of(&w.actor, &w.case, &after);
            prop_assert!(now.within(before), "{before:?} -> {now:?}");
        }
    }

    /// Joining a team the actor may change gives them nothing they did not
    /// have.
    #[test]
    fn changing_the_team_never_widens_the_changers_access(w in world(), role in team_role()) {
        let before = Reach::of(&w.actor, &w.case, &w.consents);
        if access::may_manage_team(&w.actor, &w.case) {
            let mut c = w.case.clone();
            c.team.push((w.actor.user, role));
            let now = Reach::of(&w.actor, &c, &w.consents);
            prop_assert!(now.within(before), "{before:?} -> {now:?}");
        }
    }

    /// Nobody changes their own roles: another administrator must.
    #[test]
    fn nobody_changes_their_own_roles(w in world()) {
        let own = Resource::User { id: w.actor.user, organization: w.actor.organization };
        prop_assert!(!policy::authorize(&w.actor, Action::UpdateAccess, own).is_allowed());
    }

    /// A token is its owner narrowed by its scopes, never more.
    #[test]
    fn a_token_never_reaches_further_than_its_owner(w in world(), s in proptest::sample::subsequence(Scope::ALL.to_vec(), 0..=7)) {
        let mut person = w.actor.clone();
        person.scopes = None;
        let token = person.clone().with_scopes(s);
        let before = Reach::of(&person, &w.case, &w.consents);
        let now = Reach::of(&token, &w.case, &w.consents);
        prop_assert!(now.within(before), "{before:?} -> {now:?}");
        let target = Resource::User { id: UserId::new(), organization: person.organization };
        for action in [Action::View, Action::Create, Action::ResetMfa, Action::EndSessions, Action::ViewHistory, Action::UpdateAccess] {
            prop_assert!(
                !policy::authorize(&token, action, target).is_allowed()
                    || policy::authorize(&person, action, target).is_allowed()
            );
        }
    }

    /// Break glass opens only a case of the supervisor's own organization or
    /// one it works on, and never a 1367-protected one for law enforcement.
    #[test]
    fn break_glass_stays_within_the_supervisors_organizations(
        w in world(),
        team_orgs_include_mine in any::<bool>(),
        kind in proptest::sample::select(vec![OrgKind::Ngo, OrgKind::LawEnforcement, OrgKind::ServiceProvider]),
    ) {
        let team_orgs = if team_orgs_include_mine { vec![w.actor.organization] } else { vec![w.other_org] };
        let d = access::authorize_emergency(
            &w.actor,
            "Victim in danger tonight; owner unreachable",
            EmergencyContext { case: &w.case, team_organizations: &team_orgs, actor_org_kind: kind },
        );
        if d.is_allowed() {
            prop_assert!(w.case.organization == w.actor.organization || team_orgs_include_mine);
            prop_assert!(w.actor.roles.contains(&Role::Supervisor));
            let le = access::acts_for_law_enforcement(&w.actor.roles) || kind == OrgKind::LawEnforcement;
            prop_assert!(!(le && w.case.flag_1367));
        }
    }
}
