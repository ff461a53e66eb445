//! Data keys: stored wrapped and retired, and ciphertexts found by key and
//! replaced.

use crate::support::*;
use haven_domain::{AuditAction, AuditEntry, OrgKind, Role};
use haven_store::testing::TestDb;
use haven_store::{EncryptedColumn, StoreError, StoredKey};

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
