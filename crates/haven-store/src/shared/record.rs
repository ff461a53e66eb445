use super::rows::row_of;
use super::rows::rows_by;
use super::rows::{change_one, commit_audited};
use super::{DbConn, DbRow, Store, role_list};
use crate::backend::row::Columns;
use crate::record::{
    AttachmentMeta, CaseHeader, CaseRecordStore, CaseloadQuery, CaseloadRow, CaseloadSort,
    EntryUpdate, HeaderChange, ImportCase, NewIntake, StoredDraft, StoredEntry,
};
use crate::{StoreError, StoreResult, StoredPerson};
use async_trait::async_trait;
use haven_domain::access::{Compartment, TeamRole};
use haven_domain::record::{ClosedReason, Cooperation, EntryKind, Stage};
use haven_domain::{
    AttachmentId, AuditEntry, CaseId, DraftId, EntryId, OrganizationId, PersonId, UserId,
};
use sqlx::Row;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

fn compartment_str(c: Compartment) -> &'static str {
    match c {
        Compartment::Advocate => "advocate",
        Compartment::Shared => "shared",
    }
}

fn parse_compartment(s: &str) -> StoreResult<Compartment> {
    match s {
        "advocate" => Ok(Compartment::Advocate),
        "shared" => Ok(Compartment::Shared),
        _ => Err(StoreError::Corrupt("compartment")),
    }
}

pub(super) fn header_from_row(r: &DbRow, profile_col: &'static str) -> StoreResult<CaseHeader> {
    Ok(CaseHeader {
        stage: Stage::parse(r.try_get("stage")?).ok_or(StoreError::Corrupt("cases.stage"))?,
        closed_reason: r
            .try_get::<Option<String>, _>("closed_reason")?
            .map(|s| ClosedReason::parse(&s).ok_or(StoreError::Corrupt("cases.closed_reason")))
            .transpose()?,
        cooperation: Cooperation::parse(r.try_get("cooperation")?)
            .ok_or(StoreError::Corrupt("cases.cooperation"))?,
        profile: r.try_get(profile_col)?,
        hhs_notice_due_at: get_opt_ts(r, "hhs_notice_due_at")?,
        hhs_notice_met_at: get_opt_ts(r, "hhs_notice_met_at")?,
        created_at: get_ts(r, "created_at")?,
        updated_at: get_ts(r, "updated_at")?,
    })
}

/// An entry as [`entry_from_row`] reads it.
macro_rules! entry_columns {
    () => {
        "SELECT id, case_id, kind, compartment, category, status, due_on, assignee, parent_id, body, by_user, at, updated_at
         FROM case_entries "
    };
}

/// The structured entries (all read) and the timeline events (the newest
/// read, and counted): `case_entries`.
macro_rules! structured_kinds {
    () => {
        "kind IN ('need', 'plan_item', 'task', 'rights', 'screening')"
    };
}
macro_rules! timeline_kinds {
    () => {
        "kind IN ('contact', 'service', 'court', 'interview', 'note', 'status_change')"
    };
}

pub(super) fn entry_from_row(r: &impl Columns) -> StoreResult<StoredEntry> {
    Ok(StoredEntry {
        id: EntryId::from_uuid(r.col("id")?),
        case: CaseId::from_uuid(r.col("case_id")?),
        kind: EntryKind::parse(r.col("kind")?).ok_or(StoreError::Corrupt("case_entries.kind"))?,
        compartment: parse_compartment(r.col("compartment")?)?,
        category: r.col("category")?,
        status: r.col("status")?,
        due_on: r.col("due_on")?,
        assignee: r.col::<Option<Uuid>>("assignee")?.map(UserId::from_uuid),
        parent: r.col::<Option<Uuid>>("parent_id")?.map(EntryId::from_uuid),
        body: r.col("body")?,
        by: UserId::from_uuid(r.col("by_user")?),
        at: r.col("at")?,
        updated_at: r.col("updated_at")?,
    })
}

