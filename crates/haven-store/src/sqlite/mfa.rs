use super::audit::insert_audit;
use super::{SqliteStore, from_millis, to_millis};
use crate::{MfaRecord, MfaStore, StoreError, StoreResult};
use async_trait::async_trait;
use haven_domain::{AuditEntry, UserId};
use sqlx::Row;
use time::OffsetDateTime;

#[async_trait]
impl MfaStore for SqliteStore {
    async fn mfa(&self, user: UserId) -> StoreResult<Option<MfaRecord>> {
        let Some(row) =
            sqlx::query("SELECT secret, enabled_at, last_step FROM user_mfa WHERE user_id = ?")
                .bind(user.as_uuid())
                .fetch_optional(&mut *self.read().await?)
                .await?
        else {
            return Ok(None);
        };
        Ok(Some(MfaRecord {
            secret: row.try_get("secret")?,
            enabled_at: row
                .try_get::<Option<i64>, _>("enabled_at")?
                .map(|ms| from_millis(ms, "user_mfa.enabled_at"))
                .transpose()?,
            last_step: row.try_get("last_step")?,
        }))
    }

    async fn put_pending_mfa(&self, user: UserId, secret: &[u8]) -> StoreResult<()> {
        let done = sqlx::query(
            "INSERT INTO user_mfa (user_id, secret, enabled_at, last_step) VALUES (?, ?, NULL, 0)
             ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = 0
             WHERE user_mfa.enabled_at IS NULL",
        )
        .bind(user.as_uuid())
        .bind(secret)
        .execute(&mut *self.write().await?)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict { field: "mfa" });
        }
        Ok(())
    }

    async fn enable_mfa(
        &self,
        user: UserId,
        step: i64,
        recovery_hashes: &[[u8; 32]],
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        let done = sqlx::query(
            "UPDATE user_mfa SET enabled_at = ?, last_step = ? WHERE user_id = ? AND enabled_at IS NULL",
        )
        .bind(to_millis(at))
        .bind(step)
        .bind(user.as_uuid())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict { field: "mfa" });
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = ?")
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await?;
        for h in recovery_hashes {
            sqlx::query(
                "INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES (?, ?, NULL)",
            )
            .bind(user.as_uuid())
            .bind(&h[..])
            .execute(&mut *tx)
            .await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn accept_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE user_mfa SET last_step = ? WHERE user_id = ? AND enabled_at IS NOT NULL AND last_step < ?",
        )
        .bind(step)
        .bind(user.as_uuid())
        .bind(step)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        hash: &[u8; 32],
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
        )
        .bind(to_millis(at))
        .bind(user.as_uuid())
        .bind(&hash[..])
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn unused_recovery_codes(&self, user: UserId) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL",
        )
        .bind(user.as_uuid())
        .fetch_one(&mut *self.read().await?)
        .await?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt("recovery_codes"))
    }

    async fn reset_mfa(&self, user: UserId, audit: &AuditEntry) -> StoreResult<()> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = ?")
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM user_mfa WHERE user_id = ?")
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }
}
