//! SQLite only: readers keep their snapshots between reads (`sqlite::snapshot`),
//! and a WAL can only start over while no reader holds one. This checks that
//! it still does under steady reads and writes, so the file cannot grow
//! without end. And that SQLite is built as `.cargo/config.toml` says.

use haven_domain::{AuditAction, AuditEntry, OrgKind, Organization, OrganizationId};
use haven_store::DatabaseTarget;
use haven_store::testing;
use sqlx::Connection;
use std::time::{Duration, Instant};

#[tokio::test]
async fn the_wal_starts_over_under_steady_reads_and_writes() {
    let db = testing::sqlite().await;
    let DatabaseTarget::Sqlite { path } = &db.target else {
        panic!("a SQLite target");
    };
    let mut probe = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let start = Instant::now();
    let (mut frames, mut started_over) = (0i64, false);
    while start.elapsed() < Duration::from_secs(9) && !started_over {
        for _ in 0..20 {
            let o = Organization {
                id: OrganizationId::new(),
                name: "Steady".into(),
                kind: OrgKind::Ngo,
                created_at: haven_domain::now(),
            };
            db.store
                .create_organization(&o, &AuditEntry::new(AuditAction::OrganizationCreated))
                .await
                .unwrap();
            assert!(db.store.organization(o.id).await.unwrap().is_some());
            // As the audit sealer does, several times a second.
            db.store.count_unsealed_audit().await.unwrap();
        }
        // (busy, frames in the WAL, frames copied): the frame count only
        // drops when the log started over.
        let (_, now, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&mut probe)
            .await
            .unwrap();
        started_over = now < frames;
        frames = now;
    }
    assert!(
        started_over,
        "the WAL grew for nine seconds without starting over ({frames} frames)"
    );
    probe.close().await.unwrap();
    db.store.close().await;
}

/// Built with libsqlite3-sys's defaults, every connection shares one page
/// cache behind one mutex and every allocation takes the statistics mutex:
/// parallel readers contend on both (BENCHMARKS.md, "fourth pass"). The flags
/// in `.cargo/config.toml` undo that; a build without them fails here.
#[tokio::test]
async fn sqlite_is_built_with_a_page_cache_per_connection_and_no_memory_statistics() {
    let mut c = sqlx::SqliteConnection::connect("sqlite::memory:")
        .await
        .unwrap();
    let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
        .fetch_all(&mut c)
        .await
        .unwrap();
    assert!(
        !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
        "{options:?}"
    );
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "{options:?}"
    );
}

/// The WAL file shrinks back to its limit once it starts over, while the
/// server keeps running: without `journal_size_limit` it kept its largest
/// size (110-120 MB beside a 6-36 MB database) until a clean stop.
#[tokio::test]
async fn the_wal_file_shrinks_back_to_its_limit_while_the_server_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("haven.db");
    let options = haven_store::OpenOptions {
        sqlite_reserve_mib: 0,
        sqlite_wal_limit_mib: 1,
        ..haven_store::OpenOptions::default()
    };
    let store = haven_store::sqlite::SqliteStore::open(&path, &options)
        .await
        .unwrap();
    haven_store::SchemaStore::migrate(&store).await.unwrap();
    let wal = dir.path().join("haven.db-wal");
    let size = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let write = |n: usize| {
        let store = &store;
        async move {
            for _ in 0..n {
                let o = Organization {
                    id: OrganizationId::new(),
                    name: "x".repeat(3000),
                    kind: OrgKind::Ngo,
                    created_at: haven_domain::now(),
                };
                haven_store::PeopleStore::create_organization(
                    store,
                    &o,
                    &AuditEntry::new(AuditAction::OrganizationCreated),
                )
                .await
                .unwrap();
            }
        }
    };
    // A burst: several MiB through the WAL faster than checkpoints keep up.
    let mut peak = 0;
    for _ in 0..20 {
        write(150).await;
        peak = peak.max(size());
    }
    assert!(peak > 2 * 1024 * 1024, "the burst grew the WAL: {peak}");
    // Quiet for a few sweeper rounds, then one write: the WAL starts over and
    // is cut back to the limit.
    tokio::time::sleep(Duration::from_secs(5)).await;
    write(1).await;
    let after = size();
    assert!(
        after <= 1024 * 1024 + 64 * 1024,
        "the WAL kept {after} bytes after starting over (peak {peak})"
    );
    haven_store::SchemaStore::close(&store).await;
}
