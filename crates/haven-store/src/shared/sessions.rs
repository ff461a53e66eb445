use super::Store;
use super::audit::insert_audit;
use super::record::ts;
use super::rows::commit_audited;
use super::rows::rows_by;
use crate::backend::row::Columns;
use crate::{SessionRecord, SessionStore, StoreError, StoreResult};
use async_trait::async_trait;
use haven_domain::{
    AuditEntry, OrgKind, Organization, OrganizationId, SessionId, SessionStage, User, UserId,
};
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
        if let Some(a) = audit.filter(|_| done.rows_affected() > 0) {
            insert_audit(&mut tx, a).await?;
        }
        tx.commit().await?;
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
        if let Some(a) = audit {
            insert_audit(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    async fn count_sessions_for_user(&self, user: UserId) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar(sql!("SELECT count(*) FROM sessions WHERE user_id = $1"))
            .bind(user.as_uuid())
            .fetch_one(reader!(self))
            .await?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt("sessions"))
    }
}
