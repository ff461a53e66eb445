//! The checks after the tour: every ciphertext column filled, and no canary
//! in the database's bytes or the logs.

use crate::support::*;
use haven_store::columns::{COLUMNS, Column, Holds};
use haven_store::testing::TestDb;

/// `SELECT COUNT(*) FROM table WHERE condition` for each column, on the
/// database directly (as anyone with a copy of it could).
pub async fn count_rows(db: &TestDb, columns: &[(&Column, String)]) -> Vec<i64> {
    use sqlx::Connection;
    let queries: Vec<String> = columns
        .iter()
        .map(|(c, condition)| format!("SELECT COUNT(*) FROM \"{}\" WHERE {condition}", c.table))
        .collect();
    let mut out = Vec::new();
    match &db.target {
        haven_store::DatabaseTarget::Sqlite { path } => {
            let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            for q in queries {
                // Table and column names come from the registry, not from input.
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(q))
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
                out.push(n);
            }
            conn.close().await.unwrap();
        }
        haven_store::DatabaseTarget::Postgres { url } => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            for q in queries {
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(q))
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
                out.push(n);
            }
            conn.close().await.unwrap();
        }
    }
    out
}

/// Every ciphertext column of the registry holds a value; every legacy
/// column is empty.
pub async fn every_ciphertext_column_is_filled(db: &TestDb) {
    let checks: Vec<(&Column, String)> = COLUMNS
        .iter()
        .filter_map(|c| match c.holds {
            Holds::Ciphertext => Some((c, format!("\"{}\" IS NOT NULL", c.name))),
            Holds::Legacy => Some((c, format!("\"{0}\" IS NOT NULL AND \"{0}\" <> ''", c.name))),
            _ => None,
        })
        .collect();
    assert!(
        checks
            .iter()
            .filter(|(c, _)| c.holds == Holds::Ciphertext)
            .count()
            >= 29,
        "the registry lists the ciphertext columns"
    );
    let counts = count_rows(db, &checks).await;
    let empty: Vec<String> = checks
        .iter()
        .zip(&counts)
        .filter(|((c, _), n)| c.holds == Holds::Ciphertext && **n == 0)
        .map(|((c, _), _)| format!("{}.{}", c.table, c.name))
        .collect();
    assert!(
        empty.is_empty(),
        "{}: the tour wrote nothing into these ciphertext columns: {empty:?}",
        db.name
    );
    let legacy: Vec<String> = checks
        .iter()
        .zip(&counts)
        .filter(|((c, _), n)| c.holds == Holds::Legacy && **n > 0)
        .map(|((c, _), _)| format!("{}.{}", c.table, c.name))
        .collect();
    assert!(
        legacy.is_empty(),
        "{}: new data in legacy plaintext columns: {legacy:?}",
        db.name
    );
}

/// Every byte the database keeps: the SQLite file with its WAL and shared
/// memory, or a `pg_dump` of the PostgreSQL database.
pub fn database_bytes(db: &TestDb) -> Vec<u8> {
    match &db.target {
        haven_store::DatabaseTarget::Sqlite { path } => {
            let mut all = std::fs::read(path).unwrap();
            for side in ["-wal", "-shm"] {
                if let Ok(b) = std::fs::read(format!("{}{side}", path.display())) {
                    all.extend(b);
                }
            }
            all
        }
        haven_store::DatabaseTarget::Postgres { url } => {
            let out = std::process::Command::new(pg_dump_binary())
                .arg("--dbname")
                .arg(url)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "pg_dump: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.stdout.len() > 1000);
            out.stdout
        }
    }
}

pub fn pg_dump_binary() -> std::path::PathBuf {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return std::path::Path::new(&dir).join("pg_dump");
    }
    for dir in std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL client tools are installed")
        .flatten()
    {
        let p = dir.path().join("bin/pg_dump");
        if p.exists() {
            return p;
        }
    }
    panic!("pg_dump not found: the test command installs PostgreSQL");
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What must not be found: the canaries (any case), the date of birth, the
/// phone number as typed and as digits, the TOTP secret as shown.
pub fn needles(secret_shown: &str) -> Vec<Vec<u8>> {
    [
        "zyxwvut",
        "quokkabelle",
        BIRTH_DATE,
        PHONE,
        PHONE_DIGITS,
        secret_shown,
    ]
    .iter()
    .map(|s| s.to_ascii_lowercase().into_bytes())
    .collect()
}

/// Where `needle` first occurs in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Fails, showing the surroundings, when a needle is in `hay` (compared
/// without case).
pub fn assert_nowhere(hay: &[u8], needles: &[Vec<u8>], what: &str) {
    let folded = hay.to_ascii_lowercase();
    for n in needles {
        if let Some(at) = find(&folded, n) {
            let from = at.saturating_sub(160);
            let to = (at + n.len() + 160).min(hay.len());
            panic!(
                "{what}: {:?} in plaintext, at byte {at}: ...{}...",
                String::from_utf8_lossy(n),
                hay[from..to].escape_ascii()
            );
        }
    }
}
