use super::audit::insert_audit;
use super::{SqliteStore, from_millis, to_millis};
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
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

const DAY: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

// Times are INTEGER milliseconds and dates ISO text here; the PostgreSQL
// twin of this file has the same shape with native types.
pub(super) fn ts(t: OffsetDateTime) -> i64 {
    to_millis(t)
}

pub(super) fn get_ts(r: &SqliteRow, col: &'static str) -> StoreResult<OffsetDateTime> {
    from_millis(r.try_get(col)?, col)
}

pub(super) fn get_opt_ts(r: &SqliteRow, col: &'static str) -> StoreResult<Option<OffsetDateTime>> {
    r.try_get::<Option<i64>, _>(col)?
        .map(|ms| from_millis(ms, col))
        .transpose()
}

pub(super) fn day(d: Option<Date>) -> Option<String> {
    d.map(|d| d.format(DAY).unwrap_or_default())
}

pub(super) fn get_opt_day(r: &SqliteRow, col: &'static str) -> StoreResult<Option<Date>> {
    r.try_get::<Option<String>, _>(col)?
        .map(|s| Date::parse(&s, DAY).map_err(|_| StoreError::Corrupt(col)))
        .transpose()
}

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

pub(super) fn header_from_row(r: &SqliteRow, profile_col: &'static str) -> StoreResult<CaseHeader> {
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

fn entry_from_row(r: &SqliteRow) -> StoreResult<StoredEntry> {
    Ok(StoredEntry {
        id: EntryId::from_uuid(r.try_get("id")?),
        case: CaseId::from_uuid(r.try_get("case_id")?),
        kind: EntryKind::parse(r.try_get("kind")?)
            .ok_or(StoreError::Corrupt("case_entries.kind"))?,
        compartment: parse_compartment(r.try_get("compartment")?)?,
        category: r.try_get("category")?,
        status: r.try_get("status")?,
        due_on: get_opt_day(r, "due_on")?,
        assignee: r
            .try_get::<Option<Uuid>, _>("assignee")?
            .map(UserId::from_uuid),
        parent: r
            .try_get::<Option<Uuid>, _>("parent_id")?
            .map(EntryId::from_uuid),
        body: r.try_get("body")?,
        by: UserId::from_uuid(r.try_get("by_user")?),
        at: get_ts(r, "at")?,
        updated_at: get_ts(r, "updated_at")?,
    })
}

async fn insert_entry(conn: &mut SqliteConnection, e: &StoredEntry) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO case_entries (id, case_id, kind, compartment, category, status, due_on, assignee, parent_id, body, by_user, at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
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

async fn insert_intake(tx: &mut SqliteConnection, intake: &NewIntake<'_>) -> StoreResult<()> {
    let NewIntake {
        person,
        match_keys,
        facts,
        header,
        entries,
        draft,
    } = *intake;
    sqlx::query(
        "INSERT INTO persons (id, organization_id, name, birth_date, name_dob_index, profile, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
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
    sqlx::query(
        "INSERT INTO cases (id, organization_id, flag_1367, created_at, person_id, stage, closed_reason,
                            cooperation, profile, hhs_notice_due_at, hhs_notice_met_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
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
        sqlx::query("INSERT INTO case_team (case_id, user_id, team_role) VALUES (?, ?, ?)")
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
        sqlx::query("DELETE FROM intake_drafts WHERE id = ? AND user_id = ?")
            .bind(id.as_uuid())
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Bulk import on SQLite: each table's rows of a batch go in as one JSON
/// array through `INSERT ... SELECT FROM json_each(?)` (blobs hex-encoded),
/// one statement per table instead of one per row.
async fn import_batch(tx: &mut SqliteConnection, cases: &[ImportCase]) -> StoreResult<()> {
    use super::hex_json as hex;
    use serde_json::{Value, json};
    fn opt_hex(b: Option<&[u8]>) -> Value {
        b.map_or(Value::Null, hex)
    }
    let mut persons = Vec::with_capacity(cases.len());
    let mut rows = Vec::with_capacity(cases.len());
    let mut team = Vec::new();
    let mut keys = Vec::new();
    let mut entries = Vec::new();
    for c in cases {
        let p = &c.person;
        let h = &c.header;
        persons.push(json!([
            hex(p.id.as_uuid().as_bytes()),
            hex(p.organization.as_uuid().as_bytes()),
            hex(&p.name),
            opt_hex(p.birth_date.as_deref()),
            opt_hex(p.name_dob_index.as_ref().map(|i| &i[..])),
            opt_hex(p.profile.as_deref()),
            ts(h.created_at)
        ]));
        rows.push(json!([
            hex(c.facts.id.as_uuid().as_bytes()),
            hex(c.facts.organization.as_uuid().as_bytes()),
            i64::from(c.facts.flag_1367),
            ts(h.created_at),
            hex(p.id.as_uuid().as_bytes()),
            h.stage.as_str(),
            h.closed_reason.map(|r| r.as_str()),
            h.cooperation.as_str(),
            opt_hex(h.profile.as_deref()),
            h.hhs_notice_due_at.map(ts),
            h.hhs_notice_met_at.map(ts),
            ts(h.updated_at)
        ]));
        for (u, r) in &c.facts.team {
            team.push(json!([
                hex(c.facts.id.as_uuid().as_bytes()),
                hex(u.as_uuid().as_bytes()),
                r.as_str()
            ]));
        }
        for k in &c.match_keys {
            keys.push(json!([
                hex(p.organization.as_uuid().as_bytes()),
                hex(k),
                hex(p.id.as_uuid().as_bytes())
            ]));
        }
        for e in &c.entries {
            entries.push(json!([
                hex(e.id.as_uuid().as_bytes()),
                hex(e.case.as_uuid().as_bytes()),
                e.kind.as_str(),
                compartment_str(e.compartment),
                e.category,
                e.status,
                day(e.due_on),
                opt_hex(
                    e.assignee
                        .map(|u| *u.as_uuid().as_bytes())
                        .as_ref()
                        .map(|b| &b[..])
                ),
                opt_hex(
                    e.parent
                        .map(|p| *p.as_uuid().as_bytes())
                        .as_ref()
                        .map(|b| &b[..])
                ),
                hex(&e.body),
                hex(e.by.as_uuid().as_bytes()),
                ts(e.at),
                ts(e.updated_at)
            ]));
        }
    }
    let text = |v: Vec<Value>| Value::Array(v).to_string();
    sqlx::query(
        "INSERT INTO persons (id, organization_id, name, birth_date, name_dob_index, profile, created_at)
         SELECT unhex(value->>0), unhex(value->>1), unhex(value->>2), unhex(value->>3), unhex(value->>4),
                unhex(value->>5), value->>6
         FROM json_each(?)",
    )
    .bind(text(persons))
    .execute(&mut *tx)
    .await
    .map_err(|e| StoreError::unique(e, "person id"))?;
    sqlx::query(
        "INSERT INTO cases (id, organization_id, flag_1367, created_at, person_id, stage, closed_reason,
                            cooperation, profile, hhs_notice_due_at, hhs_notice_met_at, updated_at)
         SELECT unhex(value->>0), unhex(value->>1), value->>2, value->>3, unhex(value->>4), value->>5, value->>6,
                value->>7, unhex(value->>8), value->>9, value->>10, value->>11
         FROM json_each(?)",
    )
    .bind(text(rows))
    .execute(&mut *tx)
    .await
    .map_err(|e| StoreError::unique(e, "case id"))?;
    sqlx::query(
        "INSERT INTO case_team (case_id, user_id, team_role)
         SELECT unhex(value->>0), unhex(value->>1), value->>2 FROM json_each(?)",
    )
    .bind(text(team))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO person_match_keys (organization_id, match_key, person_id)
         SELECT unhex(value->>0), unhex(value->>1), unhex(value->>2) FROM json_each(?) WHERE true
         ON CONFLICT DO NOTHING",
    )
    .bind(text(keys))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO case_entries (id, case_id, kind, compartment, category, status, due_on, assignee, parent_id,
                                   body, by_user, at, updated_at)
         SELECT unhex(value->>0), unhex(value->>1), value->>2, value->>3, value->>4, value->>5, value->>6,
                unhex(value->>7), unhex(value->>8), unhex(value->>9), unhex(value->>10), value->>11, value->>12
         FROM json_each(?)",
    )
    .bind(text(entries))
    .execute(&mut *tx)
    .await
    .map_err(|e| StoreError::unique(e, "entry id"))?;
    Ok(())
}

async fn touch_case(
    conn: &mut SqliteConnection,
    case: CaseId,
    at: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query("UPDATE cases SET updated_at = ? WHERE id = ? AND updated_at < ?")
        .bind(ts(at))
        .bind(case.as_uuid())
        .bind(ts(at))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn insert_match_keys(
    conn: &mut SqliteConnection,
    person: &StoredPerson,
    keys: &[[u8; 32]],
) -> StoreResult<()> {
    for key in keys {
        sqlx::query(
            "INSERT INTO person_match_keys (organization_id, match_key, person_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(person.organization.as_uuid())
        .bind(&key[..])
        .bind(person.id.as_uuid())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn attachment_from_row(r: &SqliteRow) -> StoreResult<AttachmentMeta> {
    Ok(AttachmentMeta {
        id: AttachmentId::from_uuid(r.try_get("id")?),
        case: CaseId::from_uuid(r.try_get("case_id")?),
        compartment: parse_compartment(r.try_get("compartment")?)?,
        name: r.try_get("name")?,
        content_type: r.try_get("content_type")?,
        size: u64::try_from(r.try_get::<i64, _>("size")?)
            .map_err(|_| StoreError::Corrupt("case_attachments.size"))?,
        sha256: crate::bytes32(r.try_get("sha256")?, "case_attachments.sha256")?,
        by: UserId::from_uuid(r.try_get("by_user")?),
        at: get_ts(r, "at")?,
    })
}

fn draft_from_row(r: &SqliteRow) -> StoreResult<StoredDraft> {
    Ok(StoredDraft {
        id: DraftId::from_uuid(r.try_get("id")?),
        user: UserId::from_uuid(r.try_get("user_id")?),
        body: r.try_get("body")?,
        created_at: get_ts(r, "created_at")?,
        updated_at: get_ts(r, "updated_at")?,
    })
}

/// The cases granted to the user other than by supervising their
/// organization (team, releases to the organization or a role), as `c`,
/// deduplicated among themselves. The team's cases come from
/// `team_caseloads` (migration 0014: their caseload columns in one range,
/// not a lookup by id per case). Parameters: ?1 user, ?2 supervised
/// organization, ?3 mine only, ?4 the user's organization, ?5 now, ?6 today,
/// ?7 roles.
macro_rules! granted_cases {
    () => {
        concat!(
            "(SELECT t.case_id AS id, t.organization_id, t.updated_at, t.created_at, t.stage,
                     t.hhs_notice_due_at, t.hhs_notice_met_at
                FROM team_caseloads t WHERE t.user_id = ?1
              UNION ALL
              SELECT c.id, c.organization_id, c.updated_at, c.created_at, c.stage,
                     c.hhs_notice_due_at, c.hhs_notice_met_at
                FROM cases c JOIN (",
            released_case_ids!(),
            ") g ON g.case_id = c.id
               WHERE NOT EXISTS (SELECT 1 FROM team_caseloads t WHERE t.user_id = ?1 AND t.case_id = c.id)) c
             WHERE (?2 IS NULL OR ?3 OR c.organization_id <> ?2)"
        )
    };
}

/// The cases the policy filter lets through, with the columns a caseload
/// sorts and filters on. A supervisor's own organization streams from one
/// covering index (`cases_caseload`); the granted rest is small.
macro_rules! visible_cases {
    () => {
        concat!(
            "WITH visible(id, updated_at, created_at, stage, hhs_due, hhs_met) AS (
                SELECT id, updated_at, created_at, stage, hhs_notice_due_at, hhs_notice_met_at
                  FROM cases WHERE organization_id = ?2 AND NOT ?3
                UNION ALL
                SELECT c.id, c.updated_at, c.created_at, c.stage, c.hhs_notice_due_at, c.hhs_notice_met_at
                  FROM ",
            granted_cases!(),
            ")"
        )
    };
}

/// The caseload filters: ?8 stage, ?9 only HHS-5 notices due; on `visible`
/// as `v`, and on `cases` as `c`.
macro_rules! caseload_filters {
    () => {
        " WHERE (?8 IS NULL OR v.stage = ?8) AND (NOT ?9 OR (v.hhs_due IS NOT NULL AND v.hhs_met IS NULL))"
    };
    (c) => {
        " AND (?8 IS NULL OR c.stage = ?8) AND (NOT ?9 OR (c.hhs_notice_due_at IS NOT NULL AND c.hhs_notice_met_at IS NULL))"
    };
}

/// Counted as two sums: the organization's own cases straight from an
/// index, without carrying 10,000 rows through the union (measured: four
/// times faster). Only the HHS-5 filter needs this: see
/// [`CASELOAD_COUNT_KEPT`].
const CASELOAD_COUNT: &str = concat!(
    "SELECT (SELECT count(*) FROM cases c WHERE c.organization_id = ?2 AND NOT ?3",
    caseload_filters!(c),
    ") + (SELECT count(*) FROM ",
    granted_cases!(),
    caseload_filters!(c),
    ")"
);

/// The same count with the organization's own cases read from the per-stage
/// counts that triggers keep (`case_stage_counts`): a few rows instead of
/// the organization's whole index.
const CASELOAD_COUNT_KEPT: &str = concat!(
    "SELECT coalesce((SELECT sum(s.total) FROM case_stage_counts s
                      WHERE s.organization_id = ?2 AND NOT ?3 AND (?8 IS NULL OR s.stage = ?8)), 0)
          + (SELECT count(*) FROM ",
    granted_cases!(),
    caseload_filters!(c),
    ")"
);

/// One page in one order: the page's ids are chosen first (?10 limit, ?11
/// offset), and only those rows get their person and next open task.
/// `$total` is `count(*) OVER ()` where the whole visible set is read for
/// the order anyway (no organization-wide arm; see [`SqliteStore::caseload`]),
/// and `NULL` where the page streams from `cases_caseload` and the count is
/// a query of its own.
macro_rules! caseload_page {
    ($total:literal, $inner:literal, $outer:literal) => {
        concat!(
            visible_cases!(),
            ", page AS (SELECT v.id, v.updated_at, v.created_at, v.stage, ",
            $total,
            " AS total FROM visible v",
            caseload_filters!(),
            " ORDER BY ",
            $inner,
            " LIMIT ?10 OFFSET ?11)
             SELECT c.id, c.stage, c.updated_at, c.hhs_notice_due_at, c.person_id, p.name, page.total,
                    (SELECT min(e.due_on) FROM case_entries e
                      WHERE e.case_id = c.id AND e.kind = 'task' AND e.status = 'open') AS next_due
             FROM page JOIN cases c ON c.id = page.id LEFT JOIN persons p ON p.id = c.person_id
             ORDER BY ",
            $outer
        )
    };
}

/// Every order of [`caseload_page`], with `$total` as there.
macro_rules! caseload_orders {
    ($total:literal) => {
        [
            caseload_page!($total, "v.updated_at DESC, v.id DESC", "page.updated_at DESC, page.id DESC"),
            caseload_page!($total, "v.created_at, v.id", "page.created_at, page.id"),
            caseload_page!(
                $total,
                "CASE v.stage WHEN 'identified' THEN 0 WHEN 'stabilizing' THEN 1 WHEN 'receiving_services' THEN 2
                 WHEN 'long_term_support' THEN 3 WHEN 'reopened' THEN 4 ELSE 5 END, v.updated_at DESC, v.id",
                "CASE page.stage WHEN 'identified' THEN 0 WHEN 'stabilizing' THEN 1 WHEN 'receiving_services' THEN 2
                 WHEN 'long_term_support' THEN 3 WHEN 'reopened' THEN 4 ELSE 5 END, page.updated_at DESC, page.id"
            ),
            caseload_by_due!($total),
        ]
    };
}

/// Ordered by the next open task, which has to be found for every case.
macro_rules! caseload_by_due {
    ($total:literal) => {
        concat!(
            visible_cases!(),
            ", page AS (SELECT v.id, (SELECT min(e.due_on) FROM case_entries e
                      WHERE e.case_id = v.id AND e.kind = 'task' AND e.status = 'open') AS next_due, ",
            $total,
            " AS total FROM visible v",
            caseload_filters!(),
            " ORDER BY next_due ASC NULLS LAST, v.id LIMIT ?10 OFFSET ?11)
             SELECT c.id, c.stage, c.updated_at, c.hhs_notice_due_at, c.person_id, p.name, page.total, page.next_due
             FROM page JOIN cases c ON c.id = page.id LEFT JOIN persons p ON p.id = c.person_id
             ORDER BY page.next_due ASC NULLS LAST, c.id"
        )
    };
}

/// The page with its count, for a caseload without an organization-wide arm.
const CASELOAD_COUNTED: [&str; 4] = caseload_orders!("count(*) OVER ()");
/// The page alone, for a supervisor's whole organization.
const CASELOAD_STREAMED: [&str; 4] = caseload_orders!("NULL");

#[async_trait]
impl CaseRecordStore for SqliteStore {
    async fn create_intake(&self, intake: &NewIntake<'_>, audit: &AuditEntry) -> StoreResult<()> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        insert_intake(&mut tx, intake).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn import_cases(&self, cases: &[ImportCase], audit: &AuditEntry) -> StoreResult<()> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        import_batch(&mut tx, cases).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn case_header(&self, case: CaseId) -> StoreResult<Option<CaseHeader>> {
        sqlx::query(
            "SELECT stage, closed_reason, cooperation, profile, hhs_notice_due_at, hhs_notice_met_at, created_at, updated_at
             FROM cases WHERE id = ?",
        )
        .bind(case.as_uuid())
        .fetch_optional(&mut *self.read().await?)
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
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        let done = match change {
            HeaderChange::Stage { from, to, reason } => {
                sqlx::query("UPDATE cases SET stage = ?, closed_reason = ?, updated_at = ? WHERE id = ? AND stage = ?")
                    .bind(to.as_str())
                    .bind(reason.map(|r| r.as_str()))
                    .bind(ts(at))
                    .bind(case.as_uuid())
                    .bind(from.as_str())
                    .execute(&mut *tx)
                    .await?
            }
            HeaderChange::Cooperation(c) => {
                sqlx::query("UPDATE cases SET cooperation = ?, updated_at = ? WHERE id = ?")
                    .bind(c.as_str())
                    .bind(ts(at))
                    .bind(case.as_uuid())
                    .execute(&mut *tx)
                    .await?
            }
            HeaderChange::Profile(bytes) => {
                sqlx::query("UPDATE cases SET profile = ?, updated_at = ? WHERE id = ?")
                    .bind(bytes)
                    .bind(ts(at))
                    .bind(case.as_uuid())
                    .execute(&mut *tx)
                    .await?
            }
            HeaderChange::HhsNotified(when) => {
                sqlx::query("UPDATE cases SET hhs_notice_met_at = ?, updated_at = ? WHERE id = ? AND hhs_notice_met_at IS NULL")
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
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
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
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        let done = sqlx::query(
            "UPDATE persons SET name = ?, birth_date = ?, name_dob_index = ?, profile = ?
             WHERE id = ? AND id = (SELECT person_id FROM cases WHERE id = ?)",
        )
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
        sqlx::query("DELETE FROM person_match_keys WHERE person_id = ?")
            .bind(person.id.as_uuid())
            .execute(&mut *tx)
            .await?;
        insert_match_keys(&mut tx, person, match_keys).await?;
        touch_case(&mut tx, case, at).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn close_matches(
        &self,
        organization: OrganizationId,
        keys: &[[u8; 32]],
        limit: u32,
    ) -> StoreResult<Vec<(PersonId, Option<CaseId>, u32)>> {
        let mut hits: std::collections::HashMap<Uuid, u32> = std::collections::HashMap::new();
        let mut conn = self.read().await?;
        for key in keys {
            let people: Vec<Uuid> = sqlx::query_scalar(
                "SELECT person_id FROM person_match_keys WHERE organization_id = ? AND match_key = ? LIMIT 200",
            )
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
            let case: Option<Uuid> = sqlx::query_scalar(
                "SELECT id FROM cases WHERE person_id = ? ORDER BY created_at LIMIT 1",
            )
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
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        let done = if add {
            sqlx::query("INSERT INTO case_team (case_id, user_id, team_role) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
                .bind(case.as_uuid())
                .bind(user.as_uuid())
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?
        } else {
            sqlx::query("DELETE FROM case_team WHERE case_id = ? AND user_id = ? AND team_role = ?")
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
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn add_entry(
        &self,
        entry: &StoredEntry,
        audit: &AuditEntry,
        notices: &[crate::DeliveryRow],
    ) -> StoreResult<()> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        insert_entry(&mut tx, entry).await?;
        super::interview::insert_deliveries(&mut tx, notices).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_entry(&self, u: &EntryUpdate, audit: &AuditEntry) -> StoreResult<bool> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        let done = sqlx::query(
            "UPDATE case_entries SET status = ?, due_on = ?, assignee = ?, body = ?, updated_at = ?
             WHERE id = ? AND case_id = ?",
        )
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
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn entry(&self, case: CaseId, id: EntryId) -> StoreResult<Option<StoredEntry>> {
        sqlx::query(
            "SELECT id, case_id, kind, compartment, category, status, due_on, assignee, parent_id, body, by_user, at, updated_at
             FROM case_entries WHERE id = ? AND case_id = ?",
        )
        .bind(id.as_uuid())
        .bind(case.as_uuid())
        .fetch_optional(&mut *self.read().await?)
        .await?
        .map(|r| entry_from_row(&r))
        .transpose()
    }

    async fn case_entries(
        &self,
        case: CaseId,
        timeline_limit: u32,
    ) -> StoreResult<(Vec<StoredEntry>, u64)> {
        // One round trip: every structured entry, the newest timeline events,
        // and the number of timeline events.
        let rows = sqlx::query(
            "SELECT x.*, n.total FROM (
                SELECT 0 AS part, s.* FROM (
                    SELECT id, case_id, kind, compartment, category, status, due_on, assignee, parent_id, body, by_user, at, updated_at
                    FROM case_entries WHERE case_id = ?1 AND kind IN ('need', 'plan_item', 'task', 'rights', 'screening')) s
                UNION ALL
                SELECT 1 AS part, t.* FROM (
                    SELECT id, case_id, kind, compartment, category, status, due_on, assignee, parent_id, body, by_user, at, updated_at
                    FROM case_entries
                    WHERE case_id = ?1 AND kind IN ('contact', 'service', 'court', 'interview', 'note', 'status_change')
                    ORDER BY at DESC, id DESC LIMIT ?2) t
             ) x, (SELECT count(*) AS total FROM case_entries
                   WHERE case_id = ?1 AND kind IN ('contact', 'service', 'court', 'interview', 'note', 'status_change')) n
             ORDER BY x.part, x.at DESC, x.id DESC",
        )
        .bind(case.as_uuid())
        .bind(i64::from(timeline_limit))
        .fetch_all(&mut *self.read().await?)
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
        // and stops after the page: counting it in the same statement would
        // read every case first (measured: ten times slower). Any other
        // caseload is read whole for the order anyway, and counted with it.
        let streamed = q.filter.supervised_org.is_some() && !q.mine_only;
        let sql = if streamed {
            CASELOAD_STREAMED[order]
        } else {
            CASELOAD_COUNTED[order]
        };
        let roles = q
            .filter
            .consent_roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let today = day(Some(q.now.date()));
        let stage = q.stage.map(Stage::as_str);
        let mut conn = self.read().await?;
        let rows = sqlx::query(sql)
            .bind(q.filter.team_member.as_uuid())
            .bind(q.filter.supervised_org.map(|o| *o.as_uuid()))
            .bind(q.mine_only)
            .bind(q.filter.consent_org.as_uuid())
            .bind(ts(q.now))
            .bind(&today)
            .bind(&roles)
            .bind(stage)
            .bind(q.hhs_pending)
            .bind(i64::from(q.limit))
            .bind(i64::from(q.offset))
            .fetch_all(&mut *conn)
            .await?;
        let counted = match rows.first() {
            Some(r) if !streamed => r.try_get::<Option<i64>, _>("total")?,
            _ => None,
        };
        // A streamed page, or a page past the end, has no count of its own.
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
                    .bind(&today)
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
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        sqlx::query(
            "INSERT INTO case_attachments (id, case_id, compartment, name, content_type, size, sha256, content, by_user, at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
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
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn attachments(&self, case: CaseId) -> StoreResult<Vec<AttachmentMeta>> {
        sqlx::query(
            "SELECT id, case_id, compartment, name, content_type, size, sha256, by_user, at
             FROM case_attachments WHERE case_id = ? ORDER BY at DESC, id DESC",
        )
        .bind(case.as_uuid())
        .fetch_all(&mut *self.read().await?)
        .await?
        .iter()
        .map(attachment_from_row)
        .collect()
    }

    async fn attachment(
        &self,
        case: CaseId,
        id: AttachmentId,
    ) -> StoreResult<Option<(AttachmentMeta, Vec<u8>)>> {
        let Some(r) = sqlx::query(
            "SELECT id, case_id, compartment, name, content_type, size, sha256, by_user, at, content
             FROM case_attachments WHERE id = ? AND case_id = ?",
        )
        .bind(id.as_uuid())
        .bind(case.as_uuid())
        .fetch_optional(&mut *self.read().await?)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some((attachment_from_row(&r)?, r.try_get("content")?)))
    }

    async fn save_draft(&self, d: &StoredDraft, audit: &AuditEntry) -> StoreResult<()> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        let done = sqlx::query(
            "INSERT INTO intake_drafts (id, user_id, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
             WHERE intake_drafts.user_id = excluded.user_id",
        )
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
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn drafts(&self, user: UserId) -> StoreResult<Vec<StoredDraft>> {
        sqlx::query(
            "SELECT id, user_id, body, created_at, updated_at FROM intake_drafts WHERE user_id = ? ORDER BY updated_at DESC",
        )
        .bind(user.as_uuid())
        .fetch_all(&mut *self.read().await?)
        .await?
        .iter()
        .map(draft_from_row)
        .collect()
    }

    async fn draft(&self, user: UserId, id: DraftId) -> StoreResult<Option<StoredDraft>> {
        sqlx::query(
            "SELECT id, user_id, body, created_at, updated_at FROM intake_drafts WHERE id = ? AND user_id = ?",
        )
        .bind(id.as_uuid())
        .bind(user.as_uuid())
        .fetch_optional(&mut *self.read().await?)
        .await?
        .map(|r| draft_from_row(&r))
        .transpose()
    }

    async fn delete_draft(
        &self,
        user: UserId,
        id: DraftId,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        let done = sqlx::query("DELETE FROM intake_drafts WHERE id = ? AND user_id = ?")
            .bind(id.as_uuid())
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}
