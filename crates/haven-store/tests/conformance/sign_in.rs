//! Signing in: sessions, counted failures, second factors and API tokens.

use crate::support::*;
use haven_domain::SessionStage;
use haven_domain::{AuditAction, AuditEntry, OrgKind, Role, SessionId};
use haven_store::testing::TestDb;
use haven_store::{SessionRecord, StoreError};
use time::Duration;

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
