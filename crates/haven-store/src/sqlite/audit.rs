use super::rows::commit_audited;
use super::{SqliteStore, from_millis, to_millis};
use crate::{
    AuditRow, AuditStore, ChainHasher, Ciphertext, EncryptedColumn, KeyStore, Seal, StoreError,
    StoreResult, StoredKey,
};
use async_trait::async_trait;
use haven_domain::{AuditEntry, OrganizationId, UserId};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;
use uuid::Uuid;

/// Inserts one audit entry on `conn`: callers pass their transaction so the
/// entry commits or rolls back with the action it records.
pub(crate) async fn insert_audit(conn: &mut SqliteConnection, e: &AuditEntry) -> StoreResult<()> {
    insert_row(conn, &crate::entry_row(e), None).await
}

/// Inserts one row, chained with `seal` or unchained.
async fn insert_row(
    conn: &mut SqliteConnection,
    row: &AuditRow,
    seal: Option<&Seal>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_user, actor_org, action, resource_kind, resource_id, request_id,
                                chain_seq, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(to_millis(row.at))
    .bind(row.actor_user.map(|u| *u.as_uuid()))
    .bind(row.actor_org.map(|o| *o.as_uuid()))
    .bind(row.action.as_str())
    .bind(row.resource_kind.as_deref())
    .bind(row.resource_id.as_deref())
    .bind(row.request_id.as_deref())
    .bind(seal.map(|s| s.chain_seq))
    .bind(seal.map(|s| &s.prev_hash[..]))
    .bind(seal.map(|s| &s.hash[..]))
    .execute(conn)
    .await?;
    Ok(())
}

/// The chain's head, read inside a transaction that holds the write lock.
async fn chain_head(conn: &mut SqliteConnection) -> StoreResult<Option<(i64, Vec<u8>)>> {
    let row = sqlx::query(
        "SELECT chain_seq, hash FROM audit_log WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1",
    )
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((r.try_get("chain_seq")?, r.try_get::<Vec<u8>, _>("hash")?)))
        .transpose()
}

