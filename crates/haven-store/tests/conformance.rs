//! The store conformance suite: one set of expectations, run against SQLite
//! and a real PostgreSQL server in every test run.

use haven_domain::SessionStage;
use haven_domain::{
    AuditAction, AuditEntry, LoginName, OrgKind, Organization, OrganizationId, Role, SessionId,
    User, UserId,
};
use haven_store::testing::{self, TestDb};
use haven_store::{
    AUDIT_GENESIS, AuditRow, ChainHasher, DynStore, EncryptedColumn, SessionRecord, StoreError,
    StoredKey,
};
use time::Duration;

fn audit() -> AuditEntry {
    AuditEntry::new(AuditAction::UserCreated)
}

fn org(name: &str, kind: OrgKind) -> Organization {
    Organization {
        id: OrganizationId::new(),
        name: name.into(),
        kind,
        created_at: haven_domain::now(),
    }
}

fn user(org: OrganizationId, login: &str, roles: &[Role]) -> User {
    User {
        id: UserId::new(),
        organization_id: org,
        login: LoginName::parse(login).unwrap(),
        display_name: "Test User".into(),
        roles: roles.to_vec(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
        disabled: false,
        created_at: haven_domain::now(),
    }
}

async fn migrations_are_current_and_idempotent(db: TestDb) {
    let db = &db;
    let status = db.store.schema_status().await.unwrap();
    assert!(status.is_current(), "{}: {status:?}", db.name);
    let again = db.store.migrate().await.unwrap();
    assert_eq!(
        status, again,
        "{}: migrating twice changes nothing",
        db.name
    );
    db.store.ping().await.unwrap();
}
haven_store::on_both!(migrations_are_current_and_idempotent);

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

async fn sessions_are_found_by_token_hash_touched_and_ended(db: TestDb) {
    let db = &db;
    let o = org("Harbor NGO", OrgKind::Ngo);
    db.store.create_organization(&o, &audit()).await.unwrap();
    let u = user(o.id, "sess@example.org", &[Role::VictimSpecialist]);
    db.store.create_user(&u, &audit()).await.unwrap();
    let now = haven_domain::now();
    let mk = |n: u8| SessionRecord {
        id: SessionId::new(),
        token_hash: [n; 32],
        user_id: u.id,
        created_at: now,
        last_seen_at: now,
        csrf_token: [n + 100; 32],
        stage: if n == 2 {
            SessionStage::Mfa
        } else {
            SessionStage::Full
        },
    };
    let (s1, s2) = (mk(1), mk(2));
    db.store.create_session(&s1, &audit()).await.unwrap();
    db.store.create_session(&s2, &audit()).await.unwrap();
    assert_eq!(
        db.store.session_by_token_hash(&[1; 32]).await.unwrap(),
        Some(s1.clone()),
        "{}",
        db.name
    );
    assert_eq!(
        db.store.session_by_token_hash(&[9; 32]).await.unwrap(),
        None
    );

    let later = now + Duration::minutes(5);
    db.store.touch_session(s1.id, later).await.unwrap();
    let touched = db
        .store
        .session_by_token_hash(&[1; 32])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.last_seen_at, later, "{}", db.name);
    assert_eq!(
        touched.created_at, now,
        "{}: touching keeps the start",
        db.name
    );

    db.store.delete_session(s1.id, None).await.unwrap();
    assert_eq!(
        db.store.session_by_token_hash(&[1; 32]).await.unwrap(),
        None
    );
    db.store.create_session(&mk(3), &audit()).await.unwrap();
    assert_eq!(
        db.store.delete_sessions_for_user(u.id, None).await.unwrap(),
        2,
        "{}",
        db.name
    );
    assert_eq!(
        db.store.session_by_token_hash(&[2; 32]).await.unwrap(),
        None
    );
}
haven_store::on_both!(sessions_are_found_by_token_hash_touched_and_ended);

