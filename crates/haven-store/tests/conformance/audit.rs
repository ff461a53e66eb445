//! The audit log: batches, the hash chain, and appends and sealers at once.

use crate::support::*;
use haven_domain::{AuditAction, AuditEntry, OrgKind, UserId};
use haven_store::testing::TestDb;
use haven_store::{AUDIT_GENESIS, AuditRow, ChainHasher, DynStore};

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
