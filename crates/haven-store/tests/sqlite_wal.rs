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