#[tokio::test]
async fn backup_is_a_consistent_sqlite_copy_and_postgres_says_use_pg_dump() {
    let db = testing::sqlite().await;
    let o = org("Backup Org", OrgKind::Ngo);
    db.store.create_organization(&o, &audit()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("copy.db");
    db.store.backup_to(&dest).await.unwrap();
    let again = db.store.backup_to(&dest).await.unwrap_err();
    assert!(again.to_string().contains("already exists"), "{again}");

    let copy = haven_store::open(
        &haven_store::DatabaseTarget::Sqlite { path: dest },
        &haven_store::OpenOptions::default(),
    )
    .await
    .unwrap();
    assert!(copy.schema_status().await.unwrap().is_current());
    assert_eq!(copy.organization(o.id).await.unwrap(), Some(o));

    let pg = testing::postgres().await;
    let err = pg
        .store
        .backup_to(&dir.path().join("pg.db"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("pg_dump"), "{err}");
}

#[tokio::test]
async fn opening_fails_clearly_for_bad_places() {
    let dir = tempfile::tempdir().unwrap();
    // A data directory that is a file: cannot be created, even by root.
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let target = haven_store::DatabaseTarget::parse(None, &file.join("data")).unwrap();
    let err = haven_store::open(&target, &Default::default())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("data directory"), "{err}");

    // A file that is not a database is refused, not overwritten.
    let junk = dir.path().join("junk.db");
    std::fs::write(
        &junk,
        b"this is not sqlite, just some bytes that fill a page",
    )
    .unwrap();
    let err = haven_store::open(
        &haven_store::DatabaseTarget::Sqlite { path: junk.clone() },
        &Default::default(),
    )
    .await
    .err()
    .unwrap();
    assert!(
        err.to_string().contains("cannot open the SQLite database"),
        "{err}"
    );
    assert_eq!(std::fs::read(&junk).unwrap()[..4], *b"this");

    // An unreachable PostgreSQL server names where it looked.
    let target = haven_store::DatabaseTarget::parse(
        Some("postgres://haven:pw@127.0.0.1:1/haven"),
        dir.path(),
    )
    .unwrap();
    let err = haven_store::open(&target, &Default::default())
        .await
        .err()
        .unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains("cannot connect to PostgreSQL at postgres://127.0.0.1:1/haven"),
        "{msg}"
    );
    assert!(!msg.contains("pw@"), "{msg}");
}

async fn sign_in_failures_are_counted_per_key_in_a_window_and_cleared(db: TestDb) {
    let db = &db;
    let (a, b) = ([1u8; 32], [2u8; 32]);
    let t0 = haven_domain::now();
    let long_ago = t0 - Duration::hours(1);
    for i in 0..3 {
        db.store
            .record_sign_in_failure(&a, t0 + Duration::seconds(i), long_ago, None)
            .await
            .unwrap();
    }
    db.store
        .record_sign_in_failure(&b, t0, long_ago, None)
        .await
        .unwrap();
    assert_eq!(
        db.store.sign_in_failures_since(&a, t0).await.unwrap().count,
        3,
        "{}",
        db.name
    );
    assert_eq!(
        db.store
            .sign_in_failures_since(&a, t0 + Duration::seconds(1))
            .await
            .unwrap()
            .count,
        2,
        "{}: window",
        db.name
    );
    assert_eq!(
        db.store.sign_in_failures_since(&b, t0).await.unwrap().count,
        1,
        "{}: per key",
        db.name
    );
    assert_eq!(
        db.store.sign_in_failures_since(&a, t0).await.unwrap().last,
        Some(t0 + Duration::seconds(2)),
        "{}: the last failure's time",
        db.name
    );

    // Recording forgets the key's failures older than the window.
    let later = t0 + Duration::hours(2);
    db.store
        .record_sign_in_failure(&a, later, later - Duration::minutes(15), None)
        .await
        .unwrap();
    assert_eq!(
        db.store
            .sign_in_failures_since(&a, long_ago)
            .await
            .unwrap()
            .count,
        1,
        "{}: old rows purged",
        db.name
    );

    db.store.clear_sign_in_failures(&a).await.unwrap();
    assert_eq!(
        db.store
            .sign_in_failures_since(&a, long_ago)
            .await
            .unwrap()
            .count,
        0
    );
    assert_eq!(
        db.store
            .sign_in_failures_since(&b, long_ago)
            .await
            .unwrap()
            .count,
        1,
        "{}: other keys kept",
        db.name
    );
}
haven_store::on_both!(sign_in_failures_are_counted_per_key_in_a_window_and_cleared);

