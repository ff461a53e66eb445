// Signing in on both databases (see `sign_in.rs`).

use super::Store;
use super::record::ts;
use super::rows::change_one;
use super::rows::commit_audited;
use super::rows::commit_with;
use super::rows::count_of;
use super::rows::row_by;
use super::rows::rows_by;
use crate::ApiToken;
use crate::FailureCount;
use crate::MfaRecord;
use crate::MfaStore;
use crate::SessionRecord;
use crate::SessionStore;
use crate::StoreError;
use crate::StoreResult;
use crate::ThrottleStore;
use crate::TokenStore;
use crate::backend::row::Columns;
use crate::sign_in::{join_scopes, parse_scopes};
use async_trait::async_trait;
use haven_domain::ApiTokenId;
use haven_domain::AuditEntry;
use haven_domain::OrgKind;
use haven_domain::Organization;
use haven_domain::OrganizationId;
use haven_domain::SessionId;
use haven_domain::SessionStage;
use haven_domain::User;
use haven_domain::UserId;
use time::OffsetDateTime;

fn session_from_row(row: &impl Columns) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id: SessionId::from_uuid(row.col("id")?),
        token_hash: crate::bytes32(row.col("token_hash")?, "sessions.token_hash")?,
        user_id: UserId::from_uuid(row.col("user_id")?),
        created_at: row.col("created_at")?,
        last_seen_at: row.col("last_seen_at")?,
        csrf_token: crate::bytes32(row.col("csrf_token")?, "sessions.csrf_token")?,
        stage: SessionStage::parse(row.col("stage")?)
            .ok_or(StoreError::Corrupt("sessions.stage"))?,
    })
}

