use super::directory::insert_messages;
use super::record::{get_ts, ts};
use super::rows::rows_of;
use super::rows::{commit_audited, commit_with, row_by, rows_by};
use super::{Db, DbRow, Store};
use crate::backend::row::Columns;
use crate::directory::OutboxMessage;
use crate::interview::{
    CustodyRow, DeliveryCount, DeliveryOutcome, DeliveryRow, InterviewChange, InterviewFileRow,
    InterviewRow, InterviewStore, ScheduleOutcome, ScheduleWrite, TemplateRow,
};
use crate::{StoreError, StoreResult};
use async_trait::async_trait;
use haven_domain::interview::InterviewStatus;
use haven_domain::{
    AuditEntry, CaseId, DeliveryId, InterviewFileId, InterviewId, OrganizationId, PersonId, UserId,
};
use sqlx::{Row, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

macro_rules! interview_columns {
    () => {
        "SELECT id, case_id, person_id, org_id, requested_by, requested_at, status, age_at_interview,
                traumatized, requires_specialist, language, interpreter_needed, request, prior_count,
                observers, interviewer, specialist, starts_at, ends_at, schedule, summary,
                summary_compartment, completed_at, updated_at
         FROM interviews "
    };
}

macro_rules! delivery_columns {
    () => {
        "SELECT id, dedupe_key, audience, channel, kind, rule, lang, reduced, case_id, user_id,
                destination, destination_key, subject, body, status, attempts, available_at,
                last_error, provider_id, created_by, created_at, sent_at
         FROM deliveries "
    };
}

macro_rules! file_columns {
    () => {
        "SELECT id, interview_id, kind, name, content_type, size, sha256, status, by_user, at
         FROM interview_files "
    };
}

pub(super) fn interview_from_row(r: &impl Columns) -> StoreResult<InterviewRow> {
    Ok(InterviewRow {
        id: InterviewId::from_uuid(r.col("id")?),
        case: CaseId::from_uuid(r.col("case_id")?),
        person: r.col::<Option<Uuid>>("person_id")?.map(PersonId::from_uuid),
        org: OrganizationId::from_uuid(r.col("org_id")?),
        requested_by: UserId::from_uuid(r.col("requested_by")?),
        requested_at: r.col("requested_at")?,
        status: InterviewStatus::parse(r.col("status")?)
            .ok_or(StoreError::Corrupt("interviews.status"))?,
        age_at_interview: r.col("age_at_interview")?,
        traumatized: r.col("traumatized")?,
        requires_specialist: r.col("requires_specialist")?,
        language: r.col("language")?,
        interpreter_needed: r.col("interpreter_needed")?,
        request: r.col("request")?,
        prior_count: r.col("prior_count")?,
        observers: r
            .col::<String>("observers")?
            .split_whitespace()
            .map(|o| {
                o.parse()
                    .map_err(|_| StoreError::Corrupt("interviews.observers"))
            })
            .collect::<StoreResult<_>>()?,
        interviewer: r.col::<Option<Uuid>>("interviewer")?.map(UserId::from_uuid),
        specialist: r.col::<Option<Uuid>>("specialist")?.map(UserId::from_uuid),
        starts_at: r.col("starts_at")?,
        ends_at: r.col("ends_at")?,
        schedule: r.col("schedule")?,
        summary: r.col("summary")?,
        summary_compartment: r.col("summary_compartment")?,
        completed_at: r.col("completed_at")?,
        updated_at: r.col("updated_at")?,
    })
}

fn file_from_row(r: &DbRow) -> StoreResult<InterviewFileRow> {
    Ok(InterviewFileRow {
        id: InterviewFileId::from_uuid(r.try_get("id")?),
        interview: InterviewId::from_uuid(r.try_get("interview_id")?),
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        sha256: r.try_get("sha256")?,
        status: r.try_get("status")?,
        by: UserId::from_uuid(r.try_get("by_user")?),
        at: get_ts(r, "at")?,
    })
}

fn custody_from_row(r: &DbRow) -> StoreResult<CustodyRow> {
    Ok(CustodyRow {
        id: r.try_get("id")?,
        file: InterviewFileId::from_uuid(r.try_get("file_id")?),
        at: get_ts(r, "at")?,
        by: UserId::from_uuid(r.try_get("by_user")?),
        action: r.try_get("action")?,
        sha256: r.try_get("sha256")?,
        detail: r.try_get("detail")?,
    })
}

pub(super) fn delivery_from_row(r: &impl Columns) -> StoreResult<DeliveryRow> {
    Ok(DeliveryRow {
        id: DeliveryId::from_uuid(r.col("id")?),
        dedupe_key: r.col("dedupe_key")?,
        audience: r.col("audience")?,
        channel: r.col("channel")?,
        kind: r.col("kind")?,
        rule: r.col("rule")?,
        lang: r.col("lang")?,
        reduced: r.col("reduced")?,
        case: r.col::<Option<Uuid>>("case_id")?.map(CaseId::from_uuid),
        user: r.col::<Option<Uuid>>("user_id")?.map(UserId::from_uuid),
        destination: r.col("destination")?,
        destination_key: r.col("destination_key")?,
        subject: r.col("subject")?,
        body: r.col("body")?,
        status: r.col("status")?,
        attempts: r.col("attempts")?,
        available_at: r.col("available_at")?,
        last_error: r.col("last_error")?,
        provider_id: r.col("provider_id")?,
        created_by: r.col::<Option<Uuid>>("created_by")?.map(UserId::from_uuid),
        created_at: r.col("created_at")?,
        sent_at: r.col("sent_at")?,
    })
}

fn template_from_row(r: &DbRow) -> StoreResult<TemplateRow> {
    Ok(TemplateRow {
        organization: OrganizationId::from_uuid(r.try_get("organization_id")?),
        lang: r.try_get("lang")?,
        key: r.try_get("key")?,
        body: r.try_get("body")?,
        updated_by: UserId::from_uuid(r.try_get("updated_by")?),
        updated_at: get_ts(r, "updated_at")?,
    })
}

/// Inserts messages to people outside Haven; a destination that opted out
/// is recorded as such instead of pending. Returns how many were new.
pub(super) async fn insert_deliveries(
    tx: &mut Transaction<'_, Db>,
    rows: &[DeliveryRow],
) -> StoreResult<u64> {
    let mut new = 0;
    for d in rows {
        let done = sqlx::query(sql!("INSERT INTO deliveries (id, dedupe_key, audience, channel, kind, rule, lang, reduced, case_id,
                    user_id, destination, destination_key, subject, body, status, attempts, available_at,
                    created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                     CASE WHEN EXISTS (SELECT 1 FROM opt_outs WHERE destination_key = $12 AND channel = $4)
                          THEN 'opted_out' ELSE $15 END,
                     0, $16, $17, $18)
             ON CONFLICT (dedupe_key) DO NOTHING"))
        .bind(d.id.as_uuid())
        .bind(&d.dedupe_key)
        .bind(&d.audience)
        .bind(&d.channel)
        .bind(&d.kind)
        .bind(&d.rule)
        .bind(&d.lang)
        .bind(d.reduced)
        .bind(d.case.map(|c| *c.as_uuid()))
        .bind(d.user.map(|u| *u.as_uuid()))
        .bind(&d.destination)
        .bind(&d.destination_key)
        .bind(d.subject.as_deref())
        .bind(&d.body)
        .bind(&d.status)
        .bind(ts(d.available_at))
        .bind(d.created_by.map(|u| *u.as_uuid()))
        .bind(ts(d.created_at))
        .execute(&mut **tx)
        .await?;
        new += done.rows_affected();
    }
    Ok(new)
}

async fn first_conflict(
    tx: &mut Transaction<'_, Db>,
    w: &ScheduleWrite<'_>,
) -> StoreResult<Option<ScheduleOutcome>> {
    for resource in w.resources {
        let row = sqlx::query(sql!(
            "SELECT b.interview_id, b.starts_at, b.ends_at FROM interview_bookings b
             JOIN interviews i ON i.id = b.interview_id
             WHERE b.resource = $1 AND b.interview_id <> $2 AND b.starts_at < $4 AND b.ends_at > $3
               AND i.status IN ('scheduled', 'completed')
             ORDER BY b.starts_at LIMIT 1"
        ))
        .bind(resource)
        .bind(w.id.as_uuid())
        .bind(ts(w.starts_at))
        .bind(ts(w.ends_at))
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(r) = row {
            return Ok(Some(ScheduleOutcome::Conflict {
                resource: resource.clone(),
                interview: InterviewId::from_uuid(r.try_get("interview_id")?),
                starts_at: get_ts(&r, "starts_at")?,
                ends_at: get_ts(&r, "ends_at")?,
            }));
        }
    }
    Ok(None)
}

#[async_trait]
impl InterviewStore for Store {
    async fn create_interview(
        &self,
        i: &InterviewRow,
        messages: &[OutboxMessage],
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!("INSERT INTO interviews (id, case_id, person_id, org_id, requested_by, requested_at, status,
                    age_at_interview, traumatized, requires_specialist, language, interpreter_needed, request,
                    prior_count, observers, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"))
        .bind(i.id.as_uuid())
        .bind(i.case.as_uuid())
        .bind(i.person.map(|p| *p.as_uuid()))
        .bind(i.org.as_uuid())
        .bind(i.requested_by.as_uuid())
        .bind(ts(i.requested_at))
        .bind(i.status.as_str())
        .bind(i.age_at_interview)
        .bind(i.traumatized)
        .bind(i.requires_specialist)
        .bind(&i.language)
        .bind(i.interpreter_needed)
        .bind(&i.request)
        .bind(i.prior_count)
        .bind(
            i.observers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" "),
        )
        .bind(ts(i.updated_at))
        .execute(&mut *tx)
        .await?;
        insert_messages(&mut tx, messages, i.requested_at).await?;
        commit_audited(tx, audit).await
    }

    async fn interview(&self, id: InterviewId) -> StoreResult<Option<InterviewRow>> {
        let sql = sql!(concat!(interview_columns!(), "WHERE id = $1"));
        row_by(self, sql, id.as_uuid(), interview_from_row).await
    }

    async fn interviews_for_case(&self, case: CaseId) -> StoreResult<Vec<InterviewRow>> {
        let sql = sql!(concat!(
            interview_columns!(),
            "WHERE case_id = $1 ORDER BY requested_at"
        ));
        rows_by(self, sql, case.as_uuid(), interview_from_row).await
    }

    async fn interviews_for_person(&self, person: PersonId) -> StoreResult<Vec<InterviewRow>> {
        let sql = sql!(concat!(
            interview_columns!(),
            "WHERE person_id = $1 ORDER BY requested_at"
        ));
        rows_by(self, sql, person.as_uuid(), interview_from_row).await
    }

    async fn interview_queue(
        &self,
        org: OrganizationId,
        limit: u32,
    ) -> StoreResult<Vec<InterviewRow>> {
        let q = sqlx::query(sql!(concat!(
            interview_columns!(),
            "WHERE org_id = $1 AND status IN ('requested', 'scheduled')
             ORDER BY status = 'scheduled', coalesce(starts_at, requested_at) LIMIT $2"
        )))
        .bind(org.as_uuid())
        .bind(i64::from(limit));
        rows_of(self, q, interview_from_row).await
    }

    async fn schedule_interview(
        &self,
        w: &ScheduleWrite<'_>,
        audit: &AuditEntry,
    ) -> StoreResult<ScheduleOutcome> {
        // The check and the booking cannot interleave with another
        // schedule of the same resources (`lock_resources`).
        write_tx!(self, tx);
        lock_resources(&mut tx, w.resources.iter().collect()).await?;
        if let Some(conflict) = first_conflict(&mut tx, w).await? {
            return Ok(conflict);
        }
        let done = sqlx::query(sql!("UPDATE interviews SET status = 'scheduled', interviewer = $1, specialist = $2, starts_at = $3,
                    ends_at = $4, schedule = $5, updated_at = $6
             WHERE id = $7 AND status = $8"))
        .bind(w.interviewer.as_uuid())
        .bind(w.specialist.map(|u| *u.as_uuid()))
        .bind(ts(w.starts_at))
        .bind(ts(w.ends_at))
        .bind(w.schedule)
        .bind(ts(w.now))
        .bind(w.id.as_uuid())
        .bind(w.from_status.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(ScheduleOutcome::Stale);
        }
        sqlx::query(sql!(
            "DELETE FROM interview_bookings WHERE interview_id = $1"
        ))
        .bind(w.id.as_uuid())
        .execute(&mut *tx)
        .await?;
        for resource in w.resources {
            sqlx::query(sql!("INSERT INTO interview_bookings (interview_id, resource, starts_at, ends_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING"))
            .bind(w.id.as_uuid())
            .bind(resource)
            .bind(ts(w.starts_at))
            .bind(ts(w.ends_at))
            .execute(&mut *tx)
            .await?;
        }
        insert_messages(&mut tx, w.messages, w.now).await?;
        insert_deliveries(&mut tx, w.deliveries).await?;
        commit_audited(tx, audit).await?;
        Ok(ScheduleOutcome::Scheduled)
    }

    async fn change_interview(
        &self,
        c: &InterviewChange<'_>,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        write_tx!(self, tx);
        let done = sqlx::query(sql!(concat!("UPDATE interviews SET status = $1,
                    summary = coalesce($2, summary), summary_compartment = coalesce($3, summary_compartment),
                    observers = CASE WHEN CAST($4 AS TEXT) IS NULL OR ", strpos!(), "(observers, CAST($4 AS TEXT)) > 0
                                     THEN observers ELSE trim(observers || ' ' || CAST($4 AS TEXT)) END,
                    completed_at = CASE WHEN $1 = 'completed' THEN coalesce(completed_at, $5) ELSE completed_at END,
                    updated_at = $5
             WHERE id = $6 AND status = $7")))
        .bind(c.to_status.as_str())
        .bind(c.summary.map(|s| s.0))
        .bind(c.summary.map(|s| s.1))
        .bind(c.add_observer.map(|o| o.to_string()))
        .bind(ts(c.now))
        .bind(c.id.as_uuid())
        .bind(c.from_status.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        if c.to_status == InterviewStatus::Cancelled {
            sqlx::query(sql!(
                "DELETE FROM interview_bookings WHERE interview_id = $1"
            ))
            .bind(c.id.as_uuid())
            .execute(&mut *tx)
            .await?;
        }
        commit_audited(tx, audit).await?;
        Ok(true)
    }

    async fn begin_file(&self, f: &InterviewFileRow) -> StoreResult<()> {
        sqlx::query(sql!("INSERT INTO interview_files (id, interview_id, kind, name, content_type, size, status, by_user, at)
             VALUES ($1, $2, $3, $4, $5, 0, 'uploading', $6, $7)"))
        .bind(f.id.as_uuid())
        .bind(f.interview.as_uuid())
        .bind(&f.kind)
        .bind(&f.name)
        .bind(&f.content_type)
        .bind(f.by.as_uuid())
        .bind(ts(f.at))
        .execute(writer!(self))
        .await?;
        Ok(())
    }

    async fn put_chunk(
        &self,
        file: InterviewFileId,
        chunk: Uuid,
        seq: i64,
        data: &[u8],
    ) -> StoreResult<()> {
        sqlx::query(sql!(
            "INSERT INTO interview_file_chunks (id, file_id, seq, data) VALUES ($1, $2, $3, $4)"
        ))
        .bind(chunk)
        .bind(file.as_uuid())
        .bind(seq)
        .bind(data)
        .execute(writer!(self))
        .await?;
        Ok(())
    }

    async fn finish_file(
        &self,
        size: i64,
        stored: &CustodyRow,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!("UPDATE interview_files SET status = 'stored', size = $1, sha256 = $2 WHERE id = $3 AND status = 'uploading'"))
        .bind(size)
        .bind(&stored.sha256)
        .bind(stored.file.as_uuid())
        .execute(&mut *tx)
        .await?;
        insert_custody(&mut tx, stored).await?;
        commit_audited(tx, audit).await
    }

    async fn discard_file(&self, file: InterviewFileId) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!("DELETE FROM interview_file_chunks WHERE file_id = $1"))
            .bind(file.as_uuid())
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql!(
            "DELETE FROM interview_files WHERE id = $1 AND status = 'uploading'"
        ))
        .bind(file.as_uuid())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn interview_files(&self, interview: InterviewId) -> StoreResult<Vec<InterviewFileRow>> {
        let sql = sql!(concat!(
            file_columns!(),
            "WHERE interview_id = $1 AND status = 'stored' ORDER BY at"
        ));
        rows_by(self, sql, interview.as_uuid(), file_from_row).await
    }

    async fn interview_file(&self, file: InterviewFileId) -> StoreResult<Option<InterviewFileRow>> {
        let sql = sql!(concat!(file_columns!(), "WHERE id = $1"));
        row_by(self, sql, file.as_uuid(), file_from_row).await
    }

    async fn file_chunk(
        &self,
        file: InterviewFileId,
        seq: i64,
    ) -> StoreResult<Option<(Uuid, Vec<u8>)>> {
        let row = sqlx::query(sql!(
            "SELECT id, data FROM interview_file_chunks WHERE file_id = $1 AND seq = $2"
        ))
        .bind(file.as_uuid())
        .bind(seq)
        .fetch_optional(reader!(self))
        .await?;
        Ok(match row {
            Some(r) => Some((r.try_get("id")?, r.try_get("data")?)),
            None => None,
        })
    }

    async fn record_custody(&self, event: &CustodyRow, audit: &AuditEntry) -> StoreResult<()> {
        write_tx!(self, tx);
        insert_custody(&mut tx, event).await?;
        commit_audited(tx, audit).await
    }

    async fn custody_log(&self, file: InterviewFileId) -> StoreResult<Vec<CustodyRow>> {
        let sql = sql!(
            "SELECT id, file_id, at, by_user, action, sha256, detail FROM custody_events
             WHERE file_id = $1 ORDER BY at, id"
        );
        rows_by(self, sql, file.as_uuid(), custody_from_row).await
    }

    async fn queue_deliveries(
        &self,
        rows: &[DeliveryRow],
        audit: Option<&AuditEntry>,
    ) -> StoreResult<u64> {
        write_tx!(self, tx);
        let new = insert_deliveries(&mut tx, rows).await?;
        commit_with(tx, audit).await?;
        Ok(new)
    }

    async fn claim_deliveries(
        &self,
        owner: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryRow>> {
        write_tx!(self, tx);
        sqlx::query(sql!("UPDATE deliveries SET status = 'opted_out', lease_owner = NULL, lease_until = NULL
             WHERE status = 'pending' AND EXISTS (SELECT 1 FROM opt_outs o
                   WHERE o.destination_key = deliveries.destination_key AND o.channel = deliveries.channel)"))
        .execute(&mut *tx)
        .await?;
        // Two instances claiming at once take different rows.
        let rows = sqlx::query(sql!(concat!("UPDATE deliveries SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM deliveries WHERE status = 'pending' AND available_at <= $3
                            AND (lease_until IS NULL OR lease_until < $3)
                          ORDER BY available_at LIMIT $4", skip_locked!(), ")
             RETURNING id, dedupe_key, audience, channel, kind, rule, lang, reduced, case_id, user_id,
                destination, destination_key, subject, body, status, attempts, available_at,
                last_error, provider_id, created_by, created_at, sent_at")))
        .bind(owner)
        .bind(ts(lease_until))
        .bind(ts(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(delivery_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
        tx.commit().await?;
        Ok(rows)
    }

    async fn finish_delivery(
        &self,
        id: DeliveryId,
        owner: &str,
        outcome: &DeliveryOutcome,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let (status, error, available, provider, sent) = match outcome {
            DeliveryOutcome::Sent { provider_id } => {
                ("sent", None, None, provider_id.clone(), Some(ts(now)))
            }
            DeliveryOutcome::Retry { error, at } => {
                ("pending", Some(error.clone()), Some(ts(*at)), None, None)
            }
            DeliveryOutcome::Failed { error } => ("failed", Some(error.clone()), None, None, None),
            DeliveryOutcome::OptedOut => ("opted_out", None, None, None, None),
        };
        let done = sqlx::query(sql!("UPDATE deliveries SET status = $1, last_error = coalesce($2, last_error),
                    available_at = coalesce($3, available_at), provider_id = coalesce($4, provider_id),
                    sent_at = coalesce($5, sent_at), lease_owner = NULL, lease_until = NULL
             WHERE id = $6 AND status = 'pending' AND lease_owner = $7"))
        .bind(status)
        .bind(error)
        .bind(available)
        .bind(provider)
        .bind(sent)
        .bind(id.as_uuid())
        .bind(owner)
        .execute(writer!(self))
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delivery(&self, id: DeliveryId) -> StoreResult<Option<DeliveryRow>> {
        let sql = sql!(concat!(delivery_columns!(), "WHERE id = $1"));
        row_by(self, sql, id.as_uuid(), delivery_from_row).await
    }

    async fn deliveries_for_case(&self, case: CaseId, limit: u32) -> StoreResult<Vec<DeliveryRow>> {
        let q = sqlx::query(sql!(concat!(
            delivery_columns!(),
            "WHERE case_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
        )))
        .bind(case.as_uuid())
        .bind(i64::from(limit));
        rows_of(self, q, delivery_from_row).await
    }

    async fn delivery_counts(&self) -> StoreResult<Vec<DeliveryCount>> {
        let rows = sqlx::query(sql!("SELECT status, count(*), CAST(coalesce(sum(attempts), 0) AS BIGINT) FROM deliveries GROUP BY status ORDER BY status"))
        .fetch_all(reader!(self))
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeliveryCount {
                    status: r.try_get(0)?,
                    messages: r.try_get(1)?,
                    attempts: r.try_get(2)?,
                })
            })
            .collect()
    }

    async fn record_opt_out(
        &self,
        key: &[u8],
        channel: &str,
        source: &str,
        now: OffsetDateTime,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<u64> {
        write_tx!(self, tx);
        sqlx::query(sql!(
            "INSERT INTO opt_outs (destination_key, channel, at, source) VALUES ($1, $2, $3, $4)
             ON CONFLICT (destination_key, channel) DO NOTHING"
        ))
        .bind(key)
        .bind(channel)
        .bind(ts(now))
        .bind(source)
        .execute(&mut *tx)
        .await?;
        let closed = sqlx::query(sql!(
            "UPDATE deliveries SET status = 'opted_out', lease_owner = NULL, lease_until = NULL
             WHERE destination_key = $1 AND channel = $2 AND status = 'pending'"
        ))
        .bind(key)
        .bind(channel)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        commit_with(tx, audit).await?;
        Ok(closed)
    }

    async fn remove_opt_out(
        &self,
        key: &[u8],
        channel: &str,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        write_tx!(self, tx);
        let done = sqlx::query(sql!(
            "DELETE FROM opt_outs WHERE destination_key = $1 AND channel = $2"
        ))
        .bind(key)
        .bind(channel)
        .execute(&mut *tx)
        .await?;
        commit_audited(tx, audit).await?;
        Ok(done.rows_affected() == 1)
    }

    async fn is_opted_out(&self, key: &[u8], channel: &str) -> StoreResult<bool> {
        Ok(sqlx::query(sql!(
            "SELECT 1 FROM opt_outs WHERE destination_key = $1 AND channel = $2"
        ))
        .bind(key)
        .bind(channel)
        .fetch_optional(reader!(self))
        .await?
        .is_some())
    }

    async fn notification_settings(&self, user: UserId) -> StoreResult<Vec<(String, bool)>> {
        sqlx::query(sql!(
            "SELECT kind, email FROM notification_settings WHERE user_id = $1 ORDER BY kind"
        ))
        .bind(user.as_uuid())
        .fetch_all(reader!(self))
        .await?
        .iter()
        .map(|r| Ok((r.try_get("kind")?, r.try_get("email")?)))
        .collect()
    }

    async fn save_notification_settings(
        &self,
        user: UserId,
        settings: &[(String, bool)],
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        write_tx!(self, tx);
        for (kind, email) in settings {
            sqlx::query(sql!(
                "INSERT INTO notification_settings (user_id, kind, email) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id, kind) DO UPDATE SET email = excluded.email"
            ))
            .bind(user.as_uuid())
            .bind(kind)
            .bind(email)
            .execute(&mut *tx)
            .await?;
        }
        commit_audited(tx, audit).await
    }

    async fn templates(&self, org: OrganizationId) -> StoreResult<Vec<TemplateRow>> {
        let sql = sql!(
            "SELECT organization_id, lang, key, body, updated_by, updated_at FROM message_templates
             WHERE organization_id = $1 ORDER BY lang, key"
        );
        rows_by(self, sql, org.as_uuid(), template_from_row).await
    }

    async fn save_template(&self, t: &TemplateRow, audit: &AuditEntry) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!("INSERT INTO message_templates (organization_id, lang, key, body, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (organization_id, lang, key)
             DO UPDATE SET body = excluded.body, updated_by = excluded.updated_by, updated_at = excluded.updated_at"))
        .bind(t.organization.as_uuid())
        .bind(&t.lang)
        .bind(&t.key)
        .bind(&t.body)
        .bind(t.updated_by.as_uuid())
        .bind(ts(t.updated_at))
        .execute(&mut *tx)
        .await?;
        commit_audited(tx, audit).await
    }

    async fn delete_template(
        &self,
        org: OrganizationId,
        lang: &str,
        key: &str,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        write_tx!(self, tx);
        let done = sqlx::query(sql!(
            "DELETE FROM message_templates WHERE organization_id = $1 AND lang = $2 AND key = $3"
        ))
        .bind(org.as_uuid())
        .bind(lang)
        .bind(key)
        .execute(&mut *tx)
        .await?;
        commit_audited(tx, audit).await?;
        Ok(done.rows_affected() == 1)
    }
}

async fn insert_custody(tx: &mut Transaction<'_, Db>, c: &CustodyRow) -> StoreResult<()> {
    sqlx::query(sql!("INSERT INTO custody_events (id, file_id, at, by_user, action, sha256, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
    .bind(c.id)
    .bind(c.file.as_uuid())
    .bind(ts(c.at))
    .bind(c.by.as_uuid())
    .bind(&c.action)
    .bind(&c.sha256)
    .bind(c.detail.as_deref())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