/// The chain's head, refused when it is behind or differs from the head this
/// process knows (see [`ChainHasher::known_head`]).
async fn guarded_head(
    conn: &mut SqliteConnection,
    chain: &dyn ChainHasher,
) -> StoreResult<Option<(i64, Vec<u8>)>> {
    let head = chain_head(conn).await?;
    let known = chain.known_head();
    let at_known = match (known, &head) {
        (Some((kseq, _)), Some((seq, _))) if *seq > kseq => Some(
            sqlx::query_scalar::<_, Vec<u8>>("SELECT hash FROM audit_log WHERE chain_seq = ?")
                .bind(kseq)
                .fetch_optional(&mut *conn)
                .await?
                .unwrap_or_default(),
        ),
        _ => None,
    };
    crate::check_known_head(head.as_ref(), known, at_known.as_deref())?;
    Ok(head)
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

fn audit_row(row: &SqliteRow) -> StoreResult<AuditRow> {
    Ok(AuditRow {
        id: row.try_get("id")?,
        at: from_millis(row.try_get("at")?, "audit_log.at")?,
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
impl AuditStore for SqliteStore {
    async fn append_audit(&self, entries: &[AuditEntry]) -> StoreResult<()> {
        let mut guard = self.write_audit().await?;
        let mut tx = guard.begin().await?;
        for e in entries {
            insert_audit(&mut tx, e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn unsealed_audit(&self, limit: u32) -> StoreResult<Vec<AuditRow>> {
        sqlx::query(audit_select!("WHERE chain_seq IS NULL ORDER BY id LIMIT ?"))
            .bind(i64::from(limit))
            .fetch_all(&mut *self.read_audit().await?)
            .await?
            .iter()
            .map(audit_row)
            .collect()
    }

    async fn append_chained_audit(
        &self,
        entries: &[AuditEntry],
        chain: &dyn ChainHasher,
    ) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut guard = self.write_audit().await?;
        let mut tx = guard.begin_chain().await?;
        let rows: Vec<AuditRow> = entries.iter().map(crate::entry_row).collect();
        let seals = crate::chain_after(guarded_head(&mut tx, chain).await?, &rows, chain)?;
        for (row, seal) in rows.iter().zip(&seals) {
            insert_row(&mut tx, row, Some(seal)).await?;
        }
        tx.commit().await?;
        if let Some(last) = seals.last() {
            chain.committed(last.chain_seq, last.hash);
        }
        Ok(())
    }

    async fn seal_pending_audit(&self, limit: u32, chain: &dyn ChainHasher) -> StoreResult<u64> {
        let mut guard = self.write_audit().await?;
        let mut tx = guard.begin_chain().await?;
        let rows = sqlx::query(audit_select!("WHERE chain_seq IS NULL ORDER BY id LIMIT ?"))
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(audit_row)
            .collect::<StoreResult<Vec<_>>>()?;
        if rows.is_empty() {
            // Let go of the chain now, not when the connection is next used.
            tx.rollback().await?;
            return Ok(0);
        }
        let seals = crate::chain_after(guarded_head(&mut tx, chain).await?, &rows, chain)?;
        // One statement for the batch: a statement per entry cost as much as
        // the entry. `+chain_seq` keeps the planner off the chain_seq index
        // (every unsealed entry) and on the batch's ids.
        let batch: Vec<serde_json::Value> = seals
            .iter()
            .map(|s| {
                serde_json::json!([
                    s.id,
                    s.chain_seq,
                    super::hex_json(&s.prev_hash),
                    super::hex_json(&s.hash)
                ])
            })
            .collect();
        let done = sqlx::query(
            "UPDATE audit_log SET chain_seq = s.seq, prev_hash = unhex(s.prev), hash = unhex(s.hash)
               FROM (SELECT value ->> 0 AS id, value ->> 1 AS seq, value ->> 2 AS prev, value ->> 3 AS hash
                       FROM json_each(?)) AS s
              WHERE audit_log.id = s.id AND +audit_log.chain_seq IS NULL",
        )
        .bind(serde_json::Value::Array(batch).to_string())
        .execute(&mut *tx)
        .await?;
        // The write lock was held throughout: nobody else can have sealed them.
        if done.rows_affected() != seals.len() as u64 {
            return Err(StoreError::Conflict { field: "chain_seq" });
        }
        tx.commit().await?;
        if let Some(last) = seals.last() {
            chain.committed(last.chain_seq, last.hash);
        }
        Ok(seals.len() as u64)
    }

    async fn sealed_audit_after(&self, after: i64, limit: u32) -> StoreResult<Vec<AuditRow>> {
        sqlx::query(audit_select!(
            "WHERE chain_seq > ? ORDER BY chain_seq LIMIT ?"
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.read_audit().await?)
        .await?
        .iter()
        .map(audit_row)
        .collect()
    }

    // The repeated `resource_kind <> 'case_list'` is the resource index's
    // predicate: a query must state it for the planner to use that index.
    async fn audit_for_resource(
        &self,
        kind: &str,
        id: &str,
        limit: u32,
    ) -> StoreResult<Vec<AuditRow>> {
        sqlx::query(audit_select!(
            "WHERE resource_kind = ? AND resource_kind <> 'case_list' AND resource_id = ? ORDER BY at DESC, id DESC LIMIT ?"
        ))
        .bind(kind)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.read_audit().await?)
        .await?
        .iter()
        .map(audit_row)
        .collect()
    }

    async fn count_unsealed_audit(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE chain_seq IS NULL")
            .fetch_one(&mut *self.read_audit().await?)
            .await?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt("audit_log"))
    }
}

/// The three statements key rotation runs on one encrypted column (select
/// rows not under a key, compare-and-swap one, count under a key), built from
/// literals so that no SQL is assembled at run time.
macro_rules! rotation_sql {
    ($table:literal, $col:literal, $id:literal) => {
        (
            concat!(
                "SELECT ",
                $id,
                " AS row_id, ",
                $col,
                " AS bytes FROM ",
                $table,
                " WHERE ",
                $col,
                " IS NOT NULL AND substr(",
                $col,
                ", 2, 4) <> ? ORDER BY ",
                $id,
                " LIMIT ?"
            ),
            concat!(
                "UPDATE ",
                $table,
                " SET ",
                $col,
                " = ? WHERE ",
                $id,
                " = ? AND ",
                $col,
                " = ?"
            ),
            concat!(
                "SELECT count(*) FROM ",
                $table,
                " WHERE ",
                $col,
                " IS NOT NULL AND substr(",
                $col,
                ", 2, 4) = ?"
            ),
        )
    };
}

fn rotation_sql(column: EncryptedColumn) -> (&'static str, &'static str, &'static str) {
    match column {
        EncryptedColumn::MfaSecret => rotation_sql!("user_mfa", "secret", "user_id"),
        EncryptedColumn::PersonName => rotation_sql!("persons", "name", "id"),
        EncryptedColumn::PersonBirthDate => rotation_sql!("persons", "birth_date", "id"),
        EncryptedColumn::EmergencyReason => rotation_sql!("emergency_access", "reason", "id"),
        EncryptedColumn::PersonProfile => rotation_sql!("persons", "profile", "id"),
        EncryptedColumn::CaseProfile => rotation_sql!("cases", "profile", "id"),
        EncryptedColumn::EntryBody => rotation_sql!("case_entries", "body", "id"),
        EncryptedColumn::AttachmentName => rotation_sql!("case_attachments", "name", "id"),
        EncryptedColumn::AttachmentContent => rotation_sql!("case_attachments", "content", "id"),
        EncryptedColumn::IntakeDraft => rotation_sql!("intake_drafts", "body", "id"),
        EncryptedColumn::FundRequestDescription => {
            rotation_sql!("fund_requests", "description", "id")
        }
        EncryptedColumn::FundDecisionNote => rotation_sql!("fund_requests", "decision_note", "id"),
        EncryptedColumn::ReliefFacts => rotation_sql!("case_relief", "facts", "case_id"),
        EncryptedColumn::DocumentContent => rotation_sql!("relief_documents", "content", "id"),
        EncryptedColumn::DocumentWithdrawalReason => {
            rotation_sql!("relief_documents", "withdrawal_reason", "id")
        }
        EncryptedColumn::DirectoryLocationPrivate => {
            rotation_sql!("directory_locations", "private_record", "id")
        }
        EncryptedColumn::ReferralNote => rotation_sql!("referrals", "note", "id"),
        EncryptedColumn::ReferralPersonal => rotation_sql!("referrals", "personal", "id"),
        EncryptedColumn::ReferralEventNote => rotation_sql!("referral_events", "note", "id"),
        EncryptedColumn::InterviewRequest => rotation_sql!("interviews", "request", "id"),
        EncryptedColumn::InterviewSchedule => rotation_sql!("interviews", "schedule", "id"),
        EncryptedColumn::InterviewSummary => rotation_sql!("interviews", "summary", "id"),
        EncryptedColumn::InterviewFileName => rotation_sql!("interview_files", "name", "id"),
        EncryptedColumn::InterviewFileChunk => rotation_sql!("interview_file_chunks", "data", "id"),
        EncryptedColumn::CustodyDetail => rotation_sql!("custody_events", "detail", "id"),
        EncryptedColumn::DeliveryDestination => rotation_sql!("deliveries", "destination", "id"),
        EncryptedColumn::DeliverySubject => rotation_sql!("deliveries", "subject", "id"),
        EncryptedColumn::DeliveryBody => rotation_sql!("deliveries", "body", "id"),
        EncryptedColumn::ConsentPurpose => rotation_sql!("consents", "purpose", "id"),
    }
}

#[async_trait]
impl KeyStore for SqliteStore {
    async fn ciphertexts_not_under(
        &self,
        column: EncryptedColumn,
        key_id: u32,
        limit: u32,
    ) -> StoreResult<Vec<Ciphertext>> {
        let sql = rotation_sql(column).0;
        sqlx::query(sql)
            .bind(&key_id.to_be_bytes()[..])
            .bind(i64::from(limit))
            .fetch_all(&mut *self.read().await?)
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
        let sql = rotation_sql(column).1;
        let done = sqlx::query(sql)
            .bind(new)
            .bind(id)
            .bind(old)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn count_ciphertexts_under(
        &self,
        column: EncryptedColumn,
        key_id: u32,
    ) -> StoreResult<u64> {
        let sql = rotation_sql(column).2;
        let n: i64 = sqlx::query_scalar(sql)
            .bind(&key_id.to_be_bytes()[..])
            .fetch_one(&mut *self.read().await?)
            .await?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt("ciphertext count"))
    }

    async fn data_keys(&self) -> StoreResult<Vec<StoredKey>> {
        sqlx::query("SELECT id, wrapped, created_at, retired_at FROM data_keys ORDER BY id")
            .fetch_all(&mut *self.read().await?)
            .await?
            .iter()
            .map(|r| {
                Ok(StoredKey {
                    id: u32::try_from(r.try_get::<i64, _>("id")?)
                        .map_err(|_| StoreError::Corrupt("data_keys.id"))?,
                    wrapped: r.try_get("wrapped")?,
                    created_at: from_millis(r.try_get("created_at")?, "data_keys.created_at")?,
                    retired_at: r
                        .try_get::<Option<i64>, _>("retired_at")?
                        .map(|ms| from_millis(ms, "data_keys.retired_at"))
                        .transpose()?,
                })
            })
            .collect()
    }

    async fn add_data_key(&self, key: &StoredKey, audit: &AuditEntry) -> StoreResult<()> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        sqlx::query(
            "INSERT INTO data_keys (id, wrapped, created_at, retired_at) VALUES (?, ?, ?, NULL)",
        )
        .bind(i64::from(key.id))
        .bind(&key.wrapped)
        .bind(to_millis(key.created_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "key id"))?;
        commit_audited(tx, audit).await
    }

    async fn retire_data_key(&self, id: u32, at: OffsetDateTime) -> StoreResult<()> {
        sqlx::query("UPDATE data_keys SET retired_at = ? WHERE id = ? AND retired_at IS NULL")
            .bind(to_millis(at))
            .bind(i64::from(id))
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }
}
