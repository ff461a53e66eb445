use super::audit::insert_audit;
use super::{Db, DbRow, Store};
use crate::{StoreError, StoreResult};
use haven_domain::AuditEntry;
use sqlx::Row;

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

/// Commits `tx`, with `audit` when there is one (work the system does on its
/// own, such as a sweep, has no actor to record).
pub(crate) async fn commit_with(
    mut tx: sqlx::Transaction<'_, Db>,
    audit: Option<&AuditEntry>,
) -> StoreResult<()> {
    if let Some(a) = audit {
        insert_audit(&mut tx, a).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A statement with its parameters bound, ready to run.
pub(crate) type Query<'q> = sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>;

/// Runs `q` in `tx`: whether it changed exactly one row (a missing or stale
/// row changes none, and the caller answers so).
pub(crate) async fn changed_one(
    tx: &mut sqlx::Transaction<'_, Db>,
    q: Query<'_>,
) -> StoreResult<bool> {
    Ok(q.execute(&mut **tx).await?.rows_affected() == 1)
}

/// Runs `q` and, when it changed exactly one row, commits it with `audit`;
/// otherwise nothing is written and the answer is `false`.
pub(crate) async fn change_one(
    store: &Store,
    q: Query<'_>,
    audit: &AuditEntry,
) -> StoreResult<bool> {
    write_tx!(store, tx);
    if !changed_one(&mut tx, q).await? {
        return Ok(false);
    }
    commit_audited(tx, audit).await?;
    Ok(true)
}

/// Every row `q` returns, decoded.
pub(crate) async fn rows_of<T>(
    store: &Store,
    q: Query<'_>,
    decode: impl Fn(&DbRow) -> StoreResult<T> + Send,
) -> StoreResult<Vec<T>> {
    q.fetch_all(reader!(store))
        .await?
        .iter()
        .map(decode)
        .collect()
}

/// The row, if any, `q` returns, decoded (a read by key).
pub(crate) async fn row_of<T>(
    store: &Store,
    q: Query<'_>,
    decode: impl Fn(&DbRow) -> StoreResult<T> + Send,
) -> StoreResult<Option<T>> {
    q.fetch_optional(reader!(store))
        .await?
        .as_ref()
        .map(decode)
        .transpose()
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
    rows_of(store, sqlx::query(sql).bind(arg), decode).await
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
    row_of(store, sqlx::query(sql).bind(arg), decode).await
}

/// The number a `SELECT count(*)` statement answers.
pub(crate) async fn count_of(store: &Store, q: Query<'_>) -> StoreResult<u64> {
    let n: i64 = q.fetch_one(reader!(store)).await?.try_get(0)?;
    u64::try_from(n).map_err(|_| StoreError::Corrupt("count"))
}