/// A group commit's entries go in as one batch: every field kept, nulls
/// included, and ids in the batch's order (the chain seals by id).
async fn a_batch_of_audit_entries_keeps_its_order_and_every_field(db: TestDb) {
    let db = &db;
    let o = org("Batch Org", OrgKind::Ngo);
    db.store
        .create_organization(&o, &AuditEntry::new(AuditAction::OrganizationCreated))
        .await
        .unwrap();
    let before = db.store.unsealed_audit(100).await.unwrap().len();
    let batch: Vec<AuditEntry> = (0..20)
        .map(|i| {
            let e = AuditEntry::new(if i % 2 == 0 {
                AuditAction::RecordViewed
            } else {
                AuditAction::SignInFailed
            });
            if i % 3 == 0 {
                e
            } else {
                e.on("organization", o.id).request(Some(format!("req-{i}")))
            }
        })
        .collect();
    db.store.append_audit(&batch).await.unwrap();
    let rows = db.store.unsealed_audit(100).await.unwrap();
    let rows = &rows[before..];
    assert_eq!(rows.len(), 20, "{}", db.name);
    for (r, e) in rows.iter().zip(&batch) {
        assert_eq!(r.action, e.action.as_str(), "{}", db.name);
        assert_eq!(r.at, e.at, "{}", db.name);
        assert_eq!(r.resource_kind.as_deref(), e.resource_kind, "{}", db.name);
        assert_eq!(r.resource_id, e.resource_id, "{}", db.name);
        assert_eq!(r.request_id, e.request_id, "{}", db.name);
        assert_eq!(r.actor_user, e.actor_user, "{}", db.name);
    }
    assert!(rows.windows(2).all(|w| w[0].id < w[1].id), "{}", db.name);
    db.store.append_audit(&[]).await.unwrap();
    assert_eq!(
        db.store.unsealed_audit(100).await.unwrap().len(),
        before + 20
    );
}
haven_store::on_both!(a_batch_of_audit_entries_keeps_its_order_and_every_field);

/// A stand-in for the server's keyed hash: it covers the position, the hash
/// before and every field of the row as the database returns it (the time to
/// the nanosecond), so a field that does not round-trip breaks the chain.
struct TestChain;

impl ChainHasher for TestChain {
    fn chain_hash(&self, seq: i64, prev: &[u8], row: &AuditRow) -> [u8; 32] {
        let text = format!(
            "{seq}|{prev:?}|{}|{:?}|{:?}|{}|{:?}|{:?}|{:?}",
            row.at.unix_timestamp_nanos(),
            row.actor_user,
            row.actor_org,
            row.action,
            row.resource_kind,
            row.resource_id,
            row.request_id
        );
        let mut out = [0u8; 32];
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for (i, b) in text.bytes().enumerate() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            out[i % 32] ^= h.to_be_bytes()[0];
        }
        out
    }
}

/// Checks that `rows` (the chain from its start) link up and hash right.
fn assert_chain(rows: &[AuditRow], name: &str) {
    let mut prev = AUDIT_GENESIS.to_vec();
    for (i, r) in rows.iter().enumerate() {
        let seq = i as i64 + 1;
        assert_eq!(r.chain_seq, Some(seq), "{name}: no gaps");
        assert_eq!(r.prev_hash.as_deref(), Some(&prev[..]), "{name}: linked");
        let hash = TestChain.chain_hash(seq, &prev, r);
        assert_eq!(
            r.hash.as_deref(),
            Some(&hash[..]),
            "{name}: row {seq} hashed as stored"
        );
        prev = hash.to_vec();
    }
}

