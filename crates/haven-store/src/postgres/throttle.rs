use super::PgStore;
use super::audit::insert_audit;
use crate::{FailureCount, StoreError, StoreResult, ThrottleStore};
use async_trait::async_trait;
use haven_domain::AuditEntry;
use time::OffsetDateTime;

#[async_trait]
impl ThrottleStore for PgStore {
    async fn record_sign_in_failure(
        &self,
        key: &[u8; 32],
        at: OffsetDateTime,
        forget_before: OffsetDateTime,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE key = $1 AND at < $2")
            .bind(&key[..])
            .bind(forget_before)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO sign_in_failures (key, at) VALUES ($1, $2)")
            .bind(&key[..])
            .bind(at)
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
        let (n, last): (i64, Option<OffsetDateTime>) = sqlx::query_as(
            "SELECT count(*), max(at) FROM sign_in_failures WHERE key = $1 AND at >= $2",
        )
        .bind(&key[..])
        .bind(since)
        .fetch_one(self.pool())
        .await?;
        Ok(FailureCount {
            count: u64::try_from(n).map_err(|_| StoreError::Corrupt("sign_in_failures"))?,
            last,
        })
    }

    async fn clear_sign_in_failures(&self, key: &[u8; 32]) -> StoreResult<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE key = $1")
            .bind(&key[..])
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
