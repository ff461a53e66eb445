use super::record::{day, get_opt_day, get_opt_ts, get_ts, ts};
use super::rows::{Query, change_one, changed_one, commit_audited, count_of, row_by, rows_by};
use super::{Db, DbRow, Store};
use crate::relief::{
    ClaimedMessage, DeadlineListRow, DeadlineQuery, DeadlineRow, Notification, ReliefStore,
    ReliefWrite, Signing, StoredDocument, StoredRelief, Withdrawal,
};
use crate::{StoreError, StoreResult};
use async_trait::async_trait;
use haven_domain::relief::documents::{DocumentKind, DocumentStatus};
use haven_domain::{AuditEntry, CaseId, DocumentId, MessageId, OrganizationId, PersonId, UserId};
use sqlx::{Row, Transaction};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

macro_rules! document_columns {
    () => {
        "SELECT id, case_id, kind, agency_id, status, content, content_sha256, drafted_by, drafted_at, updated_at,
                signed_by, signer_role, signed_at, withdrawn_by, withdrawn_at, withdrawal_reason FROM relief_documents "
    };
}

fn deadline_from_row(r: &DbRow) -> StoreResult<DeadlineRow> {
    Ok(DeadlineRow {
        case: CaseId::from_uuid(r.try_get("case_id")?),
        kind: r.try_get("kind")?,
        family_member: r.try_get("family_member")?,
        pathway: r.try_get("pathway")?,
        actor: r.try_get("actor")?,
        due_on: get_opt_day(r, "due_on")?.ok_or(StoreError::Corrupt("case_deadlines.due_on"))?,
        due_at: get_opt_ts(r, "due_at")?,
    })
}

fn document_from_row(r: &DbRow) -> StoreResult<StoredDocument> {
    let user = |col: &'static str| -> StoreResult<Option<UserId>> {
        Ok(r.try_get::<Option<Uuid>, _>(col)?.map(UserId::from_uuid))
    };
    Ok(StoredDocument {
        id: DocumentId::from_uuid(r.try_get("id")?),
        case: CaseId::from_uuid(r.try_get("case_id")?),
        kind: DocumentKind::parse(r.try_get("kind")?)
            .ok_or(StoreError::Corrupt("relief_documents.kind"))?,
        agency: OrganizationId::from_uuid(r.try_get("agency_id")?),
        status: DocumentStatus::parse(r.try_get("status")?)
            .ok_or(StoreError::Corrupt("relief_documents.status"))?,
        content: r.try_get("content")?,
        content_sha256: r.try_get("content_sha256")?,
        drafted_by: UserId::from_uuid(r.try_get("drafted_by")?),
        drafted_at: get_ts(r, "drafted_at")?,
        updated_at: get_ts(r, "updated_at")?,
        signed_by: user("signed_by")?,
        signer_role: r.try_get("signer_role")?,
        signed_at: get_opt_ts(r, "signed_at")?,
        withdrawn_by: user("withdrawn_by")?,
        withdrawn_at: get_opt_ts(r, "withdrawn_at")?,
        withdrawal_reason: r.try_get("withdrawal_reason")?,
    })
}

/// The facts, their deadlines and the 1367 flag, inside a caller's
/// transaction.
/// A document's change of status (`q`, which finds it only in the status
/// it must be in) and the case's facts, committed together; `false` when
/// the document is not in that status.
async fn change_document(
    store: &Store,
    q: Query<'_>,
    relief: &ReliefWrite<'_>,
    audit: &AuditEntry,
) -> StoreResult<bool> {
    write_tx!(store, tx);
    if !changed_one(&mut tx, q).await? {
        return Ok(false);
    }
    write_relief(&mut tx, relief).await?;
    commit_audited(tx, audit).await?;
    Ok(true)
}

