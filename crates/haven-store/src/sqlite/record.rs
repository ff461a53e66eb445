//! The case record on SQLite: the code is `shared/record.rs`; the time
//! helpers, the caseload's SQL and the bulk import differ and are here.

use super::{from_millis, to_millis};

const DAY: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

// Times are INTEGER milliseconds and dates ISO text here; the PostgreSQL
// twin of this file has the same shape with native types.
pub(super) fn ts(t: OffsetDateTime) -> i64 {
    to_millis(t)
}

pub(super) fn get_ts(r: &DbRow, col: &'static str) -> StoreResult<OffsetDateTime> {
    from_millis(r.try_get(col)?, col)
}

pub(super) fn get_opt_ts(r: &DbRow, col: &'static str) -> StoreResult<Option<OffsetDateTime>> {
    r.try_get::<Option<i64>, _>(col)?
        .map(|ms| from_millis(ms, col))
        .transpose()
}

pub(super) fn day(d: Option<Date>) -> Option<String> {
    d.map(|d| d.format(DAY).unwrap_or_default())
}

pub(super) fn get_opt_day(r: &DbRow, col: &'static str) -> StoreResult<Option<Date>> {
    r.try_get::<Option<String>, _>(col)?
        .map(|s| Date::parse(&s, DAY).map_err(|_| StoreError::Corrupt(col)))
        .transpose()
}

/// Bulk import on SQLite: each table's rows of a batch go in as one JSON
/// array through `INSERT ... SELECT FROM json_each(?)` (blobs hex-encoded),
/// one statement per table instead of one per row.
async fn import_batch(tx: &mut DbConn, cases: &[ImportCase]) -> StoreResult<()> {
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

async fn import_cases(store: &Store, cases: &[ImportCase], audit: &AuditEntry) -> StoreResult<()> {
    write_tx!(store, tx);
    import_batch(&mut tx, cases).await?;
    commit_audited(tx, audit).await
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
/// the order anyway (no organization-wide arm; see [`Store::caseload`]),
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

include!("../shared/record.rs");
