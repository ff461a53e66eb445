use super::Store;
use super::audit::insert_audit;
use super::record::ts;
use crate::backend::row::Columns;
use crate::{FailureCount, StoreError, StoreResult, ThrottleStore};
use async_trait::async_trait;
use haven_domain::AuditEntry;
use time::OffsetDateTime;

#[async_trait]
impl ThrottleStore for Store {
    async fn record_sign_in_failure(
        &self,
        key: &[u8; 32],
        at: OffsetDateTime,
        forget_before: OffsetDateTime,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!(
            "DELETE FROM sign_in_failures WHERE key = $1 AND at < $2"
        ))
        .bind(&key[..])
        .bind(ts(forget_before))
        .execute(&mut *tx)
        .await?;
        sqlx::query(sql!(
            "INSERT INTO sign_in_failures (key, at) VALUES ($1, $2)"
        ))
        .bind(&key[..])
        .bind(ts(at))
        .execute(&mut *tx)
        .await?;
        if let Some(a) = audit {
            insert_audit(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn sign_in_failures_since(
        &self,
        key: &[u8; 32],
        since: OffsetDateTime,
    ) -> StoreResult<FailureCount> {
        let row = sqlx::query(sql!(
            "SELECT count(*) AS n, max(at) AS last FROM sign_in_failures WHERE key = $1 AND at >= $2"
        ))
        .bind(&key[..])
        .bind(ts(since))
        .fetch_one(reader!(self))
        .await?;
        let (n, last): (i64, Option<OffsetDateTime>) = (row.col("n")?, row.col("last")?);
        Ok(FailureCount {
            count: u64::try_from(n).map_err(|_| StoreError::Corrupt("sign_in_failures"))?,
            last,
        })
    }

    async fn clear_sign_in_failures(&self, key: &[u8; 32]) -> StoreResult<()> {
        sqlx::query(sql!("DELETE FROM sign_in_failures WHERE key = $1"))
            .bind(&key[..])
            .execute(writer!(self))
            .await?;
        Ok(())
    }
}