async fn audit_entries_commit_with_their_action_and_are_chained_in_order(db: TestDb) {
    let db = &db;
    let o = org("Audit Org", OrgKind::Ngo);
    let entry = AuditEntry::new(AuditAction::OrganizationCreated)
        .on("organization", o.id)
        .request(Some("req-1".into()));
    db.store.create_organization(&o, &entry).await.unwrap();
    // A failed action leaves no entry.
    assert!(db.store.create_organization(&o, &entry).await.is_err());
    db.store
        .append_audit(&[
            AuditEntry::new(AuditAction::SignInFailed),
            AuditEntry::new(AuditAction::SignedOut).on("organization", o.id),
        ])
        .await
        .unwrap();
    let rows = db.store.unsealed_audit(10).await.unwrap();
    assert_eq!(rows.len(), 3, "{}", db.name);
    assert!(
        rows.windows(2).all(|w| w[0].id < w[1].id),
        "insertion order"
    );
    assert_eq!(rows[0].action, "organization.created");
    assert_eq!(rows[0].at, entry.at, "{}", db.name);
    assert_eq!(rows[0].request_id.as_deref(), Some("req-1"));
    assert_eq!(rows[0].resource_id, Some(o.id.to_string()));
    assert!(db.store.sealed_audit_after(0, 10).await.unwrap().is_empty());

    // Reads' entries are chained as they are written, after the head.
    let read = AuditEntry::new(AuditAction::RecordViewed)
        .by(UserId::new(), o.id)
        .on("case", "c-1")
        .request(Some("req-2".into()));
    db.store
        .append_chained_audit(
            &[read.clone(), AuditEntry::new(AuditAction::RecordsListed)],
            &TestChain,
        )
        .await
        .unwrap();
    db.store
        .append_chained_audit(&[], &TestChain)
        .await
        .unwrap();
    assert_eq!(
        db.store.count_unsealed_audit().await.unwrap(),
        3,
        "{}",
        db.name
    );
    // The sealer chains the others after them, in insertion order.
    assert_eq!(db.store.seal_pending_audit(2, &TestChain).await.unwrap(), 2);
    assert_eq!(db.store.count_unsealed_audit().await.unwrap(), 1);
    assert_eq!(
        db.store.seal_pending_audit(10, &TestChain).await.unwrap(),
        1
    );
    assert_eq!(
        db.store.seal_pending_audit(10, &TestChain).await.unwrap(),
        0
    );

    let chained = db.store.sealed_audit_after(0, 10).await.unwrap();
    assert_eq!(
        chained
            .iter()
            .map(|r| r.action.as_str())
            .collect::<Vec<_>>(),
        vec![
            "record.viewed",
            "record.listed",
            "organization.created",
            "sign_in.failed",
            "session.signed_out"
        ],
        "{}",
        db.name
    );
    assert_eq!(chained[0].actor_user, read.actor_user);
    assert_eq!(chained[0].request_id.as_deref(), Some("req-2"));
    assert_chain(&chained, db.name);
    assert_eq!(db.store.sealed_audit_after(3, 10).await.unwrap().len(), 2);
    let history = db
        .store
        .audit_for_resource("organization", &o.id.to_string(), 10)
        .await
        .unwrap();
    assert_eq!(history.len(), 2, "{}", db.name);
}
haven_store::on_both!(audit_entries_commit_with_their_action_and_are_chained_in_order);

/// Chained appends and sealers running at once (as on several instances)
/// still build one chain: each holds the chain while it reads the head.
async fn concurrent_chained_appends_and_sealers_build_one_chain(db: TestDb) {
    let db = &db;
    let entries = |n: usize| -> Vec<AuditEntry> {
        (0..n)
            .map(|_| AuditEntry::new(AuditAction::RecordViewed))
            .collect()
    };
    db.store.append_audit(&entries(300)).await.unwrap();
    let (s1, s2, s3, s4) = (
        db.store.clone(),
        db.store.clone(),
        db.store.clone(),
        db.store.clone(),
    );
    let appender = |s: DynStore| async move {
        for _ in 0..20 {
            s.append_chained_audit(&entries(5), &TestChain)
                .await
                .unwrap();
            s.append_audit(&entries(2)).await.unwrap();
        }
    };
    let sealer = |s: DynStore| async move {
        let mut n = 0;
        for _ in 0..20 {
            n += s.seal_pending_audit(25, &TestChain).await.unwrap();
        }
        n
    };
    let a = tokio::spawn(appender(s1));
    let b = tokio::spawn(appender(s2));
    let c = tokio::spawn(sealer(s3));
    let d = tokio::spawn(sealer(s4));
    a.await.unwrap();
    b.await.unwrap();
    let sealed = c.await.unwrap() + d.await.unwrap();
    let rest = db
        .store
        .seal_pending_audit(10_000, &TestChain)
        .await
        .unwrap();
    assert_eq!(
        sealed + rest,
        300 + 2 * 20 * 2,
        "{}: every unchained entry sealed once",
        db.name
    );
    let chain = db.store.sealed_audit_after(0, 10_000).await.unwrap();
    assert_eq!(chain.len(), 300 + 2 * 20 * 7, "{}", db.name);
    assert_chain(&chain, db.name);
}
haven_store::on_both!(concurrent_chained_appends_and_sealers_build_one_chain);

