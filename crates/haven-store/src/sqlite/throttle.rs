use super::audit::insert_audit;
use super::{SqliteStore, from_millis, to_millis};
use crate::{FailureCount, StoreError, StoreResult, ThrottleStore};
use async_trait::async_trait;
use haven_domain::AuditEntry;
use time::OffsetDateTime;

#[async_trait]
impl ThrottleStore for SqliteStore {
    async fn record_sign_in_failure(
        &self,
        key: &[u8; 32],
        at: OffsetDateTime,
        forget_before: OffsetDateTime,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<()> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE key = ? AND at < ?")
            .bind(&key[..])
            .bind(to_millis(forget_before))
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO sign_in_failures (key, at) VALUES (?, ?)")
            .bind(&key[..])
            .bind(to_millis(at))
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
        let (n, last): (i64, Option<i64>) = sqlx::query_as(
            "SELECT count(*), max(at) FROM sign_in_failures WHERE key = ? AND at >= ?",
        )
        .bind(&key[..])
        .bind(to_millis(since))
        .fetch_one(&mut *self.read().await?)
        .await?;
        Ok(FailureCount {
            count: u64::try_from(n).map_err(|_| StoreError::Corrupt("sign_in_failures"))?,
            last: last
                .map(|ms| from_millis(ms, "sign_in_failures.at"))
                .transpose()?,
        })
    }

    async fn clear_sign_in_failures(&self, key: &[u8; 32]) -> StoreResult<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE key = ?")
            .bind(&key[..])
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }
}
