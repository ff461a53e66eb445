//! The column registry (`haven_store::columns`) against each database's real
//! schema: every column of every table is classified, and the columns that
//! hold ciphertext are exactly the ones key rotation re-encrypts.

use haven_store::columns::{COLUMNS, Column, Holds, POSTGRES_ONLY, SQLITE_ONLY};
use haven_store::testing::{self, TestDb};
use haven_store::{DatabaseTarget, EncryptedColumn};
use std::collections::BTreeSet;

async fn schema(db: &TestDb) -> BTreeSet<(String, String)> {
    use sqlx::Connection;
    let rows: Vec<(String, String)> = match &db.target {
        DatabaseTarget::Sqlite { path } => {
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query_as(
                "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p
                 WHERE m.type = 'table'",
            )
            .fetch_all(&mut c)
            .await
            .unwrap()
        }
        DatabaseTarget::Postgres { url } => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema()",
            )
            .fetch_all(&mut c)
            .await
            .unwrap()
        }
    };
    rows.into_iter().collect()
}

async fn registry_matches(db: TestDb, only: &[Column]) {
    let real = schema(&db).await;
    let listed: BTreeSet<(String, String)> = COLUMNS
        .iter()
        .chain(only)
        .map(|c| (c.table.to_owned(), c.name.to_owned()))
        .collect();
    assert_eq!(
        listed.len(),
        COLUMNS.len() + only.len(),
        "a column is listed twice"
    );
    let missing: Vec<_> = real.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&real).collect();
    assert!(
        missing.is_empty() && gone.is_empty(),
        "{}: classify every column in haven-store/src/columns.rs.\nnot listed: {missing:#?}\nlisted but not in the database: {gone:#?}",
        db.name
    );
}

#[tokio::test]
async fn every_sqlite_column_is_classified() {
    registry_matches(testing::sqlite().await, SQLITE_ONLY).await;
}

#[tokio::test]
async fn every_postgres_column_is_classified() {
    registry_matches(testing::postgres().await, POSTGRES_ONLY).await;
}

#[test]
fn ciphertext_columns_are_exactly_the_rotated_ones() {
    let ciphertext: BTreeSet<(&str, &str)> = COLUMNS
        .iter()
        .filter(|c| c.holds == Holds::Ciphertext)
        .map(|c| (c.table, c.name))
        .collect();
    let rotated: BTreeSet<(&str, &str)> =
        EncryptedColumn::ALL.iter().map(|c| c.binding()).collect();
    assert_eq!(ciphertext, rotated);
    assert!(
        SQLITE_ONLY
            .iter()
            .chain(POSTGRES_ONLY)
            .all(|c| c.holds == Holds::NotPersonal)
    );
}
