//! The authorization property, on both databases: for random organizations,
//! people, cases, teams and releases of information, the cases a list returns
//! to each person are exactly the cases the policy lets them view, no more
//! (nothing leaks) and no fewer (nothing is hidden).

use haven_domain::access::{CaseAction, CaseFacts, TeamRole, authorize_case, case_filter};
use haven_domain::consent::{Consent, FieldGroup, Party, Recipient, Signer};
use haven_domain::policy::Actor;
use haven_domain::{
    AuditAction, AuditEntry, CaseId, ConsentId, LoginName, OrgKind, Organization, OrganizationId,
    Role, User, UserId,
};
use haven_store::testing::TestDb;
use haven_store::{CaseloadQuery, CaseloadSort};
use time::macros::date;

/// The cases a caseload lists for `filter` at `now`, in id order.
async fn listed(
    store: &haven_store::DynStore,
    filter: &haven_domain::access::CaseFilter,
    now: time::OffsetDateTime,
) -> Vec<CaseId> {
    let (total, rows) = store
        .caseload(&CaseloadQuery {
            filter: filter.clone(),
            mine_only: false,
            stage: None,
            hhs_pending: false,
            sort: CaseloadSort::Created,
            limit: 10_000,
            offset: 0,
            now,
        })
        .await
        .unwrap();
    let mut ids: Vec<CaseId> = rows.iter().map(|r| r.id).collect();
    ids.sort_unstable_by_key(|id| *id.as_uuid().as_bytes());
    assert_eq!(total, ids.len() as u64, "the count matches the rows");
    ids
}

/// A small deterministic generator, so a failure can be replayed by seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

async fn lists_match_the_policy(db: TestDb, seed: u64) {
    let mut rng = Rng(seed);
    let store = &db.store;
    let orgs: Vec<Organization> = (0..3)
        .map(|i| Organization {
            id: OrganizationId::new(),
            name: format!("Org {i}"),
            kind: OrgKind::ALL[i],
            created_at: haven_domain::now(),
        })
        .collect();
    for o in &orgs {
        store
            .create_organization(o, &AuditEntry::new(AuditAction::OrganizationCreated))
            .await
            .unwrap();
    }
    let mut users = Vec::new();
    for i in 0..200 {
        let mut roles: Vec<Role> = Role::ALL.into_iter().filter(|_| rng.chance(20)).collect();
        roles.sort_unstable();
        let u = User {
            id: UserId::new(),
            organization_id: orgs[rng.below(3)].id,
            login: LoginName::parse(&format!("p{i}@example.org")).unwrap(),
            display_name: format!("P{i}"),
            roles,
            password_hash: "x".into(),
            disabled: false,
            created_at: haven_domain::now(),
        };
        store
            .create_user(&u, &AuditEntry::new(AuditAction::UserCreated))
            .await
            .unwrap();
        users.push(u);
    }
    let now = time::macros::datetime!(2026-11-28 12:00 UTC);
    let mut cases = Vec::new();
    for _ in 0..300 {
        let mut team = Vec::new();
        for _ in 0..rng.below(4) {
            let member = (
                users[rng.below(users.len())].id,
                TeamRole::ALL[rng.below(4)],
            );
            if !team.contains(&member) {
                team.push(member);
            }
        }
        let facts = CaseFacts {
            id: CaseId::new(),
            organization: orgs[rng.below(3)].id,
            team,
            flag_1367: rng.chance(30),
        };
        store
            .create_case(&facts, now, &AuditEntry::new(AuditAction::RecordViewed))
            .await
            .unwrap();
        let mut consents = Vec::new();
        for _ in 0..rng.below(3) {
            let recipient = if rng.chance(50) {
                Recipient::Organization(orgs[rng.below(3)].id)
            } else {
                Recipient::Role(Role::ALL[rng.below(Role::ALL.len())])
            };
            let signed_on = date!(2026 - 10 - 01) + time::Duration::days(rng.below(90) as i64);
            let c = Consent {
                id: ConsentId::new(),
                case: facts.id,
                parties: vec![Party {
                    signer: Signer::Victim,
                    recorded_as_abuser: false,
                }],
                recipient,
                purpose: b"sealed purpose".to_vec(),
                witnessed_by: None,
                fields: vec![FieldGroup::ALL[rng.below(FieldGroup::ALL.len())]],
                signed_on,
                expires_on: signed_on + time::Duration::days(1 + rng.below(90) as i64),
                revoked_at: None,
            };
            store
                .add_consent(&c, &AuditEntry::new(AuditAction::RecordViewed))
                .await
                .unwrap();
            let mut c = c;
            if rng.chance(25) {
                let at = now - time::Duration::hours(rng.below(48) as i64 - 24);
                store
                    .revoke_consent(c.id, at, &AuditEntry::new(AuditAction::RecordViewed))
                    .await
                    .unwrap();
                c.revoked_at = Some(at);
            }
            consents.push(c);
        }
        // What the store reads back is what was written.
        assert_eq!(
            store
                .case_facts(facts.id)
                .await
                .unwrap()
                .map(|f| f.team.len()),
            Some(facts.team.len())
        );
        cases.push((facts, consents));
    }

    let mut decisions = 0;
    let mut allowed_total = 0;
    for u in &users {
        let actor = Actor::of(u);
        let mut expected: Vec<CaseId> = cases
            .iter()
            .filter(|(f, k)| authorize_case(&actor, CaseAction::View, f, k, now).is_allowed())
            .map(|(f, _)| f.id)
            .collect();
        expected.sort_unstable_by_key(|id| *id.as_uuid().as_bytes());
        decisions += cases.len();
        allowed_total += expected.len();
        let listed = listed(store, &case_filter(&actor), now).await;
        assert_eq!(
            listed, expected,
            "{} seed {seed:#x}: roles {:?}",
            db.name, u.roles
        );
    }
    assert!(
        allowed_total > 100 && allowed_total < decisions / 2,
        "{}: a meaningful mix ({allowed_total} of {decisions})",
        db.name
    );
}

