use super::Store;
use super::record::ts;
use super::rows::commit_audited;
use crate::backend::row::Columns;
use crate::{MfaRecord, MfaStore, StoreError, StoreResult};
use async_trait::async_trait;
use haven_domain::{AuditEntry, UserId};
use time::OffsetDateTime;

#[async_trait]
impl MfaStore for Store {
    async fn mfa(&self, user: UserId) -> StoreResult<Option<MfaRecord>> {
        let Some(row) = sqlx::query(sql!(
            "SELECT secret, enabled_at, last_step FROM user_mfa WHERE user_id = $1"
        ))
        .bind(user.as_uuid())
        .fetch_optional(reader!(self))
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(MfaRecord {
            secret: row.col("secret")?,
            enabled_at: row.col("enabled_at")?,
            last_step: row.col("last_step")?,
        }))
    }

    async fn put_pending_mfa(&self, user: UserId, secret: &[u8]) -> StoreResult<()> {
        let done = sqlx::query(sql!(
            "INSERT INTO user_mfa (user_id, secret, enabled_at, last_step) VALUES ($1, $2, NULL, 0)
             ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = 0
             WHERE user_mfa.enabled_at IS NULL"
        ))
        .bind(user.as_uuid())
        .bind(secret)
        .execute(writer!(self))
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
        write_tx!(self, tx);
        let done = sqlx::query(sql!("UPDATE user_mfa SET enabled_at = $1, last_step = $2 WHERE user_id = $3 AND enabled_at IS NULL"))
        .bind(ts(at))
        .bind(step)
        .bind(user.as_uuid())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict { field: "mfa" });
        }
        sqlx::query(sql!("DELETE FROM recovery_codes WHERE user_id = $1"))
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await?;
        for h in recovery_hashes {
            sqlx::query(sql!(
                "INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES ($1, $2, NULL)"
            ))
            .bind(user.as_uuid())
            .bind(&h[..])
            .execute(&mut *tx)
            .await?;
        }
        commit_audited(tx, audit).await
    }

    async fn accept_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool> {
        let done = sqlx::query(sql!("UPDATE user_mfa SET last_step = $1 WHERE user_id = $2 AND enabled_at IS NOT NULL AND last_step < $3"))
        .bind(step)
        .bind(user.as_uuid())
        .bind(step)
        .execute(writer!(self))
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn use_recovery_code(
        &self,
        user: UserId,
        hash: &[u8; 32],
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let done = sqlx::query(sql!("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL"))
        .bind(ts(at))
        .bind(user.as_uuid())
        .bind(&hash[..])
        .execute(writer!(self))
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn unused_recovery_codes(&self, user: UserId) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar(sql!(
            "SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL"
        ))
        .bind(user.as_uuid())
        .fetch_one(reader!(self))
        .await?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt("recovery_codes"))
    }

    async fn reset_mfa(&self, user: UserId, audit: &AuditEntry) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!("DELETE FROM recovery_codes WHERE user_id = $1"))
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql!("DELETE FROM user_mfa WHERE user_id = $1"))
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await?;
        commit_audited(tx, audit).await
    }
}