async fn insert_entry(conn: &mut DbConn, e: &StoredEntry) -> StoreResult<()> {
    sqlx::query(sql!("INSERT INTO case_entries (id, case_id, kind, compartment, category, status, due_on, assignee, parent_id, body, by_user, at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"))
    .bind(e.id.as_uuid())
    .bind(e.case.as_uuid())
    .bind(e.kind.as_str())
    .bind(compartment_str(e.compartment))
    .bind(e.category.as_deref())
    .bind(e.status.as_deref())
    .bind(day(e.due_on))
    .bind(e.assignee.map(|u| *u.as_uuid()))
    .bind(e.parent.map(|p| *p.as_uuid()))
    .bind(&e.body)
    .bind(e.by.as_uuid())
    .bind(ts(e.at))
    .bind(ts(e.updated_at))
    .execute(&mut *conn)
    .await
    .map_err(|err| StoreError::unique(err, "entry id"))?;
    touch_case(conn, e.case, e.updated_at).await
}

async fn insert_intake(tx: &mut DbConn, intake: &NewIntake<'_>) -> StoreResult<()> {
    let NewIntake {
        person,
        match_keys,
        facts,
        header,
        entries,
        draft,
    } = *intake;
    sqlx::query(sql!("INSERT INTO persons (id, organization_id, name, birth_date, name_dob_index, profile, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)"))
    .bind(person.id.as_uuid())
    .bind(person.organization.as_uuid())
    .bind(&person.name)
    .bind(person.birth_date.as_deref())
    .bind(person.name_dob_index.as_ref().map(|i| &i[..]))
    .bind(person.profile.as_deref())
    .bind(ts(header.created_at))
    .execute(&mut *tx)
    .await
    .map_err(|e| StoreError::unique(e, "person id"))?;
    sqlx::query(sql!("INSERT INTO cases (id, organization_id, flag_1367, created_at, person_id, stage, closed_reason,
                            cooperation, profile, hhs_notice_due_at, hhs_notice_met_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"))
    .bind(facts.id.as_uuid())
    .bind(facts.organization.as_uuid())
    .bind(facts.flag_1367)
    .bind(ts(header.created_at))
    .bind(person.id.as_uuid())
    .bind(header.stage.as_str())
    .bind(header.closed_reason.map(|r| r.as_str()))
    .bind(header.cooperation.as_str())
    .bind(header.profile.as_deref())
    .bind(header.hhs_notice_due_at.map(ts))
    .bind(header.hhs_notice_met_at.map(ts))
    .bind(ts(header.updated_at))
    .execute(&mut *tx)
    .await
    .map_err(|e| StoreError::unique(e, "case id"))?;
    for (user, role) in &facts.team {
        sqlx::query(sql!(
            "INSERT INTO case_team (case_id, user_id, team_role) VALUES ($1, $2, $3)"
        ))
        .bind(facts.id.as_uuid())
        .bind(user.as_uuid())
        .bind(role.as_str())
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "team"))?;
    }
    for e in entries {
        insert_entry(tx, e).await?;
    }
    insert_match_keys(tx, person, match_keys).await?;
    if let Some((user, id)) = draft {
        sqlx::query(sql!(
            "DELETE FROM intake_drafts WHERE id = $1 AND user_id = $2"
        ))
        .bind(id.as_uuid())
        .bind(user.as_uuid())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

async fn touch_case(conn: &mut DbConn, case: CaseId, at: OffsetDateTime) -> StoreResult<()> {
    sqlx::query(sql!(
        "UPDATE cases SET updated_at = $1 WHERE id = $2 AND updated_at < $3"
    ))
    .bind(ts(at))
    .bind(case.as_uuid())
    .bind(ts(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_match_keys(
    conn: &mut DbConn,
    person: &StoredPerson,
    keys: &[[u8; 32]],
) -> StoreResult<()> {
    for key in keys {
        sqlx::query(sql!("INSERT INTO person_match_keys (organization_id, match_key, person_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"))
        .bind(person.organization.as_uuid())
        .bind(&key[..])
        .bind(person.id.as_uuid())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// An attachment's metadata (never its content), as
/// [`attachment_from_row`] reads it.
macro_rules! attachment_columns {
    () => {
        "SELECT id, case_id, compartment, name, content_type, size, sha256, by_user, at
         FROM case_attachments "
    };
}

pub(super) fn attachment_from_row(r: &impl Columns) -> StoreResult<AttachmentMeta> {
    Ok(AttachmentMeta {
        id: AttachmentId::from_uuid(r.col("id")?),
        case: CaseId::from_uuid(r.col("case_id")?),
        compartment: parse_compartment(r.col("compartment")?)?,
        name: r.col("name")?,
        content_type: r.col("content_type")?,
        size: u64::try_from(r.col::<i64>("size")?)
            .map_err(|_| StoreError::Corrupt("case_attachments.size"))?,
        sha256: crate::bytes32(r.col("sha256")?, "case_attachments.sha256")?,
        by: UserId::from_uuid(r.col("by_user")?),
        at: r.col("at")?,
    })
}

fn draft_from_row(r: &DbRow) -> StoreResult<StoredDraft> {
    Ok(StoredDraft {
        id: DraftId::from_uuid(r.try_get("id")?),
        user: UserId::from_uuid(r.try_get("user_id")?),
        body: r.try_get("body")?,
        created_at: get_ts(r, "created_at")?,
        updated_at: get_ts(r, "updated_at")?,
    })
}

#[async_trait]
impl CaseRecordStore for Store {
    async fn create_intake(&self, intake: &NewIntake<'_>, audit: &AuditEntry) -> StoreResult<()> {
        write_tx!(self, tx);
        insert_intake(&mut tx, intake).await?;
        commit_audited(tx, audit).await
    }

    async fn import_cases(&self, cases: &[ImportCase], audit: &AuditEntry) -> StoreResult<()> {
        import_cases(self, cases, audit).await
    }

    async fn case_header(&self, case: CaseId) -> StoreResult<Option<CaseHeader>> {
        sqlx::query(sql!("SELECT stage, closed_reason, cooperation, profile, hhs_notice_due_at, hhs_notice_met_at, created_at, updated_at
             FROM cases WHERE id = $1"))
        .bind(case.as_uuid())
        .fetch_optional(reader!(self))
        .await?
        .map(|r| header_from_row(&r, "profile"))
        .transpose()
    }

    async fn update_case_header(
        &self,
        case: CaseId,
        change: &HeaderChange,
        entry: Option<&StoredEntry>,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        write_tx!(self, tx);
        let done = match change {
            HeaderChange::Stage { from, to, reason } => {
                sqlx::query(sql!("UPDATE cases SET stage = $1, closed_reason = $2, updated_at = $3 WHERE id = $4 AND stage = $5"))
                    .bind(to.as_str())
                    .bind(reason.map(|r| r.as_str()))
                    .bind(ts(at))
                    .bind(case.as_uuid())
                    .bind(from.as_str())
                    .execute(&mut *tx)
                    .await?
            }
            HeaderChange::Cooperation(c) => {
                sqlx::query(sql!("UPDATE cases SET cooperation = $1, updated_at = $2 WHERE id = $3"))
                    .bind(c.as_str())
                    .bind(ts(at))
                    .bind(case.as_uuid())
                    .execute(&mut *tx)
                    .await?
            }
            HeaderChange::Profile(bytes) => {
                sqlx::query(sql!("UPDATE cases SET profile = $1, updated_at = $2 WHERE id = $3"))
                    .bind(bytes)
                    .bind(ts(at))
                    .bind(case.as_uuid())
                    .execute(&mut *tx)
                    .await?
            }
            HeaderChange::HhsNotified(when) => {
                sqlx::query(sql!("UPDATE cases SET hhs_notice_met_at = $1, updated_at = $2 WHERE id = $3 AND hhs_notice_met_at IS NULL"))
                    .bind(ts(*when))
                    .bind(ts(at))
                    .bind(case.as_uuid())
                    .execute(&mut *tx)
                    .await?
            }
        };
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some(e) = entry {
            insert_entry(&mut tx, e).await?;
        }
        commit_audited(tx, audit).await?;
        Ok(true)
    }

    async fn update_person(
        &self,
        case: CaseId,
        person: &StoredPerson,
        match_keys: &[[u8; 32]],
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        write_tx!(self, tx);
        let done = sqlx::query(sql!(
            "UPDATE persons SET name = $1, birth_date = $2, name_dob_index = $3, profile = $4
             WHERE id = $5 AND id = (SELECT person_id FROM cases WHERE id = $6)"
        ))
        .bind(&person.name)
        .bind(person.birth_date.as_deref())
        .bind(person.name_dob_index.as_ref().map(|i| &i[..]))
        .bind(person.profile.as_deref())
        .bind(person.id.as_uuid())
        .bind(case.as_uuid())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(sql!("DELETE FROM person_match_keys WHERE person_id = $1"))
            .bind(person.id.as_uuid())
            .execute(&mut *tx)
            .await?;
        insert_match_keys(&mut tx, person, match_keys).await?;
        touch_case(&mut tx, case, at).await?;
        commit_audited(tx, audit).await?;
        Ok(true)
    }

    async fn close_matches(
        &self,
        organization: OrganizationId,
        keys: &[[u8; 32]],
        limit: u32,
    ) -> StoreResult<Vec<(PersonId, Option<CaseId>, u32)>> {
        let mut hits: std::collections::HashMap<Uuid, u32> = std::collections::HashMap::new();
        read_conn!(self, conn);
        for key in keys {
            let people: Vec<Uuid> = sqlx::query_scalar(sql!("SELECT person_id FROM person_match_keys WHERE organization_id = $1 AND match_key = $2 LIMIT 200"))
            .bind(organization.as_uuid())
            .bind(&key[..])
            .fetch_all(&mut *conn)
            .await?;
            for p in people {
                *hits.entry(p).or_default() += 1;
            }
        }
        let mut ranked: Vec<(Uuid, u32)> = hits.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(limit as usize);
        let mut out = Vec::with_capacity(ranked.len());
        for (person, n) in ranked {
            let case: Option<Uuid> = sqlx::query_scalar(sql!(
                "SELECT id FROM cases WHERE person_id = $1 ORDER BY created_at LIMIT 1"
            ))
            .bind(person)
            .fetch_optional(&mut *conn)
            .await?;
            out.push((PersonId::from_uuid(person), case.map(CaseId::from_uuid), n));
        }
        Ok(out)
    }

    async fn set_team_member(
        &self,
        case: CaseId,
        user: UserId,
        role: TeamRole,
        add: bool,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        write_tx!(self, tx);
        let done = if add {
            sqlx::query(sql!("INSERT INTO case_team (case_id, user_id, team_role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"))
                .bind(case.as_uuid())
                .bind(user.as_uuid())
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?
        } else {
            sqlx::query(sql!(
                "DELETE FROM case_team WHERE case_id = $1 AND user_id = $2 AND team_role = $3"
            ))
            .bind(case.as_uuid())
            .bind(user.as_uuid())
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?
        };
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        touch_case(&mut tx, case, audit.at).await?;
        commit_audited(tx, audit).await?;
        Ok(true)
    }

    async fn add_entry(
        &self,
        entry: &StoredEntry,
        audit: &AuditEntry,
        notices: &[crate::DeliveryRow],
    ) -> StoreResult<()> {
        write_tx!(self, tx);
        insert_entry(&mut tx, entry).await?;
        super::interview::insert_deliveries(&mut tx, notices).await?;
        commit_audited(tx, audit).await
    }

    async fn update_entry(&self, u: &EntryUpdate, audit: &AuditEntry) -> StoreResult<bool> {
        write_tx!(self, tx);
        let done = sqlx::query(sql!("UPDATE case_entries SET status = $1, due_on = $2, assignee = $3, body = $4, updated_at = $5
             WHERE id = $6 AND case_id = $7"))
        .bind(u.status.as_deref())
        .bind(day(u.due_on))
        .bind(u.assignee.map(|a| *a.as_uuid()))
        .bind(&u.body)
        .bind(ts(u.at))
        .bind(u.id.as_uuid())
        .bind(u.case.as_uuid())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        touch_case(&mut tx, u.case, u.at).await?;
        commit_audited(tx, audit).await?;
        Ok(true)
    }

    async fn entry(&self, case: CaseId, id: EntryId) -> StoreResult<Option<StoredEntry>> {
        let q = sqlx::query(sql!("SELECT id, case_id, kind, compartment, category, status, due_on, assignee, parent_id, body, by_user, at, updated_at
             FROM case_entries WHERE id = $1 AND case_id = $2"))
        .bind(id.as_uuid())
        .bind(case.as_uuid());
        row_of(self, q, entry_from_row).await
    }

    async fn case_entries(
        &self,
        case: CaseId,
        timeline_limit: u32,
    ) -> StoreResult<(Vec<StoredEntry>, u64)> {
        // One round trip: every structured entry, the newest timeline events,
        // and the number of timeline events.
        let rows = sqlx::query(sql!(concat!(
            "SELECT x.*, n.total FROM (
                SELECT 0 AS part, s.* FROM (",
            entry_columns!(),
            "WHERE case_id = $1 AND ",
            structured_kinds!(),
            ") s
                UNION ALL
                SELECT 1 AS part, t.* FROM (",
            entry_columns!(),
            "WHERE case_id = $1 AND ",
            timeline_kinds!(),
            " ORDER BY at DESC, id DESC LIMIT $2) t
             ) x, (SELECT count(*) AS total FROM case_entries WHERE case_id = $1 AND ",
            timeline_kinds!(),
            ") n
             ORDER BY x.part, x.at DESC, x.id DESC",
        )))
        .bind(case.as_uuid())
        .bind(i64::from(timeline_limit))
        .fetch_all(reader!(self))
        .await?;
        let total = match rows.first() {
            Some(r) => u64::try_from(r.try_get::<i64, _>("total")?).unwrap_or(0),
            None => 0,
        };
        let entries = rows
            .iter()
            .map(entry_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((entries, total))
    }

    async fn caseload(&self, q: &CaseloadQuery) -> StoreResult<(u64, Vec<CaseloadRow>)> {
        if q.filter.nothing {
            return Ok((0, Vec::new()));
        }
        let order = match q.sort {
            CaseloadSort::Updated => 0,
            CaseloadSort::Created => 1,
            CaseloadSort::Stage => 2,
            CaseloadSort::NextDue => 3,
        };
        // A supervisor's whole organization streams in order from its index
        // and stops after the page, so it is counted apart (from the kept
        // per-stage counts). Any other caseload is its granted cases alone,
        // read once for the page and its count: measured on PostgreSQL at
        // 1,000,000 cases, a specialist's page and count in one statement took
        // 2.2 ms against 3.2 ms as two (psql, mean of 200).
        let streamed = q.filter.supervised_org.is_some() && !q.mine_only;
        let sql = if streamed {
            CASELOAD_STREAMED[order]
        } else {
            CASELOAD_COUNTED[order]
        };
        let roles = role_list(&q.filter.consent_roles);
        let today = Some(q.now.date());
        let stage = q.stage.map(Stage::as_str);
        read_conn!(self, conn);
        let rows = sqlx::query(sql)
            .bind(q.filter.team_member.as_uuid())
            .bind(q.filter.supervised_org.map(|o| *o.as_uuid()))
            .bind(q.mine_only)
            .bind(q.filter.consent_org.as_uuid())
            .bind(ts(q.now))
            .bind(day(today))
            .bind(&roles)
            .bind(stage)
            .bind(q.hhs_pending)
            .bind(i64::from(q.limit))
            .bind(i64::from(q.offset))
            .fetch_all(&mut *conn)
            .await?;
        let counted = match rows.first() {
            Some(r) => r.try_get::<Option<i64>, _>("total")?,
            None => None,
        };
        // A streamed page, or a page past the end, has no count of its own.
        // Folded into a streamed page, the count would make the planner read
        // the whole organization (measured: ten times slower).
        let total = match counted {
            Some(n) => n,
            None => {
                let count = if q.hhs_pending {
                    CASELOAD_COUNT
                } else {
                    CASELOAD_COUNT_KEPT
                };
                sqlx::query_scalar(count)
                    .bind(q.filter.team_member.as_uuid())
                    .bind(q.filter.supervised_org.map(|o| *o.as_uuid()))
                    .bind(q.mine_only)
                    .bind(q.filter.consent_org.as_uuid())
                    .bind(ts(q.now))
                    .bind(day(today))
                    .bind(&roles)
                    .bind(stage)
                    .bind(q.hhs_pending)
                    .fetch_one(&mut *conn)
                    .await?
            }
        };
        let rows = rows
            .iter()
            .map(|r| {
                Ok(CaseloadRow {
                    id: CaseId::from_uuid(r.try_get("id")?),
                    person: r
                        .try_get::<Option<Uuid>, _>("person_id")?
                        .map(PersonId::from_uuid),
                    name: r.try_get("name")?,
                    stage: Stage::parse(r.try_get("stage")?)
                        .ok_or(StoreError::Corrupt("cases.stage"))?,
                    updated_at: get_ts(r, "updated_at")?,
                    next_due: get_opt_day(r, "next_due")?,
                    hhs_notice_due_at: get_opt_ts(r, "hhs_notice_due_at")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((u64::try_from(total).unwrap_or(0), rows))
    }

    async fn add_attachment(
        &self,
        m: &AttachmentMeta,
        content: &[u8],
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!("INSERT INTO case_attachments (id, case_id, compartment, name, content_type, size, sha256, content, by_user, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
        .bind(m.id.as_uuid())
        .bind(m.case.as_uuid())
        .bind(compartment_str(m.compartment))
        .bind(&m.name)
        .bind(&m.content_type)
        .bind(i64::try_from(m.size).unwrap_or(i64::MAX))
        .bind(&m.sha256[..])
        .bind(content)
        .bind(m.by.as_uuid())
        .bind(ts(m.at))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "attachment id"))?;
        touch_case(&mut tx, m.case, m.at).await?;
        commit_audited(tx, audit).await
    }

    async fn attachments(&self, case: CaseId) -> StoreResult<Vec<AttachmentMeta>> {
        let sql = sql!(concat!(
            attachment_columns!(),
            "WHERE case_id = $1 ORDER BY at DESC, id DESC"
        ));
        rows_by(self, sql, case.as_uuid(), attachment_from_row).await
    }

    async fn attachment(
        &self,
        case: CaseId,
        id: AttachmentId,
    ) -> StoreResult<Option<(AttachmentMeta, Vec<u8>)>> {
        let Some(r) = sqlx::query(sql!("SELECT id, case_id, compartment, name, content_type, size, sha256, by_user, at, content
             FROM case_attachments WHERE id = $1 AND case_id = $2"))
        .bind(id.as_uuid())
        .bind(case.as_uuid())
        .fetch_optional(reader!(self))
        .await?
        else {
            return Ok(None);
        };
        Ok(Some((attachment_from_row(&r)?, r.try_get("content")?)))
    }

    async fn save_draft(&self, d: &StoredDraft, audit: &AuditEntry) -> StoreResult<()> {
        write_tx!(self, tx);
        let done = sqlx::query(sql!("INSERT INTO intake_drafts (id, user_id, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
             WHERE intake_drafts.user_id = excluded.user_id"))
        .bind(d.id.as_uuid())
        .bind(d.user.as_uuid())
        .bind(&d.body)
        .bind(ts(d.created_at))
        .bind(ts(d.updated_at))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict { field: "draft id" });
        }
        commit_audited(tx, audit).await
    }

    async fn drafts(&self, user: UserId) -> StoreResult<Vec<StoredDraft>> {
        let sql = sql!(
            "SELECT id, user_id, body, created_at, updated_at FROM intake_drafts WHERE user_id = $1 ORDER BY updated_at DESC"
        );
        rows_by(self, sql, user.as_uuid(), draft_from_row).await
    }

    async fn draft(&self, user: UserId, id: DraftId) -> StoreResult<Option<StoredDraft>> {
        let q = sqlx::query(sql!("SELECT id, user_id, body, created_at, updated_at FROM intake_drafts WHERE id = $1 AND user_id = $2"))
        .bind(id.as_uuid())
        .bind(user.as_uuid());
        row_of(self, q, draft_from_row).await
    }

    async fn delete_draft(
        &self,
        user: UserId,
        id: DraftId,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let q = sqlx::query(sql!(
            "DELETE FROM intake_drafts WHERE id = $1 AND user_id = $2"
        ))
        .bind(id.as_uuid())
        .bind(user.as_uuid());
        change_one(self, q, audit).await
    }
}
