use super::audit::insert_audit;
use super::{Db, DbRow, Store};
use crate::StoreResult;
use haven_domain::AuditEntry;

/// Records `audit` in the transaction and commits both: an action and its
/// audit entry are durable together or not at all.
pub(crate) async fn commit_audited(
    mut tx: sqlx::Transaction<'_, Db>,
    audit: &AuditEntry,
) -> StoreResult<()> {
    insert_audit(&mut tx, audit).await?;
    tx.commit().await?;
    Ok(())
}

/// Every row a statement with one parameter returns, decoded: the shape of
/// most list reads ("the interviews of this case").
pub(crate) async fn rows_by<'a, A, T>(
    store: &Store,
    sql: &'static str,
    arg: A,
    decode: impl Fn(&DbRow) -> StoreResult<T> + Send,
) -> StoreResult<Vec<T>>
where
    A: sqlx::Encode<'a, Db> + sqlx::Type<Db> + Send + 'a,
{
    sqlx::query(sql)
        .bind(arg)
        .fetch_all(reader!(store))
        .await?
        .iter()
        .map(decode)
        .collect()
}

/// The row, if any, a statement with one parameter returns, decoded: the
/// shape of most reads by id.
pub(crate) async fn row_by<'a, A, T>(
    store: &Store,
    sql: &'static str,
    arg: A,
    decode: impl Fn(&DbRow) -> StoreResult<T> + Send,
) -> StoreResult<Option<T>>
where
    A: sqlx::Encode<'a, Db> + sqlx::Type<Db> + Send + 'a,
{
    sqlx::query(sql)
        .bind(arg)
        .fetch_optional(reader!(store))
        .await?
        .as_ref()
        .map(decode)
        .transpose()
}
