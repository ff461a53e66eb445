use super::Store;
use super::audit::insert_audit;
use super::record::ts;
use super::rows::{commit_audited, row_by, rows_by};
use crate::backend::row::Columns;
use crate::{ApiToken, StoreError, StoreResult, TokenStore, join_scopes, parse_scopes};
use async_trait::async_trait;
use haven_domain::{ApiTokenId, AuditEntry, UserId};
use time::OffsetDateTime;

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
        write_tx!(self, tx);
        let done = sqlx::query(sql!("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL"))
            .bind(ts(at))
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