async fn data_keys_are_stored_wrapped_and_retired(db: TestDb) {
    let db = &db;
    assert!(db.store.data_keys().await.unwrap().is_empty());
    let now = haven_domain::now();
    let k1 = StoredKey {
        id: 1,
        wrapped: vec![7; 72],
        created_at: now,
        retired_at: None,
    };
    db.store
        .add_data_key(&k1, &AuditEntry::new(AuditAction::KeyCreated))
        .await
        .unwrap();
    let dup = db
        .store
        .add_data_key(&k1, &AuditEntry::new(AuditAction::KeyCreated))
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict { .. }), "{}", db.name);
    let k2 = StoredKey {
        id: 2,
        wrapped: vec![8; 72],
        created_at: now,
        retired_at: None,
    };
    db.store
        .add_data_key(&k2, &AuditEntry::new(AuditAction::KeyRotated))
        .await
        .unwrap();
    db.store.retire_data_key(1, now).await.unwrap();
    let keys = db.store.data_keys().await.unwrap();
    assert_eq!(
        keys,
        vec![
            StoredKey {
                retired_at: Some(now),
                ..k1
            },
            k2
        ],
        "{}",
        db.name
    );
    assert_eq!(
        db.store.count_unsealed_audit().await.unwrap(),
        2,
        "{}: one entry per key added",
        db.name
    );
}
haven_store::on_both!(data_keys_are_stored_wrapped_and_retired);

async fn mfa_factors_enable_once_refuse_replays_and_spend_recovery_codes_once(db: TestDb) {
    let db = &db;
    let o = org("MFA Org", OrgKind::Ngo);
    db.store.create_organization(&o, &audit()).await.unwrap();
    let u = user(o.id, "mfa@example.org", &[Role::VictimSpecialist]);
    db.store.create_user(&u, &audit()).await.unwrap();
    assert_eq!(db.store.mfa(u.id).await.unwrap(), None);

    db.store
        .put_pending_mfa(u.id, b"ciphertext-1")
        .await
        .unwrap();
    db.store
        .put_pending_mfa(u.id, b"ciphertext-2")
        .await
        .unwrap();
    let pending = db.store.mfa(u.id).await.unwrap().unwrap();
    assert_eq!(
        pending.secret, b"ciphertext-2",
        "{}: a new enrolment replaces an unconfirmed one",
        db.name
    );
    assert_eq!(pending.enabled_at, None);
    assert!(
        !db.store.accept_totp_step(u.id, 10).await.unwrap(),
        "a pending factor accepts nothing"
    );

    let now = haven_domain::now();
    let codes = [[1u8; 32], [2u8; 32]];
    db.store
        .enable_mfa(
            u.id,
            100,
            &codes,
            now,
            &AuditEntry::new(AuditAction::MfaEnabled),
        )
        .await
        .unwrap();
    assert_eq!(
        db.store.mfa(u.id).await.unwrap().unwrap().enabled_at,
        Some(now),
        "{}",
        db.name
    );
    let again = db
        .store
        .enable_mfa(
            u.id,
            100,
            &codes,
            now,
            &AuditEntry::new(AuditAction::MfaEnabled),
        )
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{}",
        db.name
    );
    let over = db.store.put_pending_mfa(u.id, b"attacker").await;
    assert!(
        matches!(over, Err(StoreError::Conflict { .. })),
        "{}: an enabled factor is not replaced",
        db.name
    );

    assert!(
        !db.store.accept_totp_step(u.id, 100).await.unwrap(),
        "{}: the enrolment code cannot be replayed",
        db.name
    );
    assert!(db.store.accept_totp_step(u.id, 101).await.unwrap());
    assert!(
        !db.store.accept_totp_step(u.id, 101).await.unwrap(),
        "{}: replay refused",
        db.name
    );
    assert!(
        !db.store.accept_totp_step(u.id, 99).await.unwrap(),
        "older steps refused"
    );

    assert_eq!(db.store.unused_recovery_codes(u.id).await.unwrap(), 2);
    assert!(
        db.store
            .use_recovery_code(u.id, &[1; 32], now)
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .use_recovery_code(u.id, &[1; 32], now)
            .await
            .unwrap(),
        "{}: once only",
        db.name
    );
    assert!(
        !db.store
            .use_recovery_code(u.id, &[9; 32], now)
            .await
            .unwrap()
    );
    assert_eq!(db.store.unused_recovery_codes(u.id).await.unwrap(), 1);

    db.store
        .reset_mfa(u.id, &AuditEntry::new(AuditAction::MfaReset))
        .await
        .unwrap();
    assert_eq!(db.store.mfa(u.id).await.unwrap(), None);
    assert_eq!(db.store.unused_recovery_codes(u.id).await.unwrap(), 0);
}
haven_store::on_both!(mfa_factors_enable_once_refuse_replays_and_spend_recovery_codes_once);