async fn case_lists_return_exactly_what_the_policy_allows(db: TestDb) {
    lists_match_the_policy(db, 0x5eed_0001).await;
}
haven_store::on_both!(case_lists_return_exactly_what_the_policy_allows);

async fn case_lists_return_exactly_what_the_policy_allows_second_seed(db: TestDb) {
    lists_match_the_policy(db, 0x5eed_0002).await;
}
haven_store::on_both!(case_lists_return_exactly_what_the_policy_allows_second_seed);

async fn expiry_and_revocation_take_effect_at_once_in_lists(db: TestDb) {
    let org = Organization {
        id: OrganizationId::new(),
        name: "NGO".into(),
        kind: OrgKind::Ngo,
        created_at: haven_domain::now(),
    };
    let agency = Organization {
        id: OrganizationId::new(),
        name: "Agency".into(),
        kind: OrgKind::LawEnforcement,
        created_at: haven_domain::now(),
    };
    for o in [&org, &agency] {
        db.store
            .create_organization(o, &AuditEntry::new(AuditAction::OrganizationCreated))
            .await
            .unwrap();
    }
    let agent = Actor {
        user: UserId::new(),
        organization: agency.id,
        roles: vec![Role::LawEnforcementAgent],
        scopes: None,
    };
    let case = CaseFacts {
        id: CaseId::new(),
        organization: org.id,
        team: vec![],
        flag_1367: false,
    };
    let now = haven_domain::now();
    db.store
        .create_case(&case, now, &AuditEntry::new(AuditAction::RecordViewed))
        .await
        .unwrap();
    let filter = case_filter(&agent);
    assert!(listed(&db.store, &filter, now).await.is_empty());
    let release = Consent {
        id: ConsentId::new(),
        case: case.id,
        parties: vec![Party {
            signer: Signer::Victim,
            recorded_as_abuser: false,
        }],
        recipient: Recipient::Organization(agency.id),
        purpose: b"sealed purpose".to_vec(),
        witnessed_by: None,
        fields: vec![FieldGroup::Identity, FieldGroup::Immigration],
        signed_on: now.date(),
        expires_on: now.date() + time::Duration::days(30),
        revoked_at: None,
    };
    db.store
        .add_consent(&release, &AuditEntry::new(AuditAction::RecordViewed))
        .await
        .unwrap();
    assert_eq!(
        listed(&db.store, &filter, now).await,
        vec![case.id],
        "{}",
        db.name
    );
    assert_eq!(
        db.store.consents_for_case(case.id).await.unwrap(),
        vec![release.clone()],
        "{}: round trip",
        db.name
    );
    let after_expiry = now + time::Duration::days(31);
    assert!(
        listed(&db.store, &filter, after_expiry).await.is_empty(),
        "{}: expired",
        db.name
    );
    assert!(
        db.store
            .revoke_consent(release.id, now, &AuditEntry::new(AuditAction::RecordViewed))
            .await
            .unwrap()
    );
    assert!(
        listed(&db.store, &filter, now).await.is_empty(),
        "{}: revoked at once",
        db.name
    );
}
haven_store::on_both!(expiry_and_revocation_take_effect_at_once_in_lists);