#[async_trait]
impl SessionStore for Store {
    async fn create_session(&self, s: &SessionRecord, audit: &AuditEntry) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!("INSERT INTO sessions (token_hash, id, user_id, created_at, last_seen_at, csrf_token, stage)
             VALUES ($1, $2, $3, $4, $5, $6, $7)"))
        .bind(&s.token_hash[..])
        .bind(s.id.as_uuid())
        .bind(s.user_id.as_uuid())
        .bind(ts(s.created_at))
        .bind(ts(s.last_seen_at))
        .bind(&s.csrf_token[..])
        .bind(s.stage.as_str())
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "session"))?;
        commit_audited(tx, audit).await
    }

    async fn session_by_token_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<SessionRecord>> {
        let Some(row) = sqlx::query(sql!(
            "SELECT token_hash, id, user_id, created_at, last_seen_at, csrf_token, stage
             FROM sessions WHERE token_hash = $1"
        ))
        .bind(&hash[..])
        .fetch_optional(reader!(self))
        .await?
        else {
            return Ok(None);
        };
        session_from_row(&row).map(Some)
    }

    async fn session_context(
        &self,
        hash: &[u8; 32],
    ) -> StoreResult<Option<(SessionRecord, User, Option<Organization>)>> {
        let Some(row) = sqlx::query(sql!(concat!("SELECT s.token_hash AS s_token_hash, s.id AS s_id, s.created_at AS s_created_at,
                    s.last_seen_at AS s_last_seen_at, s.csrf_token AS s_csrf_token, s.stage AS s_stage,
                    u.id, u.organization_id, u.login, u.display_name, u.password_hash, u.disabled, u.created_at,
                    (SELECT ", string_agg!(), "(role, ',') FROM user_roles r WHERE r.user_id = u.id) AS roles,
                    o.id AS o_id, o.name AS o_name, o.kind AS o_kind, o.created_at AS o_created_at
             FROM sessions s JOIN users u ON u.id = s.user_id
             LEFT JOIN organizations o ON o.id = u.organization_id
             WHERE s.token_hash = $1")))
        .bind(&hash[..])
        .fetch_optional(reader!(self))
        .await?
        else {
            return Ok(None);
        };
        let user = super::people::user_from_row(&row)?;
        let session = SessionRecord {
            id: SessionId::from_uuid(row.col("s_id")?),
            token_hash: crate::bytes32(row.col("s_token_hash")?, "sessions.token_hash")?,
            user_id: user.id,
            created_at: row.col("s_created_at")?,
            last_seen_at: row.col("s_last_seen_at")?,
            csrf_token: crate::bytes32(row.col("s_csrf_token")?, "sessions.csrf_token")?,
            stage: SessionStage::parse(row.col("s_stage")?)
                .ok_or(StoreError::Corrupt("sessions.stage"))?,
        };
        let org = match row.col::<Option<uuid::Uuid>>("o_id")? {
            Some(id) => Some(Organization {
                id: OrganizationId::from_uuid(id),
                name: row.col("o_name")?,
                kind: OrgKind::parse(row.col("o_kind")?)
                    .ok_or(StoreError::Corrupt("organizations.kind"))?,
                created_at: row.col("o_created_at")?,
            }),
            None => None,
        };
        Ok(Some((session, user, org)))
    }

    async fn sessions_of(&self, user: UserId) -> StoreResult<Vec<SessionRecord>> {
        let sql = sql!(
            "SELECT token_hash, id, user_id, created_at, last_seen_at, csrf_token, stage
             FROM sessions WHERE user_id = $1 ORDER BY last_seen_at DESC, id"
        );
        rows_by(self, sql, user.as_uuid(), session_from_row).await
    }

    async fn touch_session(&self, id: SessionId, at: OffsetDateTime) -> StoreResult<()> {
        sqlx::query(sql!("UPDATE sessions SET last_seen_at = $1 WHERE id = $2"))
            .bind(ts(at))
            .bind(id.as_uuid())
            .execute(writer!(self))
            .await?;
        Ok(())
    }

    async fn delete_session(&self, id: SessionId, audit: Option<&AuditEntry>) -> StoreResult<()> {
        write_tx!(self, tx);
        let done = sqlx::query(sql!("DELETE FROM sessions WHERE id = $1"))
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await?;
        commit_with(tx, audit.filter(|_| done.rows_affected() > 0)).await?;
        Ok(())
    }

    async fn delete_sessions_for_user(
        &self,
        user: UserId,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<u64> {
        write_tx!(self, tx);
        let n = sqlx::query(sql!("DELETE FROM sessions WHERE user_id = $1"))
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        commit_with(tx, audit).await?;
        Ok(n)
    }

    async fn count_sessions_for_user(&self, user: UserId) -> StoreResult<u64> {
        count_of(
            self,
            sqlx::query(sql!("SELECT count(*) FROM sessions WHERE user_id = $1"))
                .bind(user.as_uuid()),
        )
        .await
    }
}

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
        commit_with(tx, audit).await?;
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
        count_of(
            self,
            sqlx::query(sql!(
                "SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL"
            ))
            .bind(user.as_uuid()),
        )
        .await
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

fn token_from_row(r: &impl Columns) -> StoreResult<ApiToken> {
    let opt = |col: &'static str| -> StoreResult<Option<OffsetDateTime>> { r.col(col) };
    Ok(ApiToken {
        id: ApiTokenId::from_uuid(r.col("id")?),
        token_hash: crate::bytes32(r.col("token_hash")?, "api_tokens.token_hash")?,
        user_id: UserId::from_uuid(r.col("user_id")?),
        name: r.col("name")?,
        scopes: parse_scopes(r.col("scopes")?)?,
        created_at: r.col("created_at")?,
        expires_at: r.col("expires_at")?,
        revoked_at: opt("revoked_at")?,
        last_used_at: opt("last_used_at")?,
    })
}

#[async_trait]
impl TokenStore for Store {
    async fn create_api_token(&self, t: &ApiToken, audit: &AuditEntry) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!("INSERT INTO api_tokens (id, token_hash, user_id, name, scopes, created_at, expires_at, revoked_at, last_used_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL)"))
        .bind(t.id.as_uuid())
        .bind(&t.token_hash[..])
        .bind(t.user_id.as_uuid())
        .bind(&t.name)
        .bind(join_scopes(&t.scopes))
        .bind(ts(t.created_at))
        .bind(ts(t.expires_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "token"))?;
        commit_audited(tx, audit).await
    }

    async fn api_token_by_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<ApiToken>> {
        let sql = sql!(
            "SELECT id, token_hash, user_id, name, scopes, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = $1"
        );
        row_by(self, sql, &hash[..], token_from_row).await
    }

    async fn api_tokens_of(&self, user: UserId) -> StoreResult<Vec<ApiToken>> {
        let sql = sql!(
            "SELECT id, token_hash, user_id, name, scopes, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
        );
        rows_by(self, sql, user.as_uuid(), token_from_row).await
    }

    async fn revoke_api_token(
        &self,
        id: ApiTokenId,
        user: UserId,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let q = sqlx::query(sql!("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL"))
            .bind(ts(at))
            .bind(id.as_uuid())
            .bind(user.as_uuid());
        change_one(self, q, audit).await
    }

    async fn touch_api_token(&self, id: ApiTokenId, at: OffsetDateTime) -> StoreResult<()> {
        sqlx::query(sql!(
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2"
        ))
        .bind(ts(at))
        .bind(id.as_uuid())
        .execute(writer!(self))
        .await?;
        Ok(())
    }
}
