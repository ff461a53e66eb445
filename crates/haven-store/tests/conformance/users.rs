//! Organizations and users: round trips, lookups, passwords, who lists whom
//! and access changes.

use crate::support::*;
use haven_domain::SessionStage;
use haven_domain::{LoginName, OrgKind, OrganizationId, Role, SessionId, UserId};
use haven_store::testing::TestDb;
use haven_store::{SessionRecord, StoreError};
use time::Duration;

async fn organizations_round_trip_and_list_by_name(db: TestDb) {
    let db = &db;
    let b = org("Bravo Shelter", OrgKind::ServiceProvider);
    let a = org("Alpha Task Force", OrgKind::LawEnforcement);
    db.store.create_organization(&b, &audit()).await.unwrap();
    db.store.create_organization(&a, &audit()).await.unwrap();
    assert_eq!(
        db.store.organization(a.id).await.unwrap(),
        Some(a.clone()),
        "{}",
        db.name
    );
    assert_eq!(
        db.store.organization(OrganizationId::new()).await.unwrap(),
        None
    );
    let listed = db.store.list_organizations().await.unwrap();
    assert_eq!(listed, vec![a.clone(), b], "{}", db.name);
    let dup = db
        .store
        .create_organization(&a, &audit())
        .await
        .unwrap_err();
    assert!(
        matches!(dup, StoreError::Conflict { field: "id" }),
        "{}: {dup:?}",
        db.name
    );
}
haven_store::on_both!(organizations_round_trip_and_list_by_name);

async fn users_round_trip_with_roles_and_unique_logins(db: TestDb) {
    let db = &db;
    let o = org("Harbor NGO", OrgKind::Ngo);
    db.store.create_organization(&o, &audit()).await.unwrap();
    let u = user(
        o.id,
        "Ana@Example.org",
        &[Role::Supervisor, Role::CertifyingOfficial],
    );
    db.store.create_user(&u, &audit()).await.unwrap();

    let by_id = db.store.user(u.id).await.unwrap().unwrap();
    let mut expected = u.clone();
    expected.roles.sort_unstable();
    assert_eq!(by_id, expected, "{}", db.name);
    let by_login = db
        .store
        .user_by_login(&LoginName::parse("ANA@example.ORG").unwrap())
        .await
        .unwrap();
    assert_eq!(
        by_login,
        Some(expected),
        "{}: logins are case-insensitive",
        db.name
    );

    let clash = user(o.id, "ana@example.org", &[Role::Analyst]);
    let err = db.store.create_user(&clash, &audit()).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { field: "login" }),
        "{}: {err:?}",
        db.name
    );
    assert_eq!(
        db.store.user(clash.id).await.unwrap(),
        None,
        "{}: nothing half-written",
        db.name
    );
    assert_eq!(db.store.count_users().await.unwrap(), 1);

    let no_roles = user(o.id, "norole@example.org", &[]);
    db.store.create_user(&no_roles, &audit()).await.unwrap();
    assert!(
        db.store
            .user(no_roles.id)
            .await
            .unwrap()
            .unwrap()
            .roles
            .is_empty()
    );
}
haven_store::on_both!(users_round_trip_with_roles_and_unique_logins);

async fn users_and_display_names_are_found_by_ids_across_organizations(db: TestDb) {
    let db = &db;
    let a = org("Harbor NGO", OrgKind::Ngo);
    let b = org("County Police", OrgKind::LawEnforcement);
    for o in [&a, &b] {
        db.store.create_organization(o, &audit()).await.unwrap();
    }
    let mut ana = user(a.id, "ana@example.org", &[Role::VictimSpecialist]);
    ana.display_name = "Ana Ruiz".into();
    let mut ben = user(b.id, "ben@example.org", &[Role::LawEnforcementAgent]);
    ben.display_name = "Ben Okafor".into();
    let cleo = user(a.id, "cleo@example.org", &[Role::Supervisor]);
    for u in [&ana, &ben, &cleo] {
        db.store.create_user(u, &audit()).await.unwrap();
    }
    let unknown = UserId::new();
    let wanted = [ana.id, ben.id, unknown];

    let names = db.store.display_names(&wanted).await.unwrap();
    assert_eq!(names.len(), 2, "{}: only the users that exist", db.name);
    assert_eq!(names[&ana.id], ana.display_name, "{}", db.name);
    assert_eq!(names[&ben.id], ben.display_name, "{}", db.name);
    assert!(
        !names.contains_key(&cleo.id),
        "{}: only those asked for",
        db.name
    );
    assert!(db.store.display_names(&[]).await.unwrap().is_empty());

    let mut users: Vec<UserId> = db
        .store
        .users_by_ids(&wanted)
        .await
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    users.sort_unstable();
    let mut expected = vec![ana.id, ben.id];
    expected.sort_unstable();
    assert_eq!(users, expected, "{}", db.name);
}
haven_store::on_both!(users_and_display_names_are_found_by_ids_across_organizations);

