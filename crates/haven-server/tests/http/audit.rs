//! The audit log: what is written, the chain, verification, sealing and key rotation.

use crate::support::*;
use haven_domain::{AuditAction, AuditEntry};
use haven_domain::{LoginName, Role, User, UserId};
use haven_server::{AppState, HashCost, Hasher, KeyringHandle, Settings};
use haven_store::testing::TestDb;

async fn sign_ins_sign_outs_and_failures_are_audited_without_personal_data(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    send(
        &app,
        post_form(
            "/sign-in",
            &form_encode(&[("login", LOGIN), ("password", "wrong wrong")]),
            None,
        ),
    )
    .await;
    send(
        &app,
        post_form(
            "/sign-in",
            &form_encode(&[("login", "ghost@example.test"), ("password", "x")]),
            None,
        ),
    )
    .await;
    let cookie = sign_in(&app).await;
    sign_out(&app, &cookie).await;

    let rows = app.db.store.unsealed_audit(100).await.unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "organization.created",
            "user.created",
            "user.role_granted",
            "key.created",
            "sign_in.failed",
            "sign_in.failed",
            "sign_in.succeeded",
            "session.signed_out"
        ],
        "{}",
        app.db.name
    );
    assert_eq!(
        rows[4].resource_id,
        Some(app.user.to_string()),
        "a failure on a real account names it by id"
    );
    assert_eq!(
        rows[5].resource_id, None,
        "an unknown name leaves no trace of itself"
    );
    assert_eq!(rows[6].actor_user, Some(app.user));
    assert!(rows[6].request_id.is_some(), "entries carry the request id");
    assert_eq!(
        rows[6].resource_id, rows[7].resource_id,
        "the same session starts and ends"
    );
    let dump = format!("{rows:?}");
    for secret in ["sam.tester", "ghost", "Sam Tester", "wrong wrong"] {
        assert!(
            !dump.contains(secret),
            "{}: audit rows hold no personal data",
            app.db.name
        );
    }
}
on_both!(sign_ins_sign_outs_and_failures_are_audited_without_personal_data);

async fn audit_verify_finds_an_edited_entry(db: TestDb) {
    use haven_server::audit::Problem;
    let app = audited_app(db).await;
    tamper(
        &app.db,
        &["UPDATE audit_log SET action = 'sign_in.failed' WHERE chain_seq = 6"],
    )
    .await;
    let report = app.chain.verify(&app.db.store).await.unwrap();
    assert!(
        matches!(
            report.first_problem,
            Some(Problem::Edited { chain_seq: 6, .. })
        ),
        "{}: {report:?}",
        app.db.name
    );
    assert_eq!(report.checked, 5, "everything before it checked out");
}
on_both!(audit_verify_finds_an_edited_entry);

async fn audit_verify_finds_a_deleted_entry(db: TestDb) {
    use haven_server::audit::Problem;
    let app = audited_app(db).await;
    tamper(
        &app.db,
        &["DELETE FROM audit_log WHERE chain_seq IN (4, 5)"],
    )
    .await;
    let report = app.chain.verify(&app.db.store).await.unwrap();
    assert_eq!(
        report.first_problem,
        Some(Problem::Missing { from: 4, to: 5 }),
        "{}",
        app.db.name
    );
    assert_eq!(
        report.first_problem.unwrap().to_string(),
        "entries 4 to 5 were deleted"
    );
}
on_both!(audit_verify_finds_a_deleted_entry);

async fn audit_verify_finds_reordered_entries(db: TestDb) {
    use haven_server::audit::Problem;
    let app = audited_app(db).await;
    tamper(
        &app.db,
        &[
            "UPDATE audit_log SET chain_seq = -1 WHERE chain_seq = 3",
            "UPDATE audit_log SET chain_seq = 3 WHERE chain_seq = 4",
            "UPDATE audit_log SET chain_seq = 4 WHERE chain_seq = -1",
        ],
    )
    .await;
    let report = app.chain.verify(&app.db.store).await.unwrap();
    assert!(
        matches!(
            report.first_problem,
            Some(Problem::OutOfOrder { chain_seq: 3, .. })
        ),
        "{}: {report:?}",
        app.db.name
    );
}
on_both!(audit_verify_finds_reordered_entries);

async fn audit_verify_finds_a_forged_entry_whose_hash_was_recomputed_without_the_key(db: TestDb) {
    use haven_server::audit::Problem;
    let app = audited_app(db).await;
    // An attacker copies entry 7's hash fields onto an edited entry 7: it
    // still fails, because the hash is keyed.
    tamper(
        &app.db,
        &["UPDATE audit_log SET resource_id = 'someone-else' WHERE chain_seq = 7"],
    )
    .await;
    let report = app.chain.verify(&app.db.store).await.unwrap();
    assert!(
        matches!(
            report.first_problem,
            Some(Problem::Edited { chain_seq: 7, .. })
        ),
        "{}",
        app.db.name
    );
    // And another master key cannot vouch for the chain at all.
    let other = haven_server::audit::AuditChain::new(&haven_crypto::SecretKey::generate());
    let report = other.verify(&app.db.store).await.unwrap();
    assert!(matches!(
        report.first_problem,
        Some(Problem::Edited { chain_seq: 1, .. })
    ));
}
on_both!(audit_verify_finds_a_forged_entry_whose_hash_was_recomputed_without_the_key);

