use super::PgStore;
use super::rows::commit_audited;
use crate::{
    AuditRow, AuditStore, ChainHasher, Ciphertext, EncryptedColumn, KeyStore, Seal, StoreError,
    StoreResult, StoredKey,
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

/// Inserts a batch in one statement (atomic without a transaction around
/// it), ids in the batch's order: chained with `seals`, or unchained.
async fn insert_batch(
    conn: &mut PgConnection,
    rows: &[AuditRow],
    seals: Option<&[Seal]>,
) -> StoreResult<()> {
    let seal = |i: usize| seals.and_then(|s| s.get(i));
    sqlx::query(
        "INSERT INTO audit_log (at, actor_user, actor_org, action, resource_kind, resource_id, request_id,
                                chain_seq, prev_hash, hash)
         SELECT at, actor_user, actor_org, action, resource_kind, resource_id, request_id, seq, prev, hash
         FROM UNNEST($1::timestamptz[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::bigint[], $9::bytea[], $10::bytea[])
              WITH ORDINALITY AS e (at, actor_user, actor_org, action, resource_kind, resource_id, request_id,
                                    seq, prev, hash, n)
         ORDER BY n",
    )
    .bind(rows.iter().map(|r| r.at).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.actor_user.map(|u| *u.as_uuid())).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.actor_org.map(|o| *o.as_uuid())).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.action.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.resource_kind.as_deref()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.resource_id.as_deref()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.request_id.as_deref()).collect::<Vec<_>>())
    .bind((0..rows.len()).map(|i| seal(i).map(|s| s.chain_seq)).collect::<Vec<_>>())
    .bind((0..rows.len()).map(|i| seal(i).map(|s| &s.prev_hash[..])).collect::<Vec<_>>())
    .bind((0..rows.len()).map(|i| seal(i).map(|s| &s.hash[..])).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// A transaction holding the chain: whoever extends it holds this
/// transaction-scoped advisory lock (0x6861_7665_6e41_7564, "havenAud"), on
/// every instance sharing the database. `BEGIN` and the lock in one round
/// trip.
async fn begin_chain(store: &PgStore) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
    Ok(store
        .pool()
        .begin_with("BEGIN; SELECT pg_advisory_xact_lock(7521423030698997092)")
        .await?)
}

/// The chain's head, read after the lock was taken: a statement of its own,
/// so its snapshot includes what the lock's last holder committed.
async fn chain_head(conn: &mut PgConnection) -> StoreResult<Option<(i64, Vec<u8>)>> {
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
    conn: &mut PgConnection,
    chain: &dyn ChainHasher,
) -> StoreResult<Option<(i64, Vec<u8>)>> {
    let head = chain_head(conn).await?;
    let known = chain.known_head();
    let at_known = match (known, &head) {
        (Some((kseq, _)), Some((seq, _))) if *seq > kseq => Some(
            sqlx::query_scalar::<_, Vec<u8>>("SELECT hash FROM audit_log WHERE chain_seq = $1")
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
    /// One statement for the whole batch: one round trip instead of one per
    /// entry plus two.
    async fn append_audit(&self, entries: &[AuditEntry]) -> StoreResult<()> {
        match entries {
            [] => Ok(()),
            [e] => insert_audit(&mut *self.pool().acquire().await?, e).await,
            _ => {
                let rows: Vec<AuditRow> = entries.iter().map(crate::entry_row).collect();
                insert_batch(&mut *self.pool().acquire().await?, &rows, None).await
            }
        }
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

    async fn append_chained_audit(
        &self,
        entries: &[AuditEntry],
        chain: &dyn ChainHasher,
    ) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let rows: Vec<AuditRow> = entries.iter().map(crate::entry_row).collect();
        let mut tx = begin_chain(self).await?;
        let seals = crate::chain_after(guarded_head(&mut tx, chain).await?, &rows, chain)?;
        insert_batch(&mut tx, &rows, Some(&seals)).await?;
        tx.commit().await?;
        if let Some(last) = seals.last() {
            chain.committed(last.chain_seq, last.hash);
        }
        Ok(())
    }

    async fn seal_pending_audit(&self, limit: u32, chain: &dyn ChainHasher) -> StoreResult<u64> {
        let mut tx = begin_chain(self).await?;
        let rows = sqlx::query(audit_select!(
            "WHERE chain_seq IS NULL ORDER BY id LIMIT $1"
        ))
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
        // the entry. "Unsealed" is written as coalesce(chain_seq, 0) = 0
        // (sequence numbers start at 1) so that the planner walks the batch's
        // ids by primary key instead of every unsealed entry for each of them.
        let done = sqlx::query(
            "UPDATE audit_log a SET chain_seq = s.seq, prev_hash = s.prev, hash = s.hash
               FROM UNNEST($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[]) AS s(id, seq, prev, hash)
              WHERE a.id = s.id AND coalesce(a.chain_seq, 0) = 0",
        )
        .bind(seals.iter().map(|s| s.id).collect::<Vec<_>>())
        .bind(seals.iter().map(|s| s.chain_seq).collect::<Vec<_>>())
        .bind(seals.iter().map(|s| &s.prev_hash[..]).collect::<Vec<_>>())
        .bind(seals.iter().map(|s| &s.hash[..]).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        // Only a writer that ignored the chain lock could have sealed them.
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

    // The repeated `resource_kind <> 'case_list'` is the resource index's
    // predicate: a query must state it for the planner to use that index.
    async fn audit_for_resource(
        &self,
        kind: &str,
        id: &str,
        limit: u32,
    ) -> StoreResult<Vec<AuditRow>> {
        sqlx::query(audit_select!(
            "WHERE resource_kind = $1 AND resource_kind <> 'case_list' AND resource_id = $2 ORDER BY at DESC, id DESC LIMIT $3"
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
                " IS NOT NULL AND substring(",
                $col,
                " from 2 for 4) <> $1 ORDER BY ",
                $id,
                " LIMIT $2"
            ),
            concat!(
                "UPDATE ",
                $table,
                " SET ",
                $col,
                " = $1 WHERE ",
                $id,
                " = $2 AND ",
                $col,
                " = $3"
            ),
            concat!(
                "SELECT count(*) FROM ",
                $table,
                " WHERE ",
                $col,
                " IS NOT NULL AND substring(",
                $col,
                " from 2 for 4) = $1"
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
impl KeyStore for PgStore {
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
        let sql = rotation_sql(column).1;
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
        let sql = rotation_sql(column).2;
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
        commit_audited(tx, audit).await
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
