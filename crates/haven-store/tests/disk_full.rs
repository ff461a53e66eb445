//! A full SQLite database (its size limit, `max_page_count`, stands for a
//! full disk): the writer, the audit writer and the sealer acknowledge
//! nothing they lose, say "full" clearly, and write again by themselves once
//! room comes back, without a restart (issue 23).

use haven_domain::{AuditAction, AuditEntry, OrgKind, Organization, OrganizationId};
use haven_store::sqlite::SqliteStore;
use haven_store::{
    AuditRow, AuditStore, CaseAccessStore, ChainHasher, OpenOptions, PeopleStore, SchemaStore,
    StoreError,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A chain hasher for the test: deterministic, not secret.
struct TestChain;

impl ChainHasher for TestChain {
    fn chain_hash(&self, seq: i64, prev: &[u8], row: &AuditRow) -> [u8; 32] {
        let mut h = [0u8; 32];
        for (i, b) in prev.iter().enumerate() {
            h[i % 32] ^= b.rotate_left(3);
        }
        for (i, b) in seq
            .to_be_bytes()
            .iter()
            .chain(row.action.as_bytes())
            .enumerate()
        {
            h[(i * 7) % 32] = h[(i * 7) % 32].wrapping_add(*b);
        }
        h
    }
}

fn org(name: String) -> Organization {
    Organization {
        id: OrganizationId::new(),
        name,
        kind: OrgKind::Ngo,
        created_at: haven_domain::now(),
    }
}

#[tokio::test]
async fn a_full_database_acknowledges_nothing_it_loses_and_writes_again_when_room_returns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("haven.db");
    let options = OpenOptions {
        sqlite_reserve_mib: 0,
        ..OpenOptions::default()
    };
    let store = Arc::new(SqliteStore::open(&path, &options).await.unwrap());
    store.migrate().await.unwrap();
    // Leave room for a few hundred rows, then fill it.
    let pages: i64 = {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&mut c)
            .await
            .unwrap()
    };
    store
        .set_max_page_count(u64::try_from(pages).unwrap() + 12)
        .await
        .unwrap();

    let acked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let other_errors = Arc::new(AtomicUsize::new(0));
    let full_errors = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    // Eight writers of data, each with its audit entry in its transaction.
    for w in 0..8 {
        let (store, acked, other, full) = (
            Arc::clone(&store),
            Arc::clone(&acked),
            Arc::clone(&other_errors),
            Arc::clone(&full_errors),
        );
        tasks.push(tokio::spawn(async move {
            let mut failures = 0;
            let mut i = 0;
            while failures < 25 {
                i += 1;
                let o = org(format!("Organization {w}-{i} {}", "x".repeat(200)));
                let audit =
                    AuditEntry::new(AuditAction::OrganizationCreated).on("organization", o.id);
                match store.create_organization(&o, &audit).await {
                    Ok(()) => acked.lock().unwrap().push(o.id),
                    Err(StoreError::Full) => {
                        failures += 1;
                        full.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        failures += 1;
                        other.fetch_add(1, Ordering::Relaxed);
                        eprintln!("writer: {e}");
                    }
                }
            }
        }));
    }
    // The audit writer (read entries, chained as written) and the sealer.
    {
        let (store, other, full) = (
            Arc::clone(&store),
            Arc::clone(&other_errors),
            Arc::clone(&full_errors),
        );
        tasks.push(tokio::spawn(async move {
            let mut failures = 0;
            while failures < 25 {
                let batch = vec![AuditEntry::new(AuditAction::RecordViewed).on("case", "x"); 20];
                match store.append_chained_audit(&batch, &TestChain).await {
                    Ok(()) => {}
                    Err(StoreError::Full) => {
                        failures += 1;
                        full.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        failures += 1;
                        other.fetch_add(1, Ordering::Relaxed);
                        eprintln!("audit writer: {e}");
                    }
                }
                match store.seal_pending_audit(50, &TestChain).await {
                    Ok(_) | Err(StoreError::Full) => {}
                    Err(e) => {
                        other.fetch_add(1, Ordering::Relaxed);
                        eprintln!("sealer: {e}");
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let acked: Vec<OrganizationId> = acked.lock().unwrap().clone();
    assert!(acked.len() > 10, "some writes fit: {}", acked.len());
    assert!(
        full_errors.load(Ordering::Relaxed) > 0,
        "the database filled"
    );
    assert_eq!(
        other_errors.load(Ordering::Relaxed),
        0,
        "a full database says so, and nothing gets stuck in a transaction"
    );
    // Reads go on while it is full.
    assert!(store.organization(acked[0]).await.unwrap().is_some());

    // Room comes back: writes resume on the same store, no restart.
    store.set_max_page_count(0).await.unwrap();
    let later = org("After the disk was freed".into());
    store
        .create_organization(&later, &AuditEntry::new(AuditAction::OrganizationCreated))
        .await
        .expect("writes resume by themselves");
    store
        .append_chained_audit(&[AuditEntry::new(AuditAction::RecordViewed)], &TestChain)
        .await
        .expect("the audit writer resumes");
    // A case too: a different table, its own transaction.
    let facts = haven_domain::access::CaseFacts {
        id: haven_domain::CaseId::new(),
        organization: later.id,
        team: Vec::new(),
        flag_1367: false,
    };
    store
        .create_case(
            &facts,
            haven_domain::now(),
            &AuditEntry::new(AuditAction::CaseCreated),
        )
        .await
        .unwrap();
    while store.seal_pending_audit(500, &TestChain).await.unwrap() > 0 {}
    store.close().await;

    // Everything acknowledged is there after a restart, and the chain has
    // no gap.
    let store = SqliteStore::open(&path, &options).await.unwrap();
    for id in acked.iter().chain([&later.id]) {
        assert!(
            store.organization(*id).await.unwrap().is_some(),
            "acknowledged, then lost: {id}"
        );
    }
    let chained = store.sealed_audit_after(0, 1_000_000).await.unwrap();
    for (i, r) in chained.iter().enumerate() {
        assert_eq!(r.chain_seq, Some(i as i64 + 1), "a gap in the chain");
    }
    assert_eq!(store.count_unsealed_audit().await.unwrap(), 0);
    store.close().await;
}
