//! The database itself: migrations, backups, opening, read-your-writes and
//! PostgreSQL connections the server ended.

use crate::support::*;
use haven_domain::{AuditAction, AuditEntry, OrgKind, OrganizationId};
use haven_store::testing::{self, TestDb};

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
