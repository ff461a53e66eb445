use super::PgStore;
use crate::{
    AuditRow, AuditStore, Ciphertext, EncryptedColumn, KeyStore, Seal, StoreError, StoreResult,
    StoredKey,
};
use async_trait::async_trait;
use haven_domain::{AuditEntry, OrganizationId, UserId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;
use uuid::Uuid;

/// Inserts one audit entry on `conn`: callers pass their transaction so the
/// entry commits or rolls back with the action it records.
pub(crate) async fn insert_audit(conn: &mut PgConnection, e: &AuditEntry) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_user, actor_org, action, resource_kind, resource_id, request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(e.at)
    .bind(e.actor_user.map(|u| *u.as_uuid()))
    .bind(e.actor_org.map(|o| *o.as_uuid()))
    .bind(e.action.as_str())
    .bind(e.resource_kind)
    .bind(e.resource_id.as_deref())
    .bind(e.request_id.as_deref())
    .execute(conn)
    .await?;
    Ok(())
}

macro_rules! audit_select {
    ($rest:literal) => {
        concat!(
            "SELECT id, at, actor_user, actor_org, action, resource_kind, resource_id, request_id, \
             chain_seq, prev_hash, hash FROM audit_log ",
            $rest
        )
    };
}

fn audit_row(row: &PgRow) -> StoreResult<AuditRow> {
    Ok(AuditRow {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        actor_user: row
            .try_get::<Option<Uuid>, _>("actor_user")?
            .map(UserId::from_uuid),
        actor_org: row
            .try_get::<Option<Uuid>, _>("actor_org")?
            .map(OrganizationId::from_uuid),
        action: row.try_get("action")?,
        resource_kind: row.try_get("resource_kind")?,
        resource_id: row.try_get("resource_id")?,
        request_id: row.try_get("request_id")?,
        chain_seq: row.try_get("chain_seq")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

#[async_trait]
impl AuditStore for PgStore {
    async fn append_audit(&self, entries: &[AuditEntry]) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        for e in entries {
            insert_audit(&mut tx, e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn unsealed_audit(&self, limit: u32) -> StoreResult<Vec<AuditRow>> {
        sqlx::query(audit_select!(
            "WHERE chain_seq IS NULL ORDER BY id LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(audit_row)
        .collect()
    }

    async fn audit_head(&self) -> StoreResult<Option<(i64, Vec<u8>)>> {
        let row = sqlx::query("SELECT chain_seq, hash FROM audit_log WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1")
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| Ok((r.try_get("chain_seq")?, r.try_get::<Vec<u8>, _>("hash")?)))
            .transpose()
    }

    async fn seal_audit(&self, seals: &[Seal]) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        for s in seals {
            let done = sqlx::query(
                "UPDATE audit_log SET chain_seq = $1, prev_hash = $2, hash = $3 WHERE id = $4 AND chain_seq IS NULL",
            )
            .bind(s.chain_seq)
            .bind(&s.prev_hash[..])
            .bind(&s.hash[..])
            .bind(s.id)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, "chain_seq"))?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict { field: "chain_seq" });
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn sealed_audit_after(&self, after: i64, limit: u32) -> StoreResult<Vec<AuditRow>> {
        sqlx::query(audit_select!(
            "WHERE chain_seq > $1 ORDER BY chain_seq LIMIT $2"
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(audit_row)
        .collect()
    }

    async fn audit_for_resource(
        &self,
        kind: &str,
        id: &str,
        limit: u32,
    ) -> StoreResult<Vec<AuditRow>> {
        sqlx::query(audit_select!(
            "WHERE resource_kind = $1 AND resource_id = $2 ORDER BY at DESC, id DESC LIMIT $3"
        ))
        .bind(kind)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(audit_row)
        .collect()
    }

    async fn count_unsealed_audit(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE chain_seq IS NULL")
            .fetch_one(self.pool())
            .await?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt("audit_log"))
    }
}

#[async_trait]
impl KeyStore for PgStore {
    async fn ciphertexts_not_under(
        &self,
        column: EncryptedColumn,
        key_id: u32,
        limit: u32,
    ) -> StoreResult<Vec<Ciphertext>> {
        // One literal statement per registered column (no SQL is built from strings).
        let sql = match column {
            EncryptedColumn::MfaSecret => {
                "SELECT user_id AS row_id, secret AS bytes FROM user_mfa WHERE secret IS NOT NULL AND substring(secret from 2 for 4) <> $1 ORDER BY user_id LIMIT $2"
            }
            EncryptedColumn::PersonName => {
                "SELECT id AS row_id, name AS bytes FROM persons WHERE name IS NOT NULL AND substring(name from 2 for 4) <> $1 ORDER BY id LIMIT $2"
            }
            EncryptedColumn::EmergencyReason => {
                "SELECT id AS row_id, reason AS bytes FROM emergency_access WHERE reason IS NOT NULL AND substring(reason from 2 for 4) <> $1 ORDER BY id LIMIT $2"
            }
            EncryptedColumn::PersonBirthDate => {
                "SELECT id AS row_id, birth_date AS bytes FROM persons WHERE birth_date IS NOT NULL AND substring(birth_date from 2 for 4) <> $1 ORDER BY id LIMIT $2"
            }
        };
        sqlx::query(sql)
            .bind(&key_id.to_be_bytes()[..])
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                Ok(Ciphertext {
                    row: r.try_get::<Uuid, _>("row_id")?.to_string(),
                    bytes: r.try_get("bytes")?,
                })
            })
            .collect()
    }

    async fn replace_ciphertext(
        &self,
        column: EncryptedColumn,
        row: &str,
        old: &[u8],
        new: &[u8],
    ) -> StoreResult<bool> {
        let id = Uuid::parse_str(row).map_err(|_| StoreError::Corrupt("ciphertext row id"))?;
        let sql = match column {
            EncryptedColumn::MfaSecret => {
                "UPDATE user_mfa SET secret = $1 WHERE user_id = $2 AND secret = $3"
            }
            EncryptedColumn::PersonName => {
                "UPDATE persons SET name = $1 WHERE id = $2 AND name = $3"
            }
            EncryptedColumn::EmergencyReason => {
                "UPDATE emergency_access SET reason = $1 WHERE id = $2 AND reason = $3"
            }
            EncryptedColumn::PersonBirthDate => {
                "UPDATE persons SET birth_date = $1 WHERE id = $2 AND birth_date = $3"
            }
        };
        let done = sqlx::query(sql)
            .bind(new)
            .bind(id)
            .bind(old)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn count_ciphertexts_under(
        &self,
        column: EncryptedColumn,
        key_id: u32,
    ) -> StoreResult<u64> {
        let sql = match column {
            EncryptedColumn::MfaSecret => {
                "SELECT count(*) FROM user_mfa WHERE secret IS NOT NULL AND substring(secret from 2 for 4) = $1"
            }
            EncryptedColumn::PersonName => {
                "SELECT count(*) FROM persons WHERE name IS NOT NULL AND substring(name from 2 for 4) = $1"
            }
            EncryptedColumn::EmergencyReason => {
                "SELECT count(*) FROM emergency_access WHERE reason IS NOT NULL AND substring(reason from 2 for 4) = $1"
            }
            EncryptedColumn::PersonBirthDate => {
                "SELECT count(*) FROM persons WHERE birth_date IS NOT NULL AND substring(birth_date from 2 for 4) = $1"
            }
        };
        let n: i64 = sqlx::query_scalar(sql)
            .bind(&key_id.to_be_bytes()[..])
            .fetch_one(self.pool())
            .await?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt("ciphertext count"))
    }

    async fn data_keys(&self) -> StoreResult<Vec<StoredKey>> {
        sqlx::query("SELECT id, wrapped, created_at, retired_at FROM data_keys ORDER BY id")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                Ok(StoredKey {
                    id: u32::try_from(r.try_get::<i64, _>("id")?)
                        .map_err(|_| StoreError::Corrupt("data_keys.id"))?,
                    wrapped: r.try_get("wrapped")?,
                    created_at: r.try_get("created_at")?,
                    retired_at: r.try_get("retired_at")?,
                })
            })
            .collect()
    }

    async fn add_data_key(&self, key: &StoredKey, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO data_keys (id, wrapped, created_at, retired_at) VALUES ($1, $2, $3, NULL)",
        )
        .bind(i64::from(key.id))
        .bind(&key.wrapped)
        .bind(key.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "key id"))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn retire_data_key(&self, id: u32, at: OffsetDateTime) -> StoreResult<()> {
        sqlx::query("UPDATE data_keys SET retired_at = $1 WHERE id = $2 AND retired_at IS NULL")
            .bind(at)
            .bind(i64::from(id))
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