async fn a_user_needs_an_existing_organization(db: TestDb) {
    let db = &db;
    let orphan = user(
        OrganizationId::new(),
        "orphan@example.org",
        &[Role::Analyst],
    );
    assert!(
        db.store.create_user(&orphan, &audit()).await.is_err(),
        "{}: foreign keys are enforced",
        db.name
    );
    assert_eq!(db.store.count_users().await.unwrap(), 0, "{}", db.name);
}
haven_store::on_both!(a_user_needs_an_existing_organization);

async fn password_hashes_can_be_replaced(db: TestDb) {
    let db = &db;
    let o = org("Harbor NGO", OrgKind::Ngo);
    db.store.create_organization(&o, &audit()).await.unwrap();
    let u = user(o.id, "rehash@example.org", &[Role::VictimSpecialist]);
    db.store.create_user(&u, &audit()).await.unwrap();
    db.store
        .set_password_hash(u.id, "$argon2id$new")
        .await
        .unwrap();
    assert_eq!(
        db.store.user(u.id).await.unwrap().unwrap().password_hash,
        "$argon2id$new"
    );
    let missing = db
        .store
        .set_password_hash(UserId::new(), "x")
        .await
        .unwrap_err();
    assert!(
        matches!(missing, StoreError::NotFound),
        "{}: {missing:?}",
        db.name
    );
}
haven_store::on_both!(password_hashes_can_be_replaced);

async fn user_lists_follow_the_policy_scope(db: TestDb) {
    let db = &db;
    use haven_domain::policy::UserScope;
    let (a, b) = (
        org("A Org", OrgKind::Ngo),
        org("B Org", OrgKind::LawEnforcement),
    );
    db.store.create_organization(&a, &audit()).await.unwrap();
    db.store.create_organization(&b, &audit()).await.unwrap();
    let mut zed = user(a.id, "zed@example.org", &[Role::Analyst]);
    zed.display_name = "Zed".into();
    let mut amy = user(
        a.id,
        "amy@example.org",
        &[Role::Administrator, Role::Supervisor],
    );
    amy.display_name = "Amy".into();
    let other = user(b.id, "other@example.org", &[Role::LawEnforcementAgent]);
    for u in [&zed, &amy, &other] {
        db.store.create_user(u, &audit()).await.unwrap();
    }
    db.store.put_pending_mfa(amy.id, b"x").await.unwrap();
    db.store
        .enable_mfa(amy.id, 1, &[], haven_domain::now(), &audit())
        .await
        .unwrap();

    let listed = db
        .store
        .list_users(UserScope::Organization(a.id))
        .await
        .unwrap();
    let names: Vec<(&str, bool)> = listed
        .iter()
        .map(|(u, m)| (u.display_name.as_str(), *m))
        .collect();
    assert_eq!(
        names,
        [("Amy", true), ("Zed", false)],
        "{}: by name, with MFA status",
        db.name
    );
    assert_eq!(
        listed[0].0.roles,
        vec![Role::Administrator, Role::Supervisor]
    );
    let own = db.store.list_users(UserScope::Own(other.id)).await.unwrap();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].0.id, other.id, "{}", db.name);
}
haven_store::on_both!(user_lists_follow_the_policy_scope);

async fn access_changes_replace_roles_and_disabling_ends_sessions(db: TestDb) {
    let db = &db;
    let o = org("Access Org", OrgKind::Ngo);
    db.store.create_organization(&o, &audit()).await.unwrap();
    let u = user(o.id, "access@example.org", &[Role::VictimSpecialist]);
    db.store.create_user(&u, &audit()).await.unwrap();
    let now = haven_domain::now();
    for n in 1..=2u8 {
        let s = SessionRecord {
            id: SessionId::new(),
            token_hash: [n; 32],
            user_id: u.id,
            created_at: now,
            last_seen_at: now + Duration::seconds(i64::from(n)),
            csrf_token: [0; 32],
            stage: SessionStage::Full,
        };
        db.store.create_session(&s, &audit()).await.unwrap();
    }
    let listed = db.store.sessions_of(u.id).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed[0].token_hash, [2; 32],
        "{}: most recent first",
        db.name
    );

    db.store
        .update_user_access(u.id, &[Role::Supervisor, Role::Analyst], false, &audit())
        .await
        .unwrap();
    let back = db.store.user(u.id).await.unwrap().unwrap();
    assert_eq!(
        back.roles,
        vec![Role::Supervisor, Role::Analyst],
        "{}",
        db.name
    );
    assert_eq!(
        db.store.count_sessions_for_user(u.id).await.unwrap(),
        2,
        "role changes keep sessions"
    );

    db.store
        .update_user_access(u.id, &[Role::Supervisor], true, &audit())
        .await
        .unwrap();
    assert!(db.store.user(u.id).await.unwrap().unwrap().disabled);
    assert_eq!(
        db.store.count_sessions_for_user(u.id).await.unwrap(),
        0,
        "{}: disabling ends sessions",
        db.name
    );
    let missing = db
        .store
        .update_user_access(UserId::new(), &[], false, &audit())
        .await
        .unwrap_err();
    assert!(matches!(missing, StoreError::NotFound));
}
haven_store::on_both!(access_changes_replace_roles_and_disabling_ends_sessions);