async fn write_relief(tx: &mut Transaction<'_, Db>, w: &ReliefWrite<'_>) -> StoreResult<()> {
    sqlx::query(sql!("INSERT INTO case_relief (case_id, facts, updated_by, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (case_id) DO UPDATE SET facts = excluded.facts, updated_by = excluded.updated_by,
                                             updated_at = excluded.updated_at"))
    .bind(w.case.as_uuid())
    .bind(w.facts)
    .bind(w.by.as_uuid())
    .bind(ts(w.at))
    .execute(&mut **tx)
    .await?;
    sqlx::query(sql!("DELETE FROM case_deadlines WHERE case_id = $1"))
        .bind(w.case.as_uuid())
        .execute(&mut **tx)
        .await?;
    for d in w.deadlines {
        sqlx::query(sql!("INSERT INTO case_deadlines (case_id, kind, family_member, pathway, actor, due_on, due_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)"))
        .bind(d.case.as_uuid())
        .bind(&d.kind)
        .bind(&d.family_member)
        .bind(&d.pathway)
        .bind(&d.actor)
        .bind(day(Some(d.due_on)))
        .bind(d.due_at.map(ts))
        .execute(&mut **tx)
        .await
        .map_err(|e| StoreError::unique(e, "deadline"))?;
    }
    let sql = if w.flag_1367 {
        sql!("UPDATE cases SET updated_at = $1, flag_1367 = TRUE WHERE id = $2")
    } else {
        sql!("UPDATE cases SET updated_at = $1 WHERE id = $2")
    };
    let done = sqlx::query(sql)
        .bind(ts(w.at))
        .bind(w.case.as_uuid())
        .execute(&mut **tx)
        .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Deadlines in a window on the cases the policy filter lets through,
/// walked in date order from the deadline index: a supervisor's whole
/// organization is a test on each row, not a set to build first. Parameters
/// as the caseload's ($1 user, $2 supervised organization, $3 mine only, $4
/// the user's organization, $5 now, $6 today, $7 roles), then $8 from, $9 to,
/// $10 limit.
const UPCOMING: &str = concat!(
    "WITH granted(id) AS (",
    granted_case_ids!(),
    ")
     SELECT d.case_id, d.kind, d.family_member, d.pathway, d.actor, d.due_on, d.due_at, c.person_id, c.flag_1367, p.name
     FROM case_deadlines d JOIN cases c ON c.id = d.case_id LEFT JOIN persons p ON p.id = c.person_id
     WHERE d.due_on >= $8 AND d.due_on <= $9
       AND ((NOT $3 AND c.organization_id = $2) OR d.case_id IN (SELECT id FROM granted))
     ORDER BY d.due_on, d.case_id, d.kind, d.family_member LIMIT $10"
);

#[async_trait]
impl ReliefStore for Store {
    async fn relief(&self, case: CaseId) -> StoreResult<Option<StoredRelief>> {
        sqlx::query(sql!(
            "SELECT facts, updated_by, updated_at FROM case_relief WHERE case_id = $1"
        ))
        .bind(case.as_uuid())
        .fetch_optional(reader!(self))
        .await?
        .map(|r| {
            Ok(StoredRelief {
                facts: r.try_get("facts")?,
                updated_by: UserId::from_uuid(r.try_get("updated_by")?),
                updated_at: get_ts(&r, "updated_at")?,
            })
        })
        .transpose()
    }

    async fn save_relief(&self, w: &ReliefWrite<'_>, audit: &AuditEntry) -> StoreResult<()> {
        write_tx!(self, tx);
        write_relief(&mut tx, w).await?;
        commit_audited(tx, audit).await
    }

    async fn case_deadlines(&self, case: CaseId) -> StoreResult<Vec<DeadlineRow>> {
        let sql = sql!("SELECT case_id, kind, family_member, pathway, actor, due_on, due_at FROM case_deadlines
             WHERE case_id = $1 ORDER BY due_on, kind, family_member");
        rows_by(self, sql, case.as_uuid(), deadline_from_row).await
    }

    async fn create_document(&self, d: &StoredDocument, audit: &AuditEntry) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!("INSERT INTO relief_documents (id, case_id, kind, agency_id, status, content, drafted_by, drafted_at, updated_at)
             VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8)"))
        .bind(d.id.as_uuid())
        .bind(d.case.as_uuid())
        .bind(d.kind.as_str())
        .bind(d.agency.as_uuid())
        .bind(&d.content)
        .bind(d.drafted_by.as_uuid())
        .bind(ts(d.drafted_at))
        .bind(ts(d.updated_at))
        .execute(&mut *tx)
        .await?;
        commit_audited(tx, audit).await
    }

    async fn update_document_draft(
        &self,
        id: DocumentId,
        content: &[u8],
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let q = sqlx::query(sql!("UPDATE relief_documents SET content = $1, updated_at = $2 WHERE id = $3 AND status = 'draft'"))
        .bind(content)
        .bind(ts(at))
        .bind(id.as_uuid());
        change_one(self, q, audit).await
    }

    async fn sign_document(
        &self,
        s: &Signing<'_>,
        relief: &ReliefWrite<'_>,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let q = sqlx::query(sql!("UPDATE relief_documents SET status = 'signed', signed_by = $1, signer_role = $2, signed_at = $3,
                    content_sha256 = $4, updated_at = $5
             WHERE id = $6 AND status = 'draft'"))
        .bind(s.by.as_uuid())
        .bind(s.role)
        .bind(ts(s.at))
        .bind(s.content_sha256)
        .bind(ts(s.at))
        .bind(s.document.as_uuid());
        change_document(self, q, relief, audit).await
    }

    async fn withdraw_document(
        &self,
        w: &Withdrawal<'_>,
        relief: &ReliefWrite<'_>,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let q = sqlx::query(sql!("UPDATE relief_documents SET status = 'withdrawn', withdrawn_by = $1, withdrawn_at = $2,
                    withdrawal_reason = $3, updated_at = $4
             WHERE id = $5 AND status = 'signed'"))
        .bind(w.by.as_uuid())
        .bind(ts(w.at))
        .bind(w.reason)
        .bind(ts(w.at))
        .bind(w.document.as_uuid());
        change_document(self, q, relief, audit).await
    }

    async fn document(&self, id: DocumentId) -> StoreResult<Option<StoredDocument>> {
        let sql = sql!(concat!(document_columns!(), "WHERE id = $1"));
        row_by(self, sql, id.as_uuid(), document_from_row).await
    }

    async fn documents_for_case(&self, case: CaseId) -> StoreResult<Vec<StoredDocument>> {
        let sql = sql!(concat!(
            document_columns!(),
            "WHERE case_id = $1 ORDER BY drafted_at, id"
        ));
        rows_by(self, sql, case.as_uuid(), document_from_row).await
    }

    async fn drafts_for_agency(&self, agency: OrganizationId) -> StoreResult<Vec<StoredDocument>> {
        let sql = sql!(concat!(
            document_columns!(),
            "WHERE agency_id = $1 AND status = 'draft' ORDER BY drafted_at, id"
        ));
        rows_by(self, sql, agency.as_uuid(), document_from_row).await
    }

    async fn upcoming_deadlines(&self, q: &DeadlineQuery) -> StoreResult<Vec<DeadlineListRow>> {
        if q.filter.nothing {
            return Ok(Vec::new());
        }
        sqlx::query(sql!(UPCOMING))
            .bind(q.filter.team_member.as_uuid())
            .bind(q.filter.supervised_org.map(|o| *o.as_uuid()))
            .bind(q.mine_only)
            .bind(q.filter.consent_org.as_uuid())
            .bind(ts(q.now))
            .bind(day(Some(q.now.date())))
            .bind(super::role_list(&q.filter.consent_roles))
            .bind(day(Some(q.from)))
            .bind(day(Some(q.to)))
            .bind(i64::from(q.limit))
            .fetch_all(reader!(self))
            .await?
            .iter()
            .map(|r| {
                Ok(DeadlineListRow {
                    deadline: deadline_from_row(r)?,
                    person: r
                        .try_get::<Option<Uuid>, _>("person_id")?
                        .map(PersonId::from_uuid),
                    name: r.try_get("name")?,
                    flag_1367: r.try_get("flag_1367")?,
                })
            })
            .collect()
    }

    async fn count_deadlines_due(&self, from: Date, to: Date) -> StoreResult<u64> {
        count_of(
            self,
            sqlx::query(sql!(
                "SELECT count(*) FROM case_deadlines WHERE due_on >= $1 AND due_on <= $2"
            ))
            .bind(day(Some(from)))
            .bind(day(Some(to))),
        )
        .await
    }

    async fn enqueue_deadline_reminders(
        &self,
        from: Date,
        to: Date,
        now: OffsetDateTime,
    ) -> StoreResult<u64> {
        // The deadline index finds the window's deadlines not yet reminded,
        // the team index their recipients, and the unique dedupe key drops
        // any repeat (a team member in two roles, a rerun). The payload
        // carries codes and dates, never a name.
        write_tx!(self, tx);
        let done = sqlx::query(sql!(QUEUE_DEADLINE_REMINDERS))
            .bind(day(Some(from)))
            .bind(day(Some(to)))
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql!("UPDATE case_deadlines SET reminded_at = $3 WHERE due_on >= $1 AND due_on <= $2 AND reminded_at IS NULL"))
        .bind(day(Some(from)))
        .bind(day(Some(to)))
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn claim_messages(
        &self,
        owner: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedMessage>> {
        sqlx::query(sql!(CLAIM_MESSAGES))
            .bind(owner)
            .bind(ts(lease_until))
            .bind(ts(now))
            .bind(i64::from(limit))
            .fetch_all(writer!(self))
            .await?
            .iter()
            .map(claimed_from_row)
            .collect()
    }

    async fn deliver_notification(
        &self,
        id: MessageId,
        owner: &str,
        now: OffsetDateTime,
        email: Option<&crate::interview::DeliveryRow>,
    ) -> StoreResult<bool> {
        write_tx!(self, tx);
        let done = sqlx::query(sql!("UPDATE outbox SET status = 'delivered', delivered_at = $1, lease_owner = NULL, lease_until = NULL
             WHERE id = $2 AND status = 'pending' AND lease_owner = $3"))
        .bind(ts(now))
        .bind(id.as_uuid())
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(sql!(
            "INSERT INTO notifications (id, user_id, case_id, kind, payload, created_at)
             SELECT id, user_id, case_id, kind, payload, $1 FROM outbox WHERE id = $2
             ON CONFLICT (id) DO NOTHING"
        ))
        .bind(ts(now))
        .bind(id.as_uuid())
        .execute(&mut *tx)
        .await?;
        if let Some(e) = email {
            super::interview::insert_deliveries(&mut tx, std::slice::from_ref(e)).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn withhold_message(
        &self,
        id: MessageId,
        owner: &str,
        now: OffsetDateTime,
        reason: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(sql!(
            "UPDATE outbox SET status = 'failed', last_error = $1, delivered_at = $2,
                               lease_owner = NULL, lease_until = NULL
             WHERE id = $3 AND status = 'pending' AND lease_owner = $4"
        ))
        .bind(reason)
        .bind(ts(now))
        .bind(id.as_uuid())
        .bind(owner)
        .execute(writer!(self))
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn notifications(&self, user: UserId, limit: u32) -> StoreResult<Vec<Notification>> {
        sqlx::query(sql!(
            "SELECT id, case_id, kind, payload, created_at, read_at FROM notifications
             WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2"
        ))
        .bind(user.as_uuid())
        .bind(i64::from(limit))
        .fetch_all(reader!(self))
        .await?
        .iter()
        .map(|r| {
            Ok(Notification {
                id: MessageId::from_uuid(r.try_get("id")?),
                case: r
                    .try_get::<Option<Uuid>, _>("case_id")?
                    .map(CaseId::from_uuid),
                kind: r.try_get("kind")?,
                payload: r.try_get("payload")?,
                created_at: get_ts(r, "created_at")?,
                read_at: get_opt_ts(r, "read_at")?,
            })
        })
        .collect()
    }

    async fn unread_notifications(&self, user: UserId) -> StoreResult<u64> {
        count_of(
            self,
            sqlx::query(sql!(
                "SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL"
            ))
            .bind(user.as_uuid()),
        )
        .await
    }

    async fn mark_notification_read(
        &self,
        user: UserId,
        id: MessageId,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let done = sqlx::query(sql!("UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL"))
        .bind(ts(at))
        .bind(id.as_uuid())
        .bind(user.as_uuid())
        .execute(writer!(self))
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn start_daily_job(
        &self,
        name: &str,
        owner: &str,
        today: Date,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> StoreResult<bool> {
        write_tx!(self, tx);
        sqlx::query(sql!(
            "INSERT INTO job_leases (name) VALUES ($1) ON CONFLICT (name) DO NOTHING"
        ))
        .bind(name)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(sql!(
            "UPDATE job_leases SET owner = $1, lease_until = $2
             WHERE name = $3 AND (last_run_on IS NULL OR last_run_on < $4)
               AND (owner IS NULL OR owner = $5 OR lease_until < $6)"
        ))
        .bind(owner)
        .bind(ts(lease_until))
        .bind(name)
        .bind(day(Some(today)))
        .bind(owner)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn finish_daily_job(&self, name: &str, owner: &str, today: Date) -> StoreResult<()> {
        sqlx::query(sql!("UPDATE job_leases SET last_run_on = $1, owner = NULL, lease_until = $4 WHERE name = $2 AND owner = $3"))
        .bind(day(Some(today)))
        .bind(name)
        .bind(owner)
        .bind(ts(OffsetDateTime::UNIX_EPOCH))
        .execute(writer!(self))
        .await?;
        Ok(())
    }
}

fn claimed_from_row(r: &DbRow) -> StoreResult<ClaimedMessage> {
    Ok(ClaimedMessage {
        id: MessageId::from_uuid(r.try_get("id")?),
        kind: r.try_get("kind")?,
        user: UserId::from_uuid(r.try_get("user_id")?),
        case: r
            .try_get::<Option<Uuid>, _>("case_id")?
            .map(CaseId::from_uuid),
        payload: r.try_get("payload")?,
        attempts: r.try_get("attempts")?,
    })
}
