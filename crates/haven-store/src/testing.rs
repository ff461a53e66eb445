//! Fresh, migrated stores for tests, on both backends.
//!
//! PostgreSQL tests need `HAVEN_TEST_POSTGRES_URL` (the test command starts a
//! throwaway server and sets it). When it is missing the test fails loudly:
//! a suite that silently ran on one backend would prove nothing.

use crate::{DatabaseTarget, DynStore, OpenOptions};

/// Runs `async fn name(db: TestDb)` once per database, each as its own test:
/// `name::sqlite` and `name::postgres` (run one alone with
/// `cargo test -- name::sqlite`). The store is closed after the test.
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let db = $crate::testing::sqlite().await;
                let store = db.store.clone();
                super::$name(db).await;
                store.close().await;
            }
            #[tokio::test]
            async fn postgres() {
                let db = $crate::testing::postgres().await;
                let store = db.store.clone();
                super::$name(db).await;
                store.close().await;
            }
        }
    };
}
use std::path::Path;

/// The environment variable that names the PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "HAVEN_TEST_POSTGRES_URL";

/// Keeps a test database alive (the SQLite directory) while the test runs.
pub struct TestDb {
    pub store: DynStore,
    pub target: DatabaseTarget,
    pub name: &'static str,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A store a test opened itself (through a proxy, with options of its
    /// own), with nothing to clean up.
    #[must_use]
    pub fn opened(store: DynStore, target: DatabaseTarget, name: &'static str) -> Self {
        Self {
            store,
            target,
            name,
            _dir: None,
        }
    }
}

/// The URL of the PostgreSQL server the test command started.
///
/// # Panics
/// When the variable is not set.
#[must_use]
pub fn postgres_server_url() -> String {
    std::env::var(POSTGRES_ENV).unwrap_or_else(|_| {
        panic!(
            "{POSTGRES_ENV} is not set. Every store test runs on SQLite and PostgreSQL; \
             run the suite with ./scripts/test, which starts a throwaway PostgreSQL"
        )
    })
}

/// A new, migrated SQLite database in a temporary directory.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = DatabaseTarget::parse(None, dir.path()).expect("sqlite target");
    // A small reserve: every test database writes it.
    let options = OpenOptions {
        sqlite_reserve_mib: 1,
        ..OpenOptions::default()
    };
    let store = crate::open(&target, &options).await.expect("open sqlite");
    store.migrate().await.expect("migrate sqlite");
    TestDb {
        store,
        target,
        name: "sqlite",
        _dir: Some(dir),
    }
}

/// A new database on the test PostgreSQL server, migrated.
pub async fn postgres() -> TestDb {
    let url = fresh_postgres_database().await;
    let target = DatabaseTarget::parse(Some(&url), Path::new(".")).expect("postgres target");
    let options = OpenOptions {
        max_connections: 8,
        ..OpenOptions::default()
    };
    let store = crate::open(&target, &options).await.expect("open postgres");
    store.migrate().await.expect("migrate postgres");
    TestDb {
        store,
        target,
        name: "postgres",
        _dir: None,
    }
}

/// Creates an empty database with a unique name and returns its URL.
pub async fn fresh_postgres_database() -> String {
    use sqlx::Connection;
    let server = postgres_server_url();
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL ({POSTGRES_ENV}): {e}"));
    let name = format!("haven_test_{}", uuid::Uuid::new_v4().simple());
    // The name is generated here from a UUID: no injection is possible.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let _ = admin.close().await;
    let mut url = url::Url::parse(&server).expect("test PostgreSQL URL");
    url.set_path(&name);
    url.to_string()
}

/// Both backends, each fresh and migrated.
pub async fn both() -> [TestDb; 2] {
    [sqlite().await, postgres().await]
}