async fn sealing_from_two_instances_at_once_builds_one_chain(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let entries: Vec<AuditEntry> = (0..500)
        .map(|_| AuditEntry::new(AuditAction::SignInFailed))
        .collect();
    app.db.store.append_audit(&entries).await.unwrap();
    let (a, b) = (app.chain.clone(), app.chain.clone());
    let (s1, s2) = (app.db.store.clone(), app.db.store.clone());
    let (x, y) = tokio::join!(a.seal_pending(&s1, 50), b.seal_pending(&s2, 50));
    assert_eq!(
        x.unwrap() + y.unwrap(),
        504,
        "{}: every entry sealed once",
        app.db.name
    );
    let report = app.chain.verify(&app.db.store).await.unwrap();
    assert_eq!(report.first_problem, None, "{}", app.db.name);
    assert_eq!(report.checked, 504);
}
on_both!(sealing_from_two_instances_at_once_builds_one_chain);

async fn key_rotation_while_serving_keeps_every_secret_readable(db: TestDb) {
    let app = app_on(db, Settings::default()).await;
    // Twenty enrolled users, secrets under key 1.
    let org = app
        .db
        .store
        .user(app.user)
        .await
        .unwrap()
        .unwrap()
        .organization_id;
    let mut users = Vec::new();
    for i in 0..20 {
        let u = User {
            id: UserId::new(),
            organization_id: org,
            login: LoginName::parse(&format!("rot{i}@example.test")).unwrap(),
            display_name: "Rotation Tester".into(),
            roles: vec![Role::VictimSpecialist],
            password_hash: Hasher::new(HashCost::TEST).hash_blocking(PASSWORD),
            disabled: false,
            created_at: haven_domain::now(),
        };
        app.db
            .store
            .create_user(&u, &AuditEntry::new(AuditAction::UserCreated))
            .await
            .unwrap();
        let secret = vec![i as u8; 20];
        let sealed =
            haven_server::features::account::mfa::seal_secret(&app.state, u.id, &secret).unwrap();
        app.db.store.put_pending_mfa(u.id, &sealed).await.unwrap();
        users.push((u.id, secret));
    }
    // A second instance: its own keyring handle on the same database.
    let other = KeyringHandle::load(&app.db.store, app.state.keyring.master().clone())
        .await
        .unwrap();
    let other_state = AppState::new(
        app.db.store.clone(),
        Settings::default(),
        HashCost::TEST,
        other,
    );

    // Readers keep decrypting on both instances while the rotation runs.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = Vec::new();
    for state in [app.state.clone(), other_state.clone()] {
        let (users, stop) = (users.clone(), stop.clone());
        readers.push(tokio::spawn(async move {
            let mut reads = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for (id, secret) in &users {
                    let stored = state.store.mfa(*id).await.unwrap().unwrap();
                    let plain = haven_server::features::account::mfa::open_secret(
                        &state,
                        *id,
                        &stored.secret,
                    )
                    .await
                    .unwrap();
                    assert_eq!(&plain, secret);
                    reads += 1;
                }
                tokio::task::yield_now().await;
            }
            reads
        }));
    }
    let report = haven_server::keys::rotate(
        &app.db.store,
        &app.state.keyring,
        true,
        std::time::Duration::from_millis(50),
        7,
    )
    .await
    .unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        assert!(
            r.await.unwrap() > 0,
            "{}: reads ran during the rotation",
            app.db.name
        );
    }
    assert_eq!(report.new_key, Some(2));
    assert_eq!(report.reencrypted, 20, "{}", app.db.name);
    assert_eq!(
        report.retired,
        vec![1],
        "{}: key 1 is unused afterwards",
        app.db.name
    );
    for (id, secret) in &users {
        let stored = app.db.store.mfa(*id).await.unwrap().unwrap();
        assert_eq!(haven_crypto::Keyring::key_id_of(&stored.secret), Ok(2));
        assert_eq!(
            &haven_server::features::account::mfa::open_secret(&other_state, *id, &stored.secret)
                .await
                .unwrap(),
            secret
        );
    }
    // Resuming finds nothing left to do.
    let again = haven_server::keys::rotate(
        &app.db.store,
        &app.state.keyring,
        false,
        std::time::Duration::ZERO,
        7,
    )
    .await
    .unwrap();
    assert_eq!((again.new_key, again.reencrypted), (None, 0));
    let actions: Vec<String> = app
        .db
        .store
        .audit_trail()
        .await
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert!(actions.contains(&"key.rotated".to_owned()));
}
on_both!(key_rotation_while_serving_keeps_every_secret_readable);

async fn reads_are_audited_through_group_commit(db: TestDb) {
    use std::sync::atomic::Ordering::Relaxed;
    let app = app_on(db, no_mfa()).await;
    let writer = app.state.audit_writer.clone();
    let before = app.db.store.count_unsealed_audit().await.unwrap();
    let chained = app
        .db
        .store
        .sealed_audit_after(0, 100_000)
        .await
        .unwrap()
        .len();
    let tasks: Vec<_> = (0..300)
        .map(|_| {
            let w = writer.clone();
            tokio::spawn(async move {
                w.record(AuditEntry::new(AuditAction::RecordViewed).on("user", UserId::new()))
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(
        app.db
            .store
            .sealed_audit_after(0, 100_000)
            .await
            .unwrap()
            .len(),
        chained + 300,
        "{}: every read committed, chained as it was written",
        app.db.name
    );
    assert_eq!(app.db.store.count_unsealed_audit().await.unwrap(), before);
    let report = app.chain.verify(&app.db.store).await.unwrap();
    assert_eq!(report.first_problem, None, "{}", app.db.name);
    let (batches, entries) = (
        writer.stats().batches.load(Relaxed),
        writer.stats().entries.load(Relaxed),
    );
    assert_eq!(entries, 300);
    assert!(
        batches < 300,
        "{}: {batches} commits for 300 concurrent reads",
        app.db.name
    );
}
on_both!(reads_are_audited_through_group_commit);
