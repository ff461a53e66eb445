use super::audit::insert_audit;
use super::{SqliteStore, from_millis, to_millis};
use crate::{ApiToken, StoreError, StoreResult, TokenStore, join_scopes, parse_scopes};
use async_trait::async_trait;
use haven_domain::{ApiTokenId, AuditEntry, UserId};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;

fn token_from_row(r: &SqliteRow) -> StoreResult<ApiToken> {
    let opt = |col: &'static str| -> StoreResult<Option<OffsetDateTime>> {
        r.try_get::<Option<i64>, _>(col)?
            .map(|ms| from_millis(ms, col))
            .transpose()
    };
    Ok(ApiToken {
        id: ApiTokenId::from_uuid(r.try_get("id")?),
        token_hash: crate::bytes32(r.try_get("token_hash")?, "api_tokens.token_hash")?,
        user_id: UserId::from_uuid(r.try_get("user_id")?),
        name: r.try_get("name")?,
        scopes: parse_scopes(r.try_get("scopes")?)?,
        created_at: from_millis(r.try_get("created_at")?, "api_tokens.created_at")?,
        expires_at: from_millis(r.try_get("expires_at")?, "api_tokens.expires_at")?,
        revoked_at: opt("revoked_at")?,
        last_used_at: opt("last_used_at")?,
    })
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn create_api_token(&self, t: &ApiToken, audit: &AuditEntry) -> StoreResult<()> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, token_hash, user_id, name, scopes, created_at, expires_at, revoked_at, last_used_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
        )
        .bind(t.id.as_uuid())
        .bind(&t.token_hash[..])
        .bind(t.user_id.as_uuid())
        .bind(&t.name)
        .bind(join_scopes(&t.scopes))
        .bind(to_millis(t.created_at))
        .bind(to_millis(t.expires_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "token"))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn api_token_by_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<ApiToken>> {
        sqlx::query("SELECT id, token_hash, user_id, name, scopes, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = ?")
            .bind(&hash[..])
            .fetch_optional(&mut *self.read().await?)
            .await?
            .as_ref()
            .map(token_from_row)
            .transpose()
    }

    async fn api_tokens_of(&self, user: UserId) -> StoreResult<Vec<ApiToken>> {
        sqlx::query("SELECT id, token_hash, user_id, name, scopes, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id DESC")
            .bind(user.as_uuid())
            .fetch_all(&mut *self.read().await?)
            .await?
            .iter()
            .map(token_from_row)
            .collect()
    }

    async fn revoke_api_token(
        &self,
        id: ApiTokenId,
        user: UserId,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL")
            .bind(to_millis(at))
            .bind(id.as_uuid())
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 1 {
            insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn touch_api_token(&self, id: ApiTokenId, at: OffsetDateTime) -> StoreResult<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
            .bind(to_millis(at))
            .bind(id.as_uuid())
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }
}
