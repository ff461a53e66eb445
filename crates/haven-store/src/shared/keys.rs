use super::Store;
use super::record::ts;
use super::rows::{commit_audited, count_of};
use crate::backend::row::Columns;
use crate::{Ciphertext, EncryptedColumn, KeyStore, StoreError, StoreResult, StoredKey};
use async_trait::async_trait;
use haven_domain::AuditEntry;
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

/// The three statements key rotation runs on one encrypted column (select
/// rows not under a key, compare-and-swap one, count under a key), built from
/// literals so that no SQL is assembled at run time.
macro_rules! rotation_sql {
    ($table:literal, $col:literal, $id:literal) => {
        (
            sql!(concat!(
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
                ", 2, 4) <> $1 ORDER BY ",
                $id,
                " LIMIT $2"
            )),
            sql!(concat!(
                "UPDATE ",
                $table,
                " SET ",
                $col,
                " = $1 WHERE ",
                $id,
                " = $2 AND ",
                $col,
                " = $3"
            )),
            sql!(concat!(
                "SELECT count(*) FROM ",
                $table,
                " WHERE ",
                $col,
                " IS NOT NULL AND substr(",
                $col,
                ", 2, 4) = $1"
            )),
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
impl KeyStore for Store {
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
            .fetch_all(reader!(self))
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
            .execute(writer!(self))
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn count_ciphertexts_under(
        &self,
        column: EncryptedColumn,
        key_id: u32,
    ) -> StoreResult<u64> {
        let sql = rotation_sql(column).2;
        count_of(self, sqlx::query(sql).bind(&key_id.to_be_bytes()[..])).await
    }

    async fn data_keys(&self) -> StoreResult<Vec<StoredKey>> {
        sqlx::query("SELECT id, wrapped, created_at, retired_at FROM data_keys ORDER BY id")
            .fetch_all(reader!(self))
            .await?
            .iter()
            .map(|r| {
                Ok(StoredKey {
                    id: u32::try_from(r.try_get::<i64, _>("id")?)
                        .map_err(|_| StoreError::Corrupt("data_keys.id"))?,
                    wrapped: r.try_get("wrapped")?,
                    created_at: r.col("created_at")?,
                    retired_at: r.col("retired_at")?,
                })
            })
            .collect()
    }

    async fn add_data_key(&self, key: &StoredKey, audit: &AuditEntry) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!(
            "INSERT INTO data_keys (id, wrapped, created_at, retired_at) VALUES ($1, $2, $3, NULL)"
        ))
        .bind(i64::from(key.id))
        .bind(&key.wrapped)
        .bind(ts(key.created_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "key id"))?;
        commit_audited(tx, audit).await
    }

    async fn retire_data_key(&self, id: u32, at: OffsetDateTime) -> StoreResult<()> {
        sqlx::query(sql!(
            "UPDATE data_keys SET retired_at = $1 WHERE id = $2 AND retired_at IS NULL"
        ))
        .bind(ts(at))
        .bind(i64::from(id))
        .execute(writer!(self))
        .await?;
        Ok(())
    }
}