async fn ciphertexts_are_found_by_key_id_and_replaced_only_if_unchanged(db: TestDb) {
    let db = &db;
    let o = org("Rotation Org", OrgKind::Ngo);
    db.store.create_organization(&o, &audit()).await.unwrap();
    let envelope = |key: u32, fill: u8| {
        let mut v = vec![1u8];
        v.extend_from_slice(&key.to_be_bytes());
        v.extend_from_slice(&[fill; 40]);
        v
    };
    let mut users = Vec::new();
    for (i, key) in [1u32, 1, 2].into_iter().enumerate() {
        let u = user(
            o.id,
            &format!("rot{i}@example.org"),
            &[Role::VictimSpecialist],
        );
        db.store.create_user(&u, &audit()).await.unwrap();
        db.store
            .put_pending_mfa(u.id, &envelope(key, i as u8))
            .await
            .unwrap();
        users.push(u);
    }
    let col = EncryptedColumn::MfaSecret;
    assert_eq!(
        db.store.count_ciphertexts_under(col, 1).await.unwrap(),
        2,
        "{}",
        db.name
    );
    let stale = db.store.ciphertexts_not_under(col, 2, 10).await.unwrap();
    assert_eq!(stale.len(), 2, "{}", db.name);
    assert!(stale.iter().all(|c| c.bytes[1..5] == [0, 0, 0, 1]));

    let first = &stale[0];
    assert!(
        db.store
            .replace_ciphertext(col, &first.row, &first.bytes, &envelope(2, 9))
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .replace_ciphertext(col, &first.row, &first.bytes, &envelope(2, 8))
            .await
            .unwrap(),
        "{}: a changed row is not overwritten",
        db.name
    );
    assert_eq!(db.store.count_ciphertexts_under(col, 1).await.unwrap(), 1);
    assert_eq!(db.store.count_ciphertexts_under(col, 2).await.unwrap(), 2);
    assert_eq!(
        db.store
            .ciphertexts_not_under(col, 2, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}
haven_store::on_both!(ciphertexts_are_found_by_key_id_and_replaced_only_if_unchanged);

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

async fn api_tokens_are_found_by_hash_listed_and_revoked_by_their_owner_only(db: TestDb) {
    let db = &db;
    use haven_domain::ApiTokenId;
    use haven_domain::policy::Scope;
    use haven_store::ApiToken;
    let o = org("Token Org", OrgKind::Ngo);
    db.store.create_organization(&o, &audit()).await.unwrap();
    let owner = user(o.id, "owner@example.org", &[Role::Administrator]);
    let other = user(o.id, "other@example.org", &[Role::Administrator]);
    db.store.create_user(&owner, &audit()).await.unwrap();
    db.store.create_user(&other, &audit()).await.unwrap();
    let now = haven_domain::now();
    let t = ApiToken {
        id: ApiTokenId::new(),
        token_hash: [5; 32],
        user_id: owner.id,
        name: "Reporting export".into(),
        scopes: vec![Scope::AdminRead, Scope::AdminWrite],
        created_at: now,
        expires_at: now + Duration::days(30),
        revoked_at: None,
        last_used_at: None,
    };
    db.store.create_api_token(&t, &audit()).await.unwrap();
    assert_eq!(
        db.store.api_token_by_hash(&[5; 32]).await.unwrap(),
        Some(t.clone()),
        "{}",
        db.name
    );
    assert_eq!(db.store.api_token_by_hash(&[6; 32]).await.unwrap(), None);
    db.store
        .touch_api_token(t.id, now + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(
        db.store.api_tokens_of(owner.id).await.unwrap()[0].last_used_at,
        Some(now + Duration::minutes(1))
    );

    let a = AuditEntry::new(AuditAction::ApiTokenRevoked);
    assert!(
        !db.store
            .revoke_api_token(t.id, other.id, now, &a)
            .await
            .unwrap(),
        "{}: not theirs",
        db.name
    );
    assert!(
        db.store
            .revoke_api_token(t.id, owner.id, now, &a)
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .revoke_api_token(t.id, owner.id, now, &a)
            .await
            .unwrap(),
        "once"
    );
    assert_eq!(
        db.store
            .api_token_by_hash(&[5; 32])
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(now),
        "{}",
        db.name
    );
}
haven_store::on_both!(api_tokens_are_found_by_hash_listed_and_revoked_by_their_owner_only);

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

/// SQLite readers keep their snapshot across audit-only commits (see
/// `sqlite::snapshot`); these are the promises that must survive that.
async fn reads_see_every_acknowledged_write_and_audit_reads_every_entry(db: TestDb) {
    let db = &db;
    for i in 0..12 {
        // A data read first, so that a reader holds a snapshot.
        let before = org(&format!("Before {i}"), OrgKind::Ngo);
        db.store
            .create_organization(&before, &AuditEntry::new(AuditAction::OrganizationCreated))
            .await
            .unwrap();
        assert!(db.store.organization(before.id).await.unwrap().is_some());
        // An audit-only commit is seen at once by a read of the log.
        db.store
            .append_audit(&[AuditEntry::new(AuditAction::SignedOut).on("organization", before.id)])
            .await
            .unwrap();
        let history = db
            .store
            .audit_for_resource("organization", &before.id.to_string(), 10)
            .await
            .unwrap();
        assert_eq!(history.len(), 1, "{} round {i}", db.name);
        // And a write of data right after it, by the next read.
        let after = org(&format!("After {i}"), OrgKind::Ngo);
        db.store
            .create_organization(&after, &AuditEntry::new(AuditAction::OrganizationCreated))
            .await
            .unwrap();
        assert!(
            db.store.organization(after.id).await.unwrap().is_some(),
            "{}: read your own write, round {i}",
            db.name
        );
    }

    // A write by another process on the same database (a CLI command)
    // is seen within a second (the readers' longest snapshot).
    let other = haven_store::open(&db.target, &haven_store::OpenOptions::default())
        .await
        .unwrap();
    assert!(
        db.store
            .organization(OrganizationId::new())
            .await
            .unwrap()
            .is_none()
    );
    let elsewhere = org("Elsewhere", OrgKind::Ngo);
    other
        .create_organization(
            &elsewhere,
            &AuditEntry::new(AuditAction::OrganizationCreated),
        )
        .await
        .unwrap();
    let start = std::time::Instant::now();
    while db.store.organization(elsewhere.id).await.unwrap().is_none() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(3),
            "{}: another process's write unseen after three seconds",
            db.name
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    other.close().await;
}
haven_store::on_both!(reads_see_every_acknowledged_write_and_audit_reads_every_entry);

/// PostgreSQL only: pooled connections are not pinged before each use (see
/// `PgStore::connect`), but one that sat idle is, so a connection the server
/// ended (a restart, a failover) is replaced rather than failing a request.
#[tokio::test]
async fn a_postgresql_connection_the_server_ended_is_replaced_after_idling() {
    use sqlx::Connection;
    let db = testing::postgres().await;
    let haven_store::DatabaseTarget::Postgres { url } = &db.target else {
        panic!("a PostgreSQL target");
    };
    db.store.count_users().await.unwrap();
    let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(!ended.is_empty(), "the store's connections were ended");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    for _ in 0..10 {
        assert_eq!(db.store.count_users().await.unwrap(), 0);
    }
    let _ = admin.close().await;
    db.store.close().await;
}
