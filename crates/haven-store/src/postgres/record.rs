//! The case record on PostgreSQL: the code is `shared/record.rs`; the time
//! helpers, the caseload's SQL and the bulk import differ and are here.

// Native timestamptz and date here; the SQLite twin of this file stores
// INTEGER milliseconds and ISO text with the same helper names.
pub(super) fn ts(t: OffsetDateTime) -> OffsetDateTime {
    t
}

pub(super) fn get_ts(r: &DbRow, col: &'static str) -> StoreResult<OffsetDateTime> {
    Ok(r.try_get(col)?)
}

pub(super) fn get_opt_ts(r: &DbRow, col: &'static str) -> StoreResult<Option<OffsetDateTime>> {
    Ok(r.try_get(col)?)
}

pub(super) fn day(d: Option<Date>) -> Option<Date> {
    d
}

pub(super) fn get_opt_day(r: &DbRow, col: &'static str) -> StoreResult<Option<Date>> {
    Ok(r.try_get(col)?)
}

/// The cases the policy filter lets through other than the supervised
/// organization's own: the grounds are small (team, releases to the
/// organization or a role) and deduplicated among themselves; the team's
/// cases from `team_caseloads` (migration 0014: their caseload columns in one
/// index range, not a lookup by id per case). Parameters:
/// $1 user, $2 supervised organization, $3 mine only, $4 the user's
/// organization, $5 now, $6 today, $7 roles.
macro_rules! granted_cases {
    () => {
        concat!(
            "(SELECT t.case_id AS id, t.organization_id, t.updated_at, t.created_at, t.stage,
                     t.hhs_notice_due_at, t.hhs_notice_met_at
                FROM team_caseloads t WHERE t.user_id = $1
              UNION ALL
              SELECT c.id, c.organization_id, c.updated_at, c.created_at, c.stage,
                     c.hhs_notice_due_at, c.hhs_notice_met_at
                FROM cases c JOIN (",
            released_case_ids!(),
            ") g ON g.case_id = c.id
               WHERE NOT EXISTS (SELECT 1 FROM team_caseloads t WHERE t.user_id = $1 AND t.case_id = c.id)) c
             WHERE ($2 IS NULL OR $3 OR c.organization_id <> $2)"
        )
    };
}

/// The caseload filters on a case aliased `c`: $8 stage, $9 only HHS-5
/// notices due.
macro_rules! caseload_filters {
    () => {
        " AND ($8 IS NULL OR c.stage = $8) AND (NOT $9 OR (c.hhs_notice_due_at IS NOT NULL AND c.hhs_notice_met_at IS NULL))"
    };
}

/// Everything the policy filter lets through: a supervisor's own
/// organization (one covering index, `cases_caseload`) and the granted rest.
macro_rules! visible_cases {
    () => {
        concat!(
            "WITH visible(id, updated_at, created_at, stage) AS (
                SELECT c.id, c.updated_at, c.created_at, c.stage
                  FROM cases c WHERE c.organization_id = $2 AND NOT $3",
            caseload_filters!(),
            " UNION ALL SELECT c.id, c.updated_at, c.created_at, c.stage FROM ",
            granted_cases!(),
            caseload_filters!(),
            ")"
        )
    };
}

/// Counted as two sums: the organization's own cases straight from the
/// covering index, without carrying rows through a union. Only the HHS-5
/// filter needs this: see [`CASELOAD_COUNT_KEPT`].
const CASELOAD_COUNT: &str = concat!(
    "SELECT (SELECT count(*) FROM cases c WHERE c.organization_id = $2 AND NOT $3",
    caseload_filters!(),
    ") + (SELECT count(*) FROM ",
    granted_cases!(),
    caseload_filters!(),
    ")"
);

/// The same count with the organization's own cases read from the per-stage
/// counts that triggers keep (`case_stage_counts`): a few rows instead of
/// the organization's whole index.
const CASELOAD_COUNT_KEPT: &str = concat!(
    "SELECT coalesce((SELECT sum(s.total) FROM case_stage_counts s
                      WHERE s.organization_id = $2 AND NOT $3 AND ($8 IS NULL OR s.stage = $8))::bigint, 0)
          + (SELECT count(*) FROM ",
    granted_cases!(),
    caseload_filters!(),
    ")"
);

/// The default order, most recently updated first: each ground yields only
/// its first offset + limit cases in that order (the organization's own by
/// walking `cases_caseload` backwards), so a supervisor's first page reads 25
/// index entries, not the organization's 10,000.
const CASELOAD_BY_UPDATED: &str = concat!(
    "WITH own AS (SELECT c.id, c.updated_at FROM cases c WHERE c.organization_id = $2 AND NOT $3",
    caseload_filters!(),
    " ORDER BY c.updated_at DESC, c.id DESC LIMIT $10 + $11),
     granted AS (SELECT c.id, c.updated_at FROM ",
    granted_cases!(),
    caseload_filters!(),
    " ORDER BY c.updated_at DESC, c.id DESC LIMIT $10 + $11),
     page AS (SELECT id, updated_at FROM own UNION ALL SELECT id, updated_at FROM granted
              ORDER BY updated_at DESC, id DESC LIMIT $10 OFFSET $11)
     SELECT c.id, c.stage, c.updated_at, c.hhs_notice_due_at, c.person_id, p.name, NULL::bigint AS total,
            (SELECT min(e.due_on) FROM case_entries e
              WHERE e.case_id = c.id AND e.kind = 'task' AND e.status = 'open') AS next_due
     FROM page JOIN cases c ON c.id = page.id LEFT JOIN persons p ON p.id = c.person_id
     ORDER BY page.updated_at DESC, page.id DESC"
);

/// A caseload without an organization-wide arm (specialists, agents, a
/// supervisor's "mine only"): only the granted cases, read once and
/// materialized, so that the page and its count come from one read.
macro_rules! granted_visible {
    () => {
        concat!(
            "WITH visible(id, updated_at, created_at, stage) AS MATERIALIZED (
                SELECT c.id, c.updated_at, c.created_at, c.stage FROM ",
            granted_cases!(),
            caseload_filters!(),
            ")"
        )
    };
}

/// One page in one order: the page's ids are chosen first ($10 limit, $11
/// offset), and only those rows get their person and next open task.
/// `counted` pages carry the count of their visible set as `total`;
/// `streamed` ones (a supervisor's whole organization) carry `NULL` and are
/// counted apart.
macro_rules! caseload_page {
    (counted, $inner:literal, $outer:literal) => {
        caseload_page!(@ granted_visible!(), "(SELECT count(*) FROM visible)", $inner, $outer)
    };
    (streamed, $inner:literal, $outer:literal) => {
        caseload_page!(@ visible_cases!(), "NULL::bigint", $inner, $outer)
    };
    (@ $visible:expr, $total:literal, $inner:literal, $outer:literal) => {
        concat!(
            $visible,
            ", page AS (SELECT v.id, v.updated_at, v.created_at, v.stage FROM visible v ORDER BY ",
            $inner,
            " LIMIT $10 OFFSET $11)
             SELECT c.id, c.stage, c.updated_at, c.hhs_notice_due_at, c.person_id, p.name, ",
            $total,
            " AS total,
                    (SELECT min(e.due_on) FROM case_entries e
                      WHERE e.case_id = c.id AND e.kind = 'task' AND e.status = 'open') AS next_due
             FROM page JOIN cases c ON c.id = page.id LEFT JOIN persons p ON p.id = c.person_id
             ORDER BY ",
            $outer
        )
    };
}

/// Ordered by the next open task, which has to be found for every case.
macro_rules! caseload_by_due {
    (counted) => {
        caseload_by_due!(@ granted_visible!(), "(SELECT count(*) FROM visible)")
    };
    (streamed) => {
        caseload_by_due!(@ visible_cases!(), "NULL::bigint")
    };
    (@ $visible:expr, $total:literal) => {
        concat!(
            $visible,
            ", page AS (SELECT v.id, (SELECT min(e.due_on) FROM case_entries e
                      WHERE e.case_id = v.id AND e.kind = 'task' AND e.status = 'open') AS next_due
                FROM visible v ORDER BY next_due ASC NULLS LAST, v.id LIMIT $10 OFFSET $11)
             SELECT c.id, c.stage, c.updated_at, c.hhs_notice_due_at, c.person_id, p.name, page.next_due, ",
            $total,
            " AS total
             FROM page JOIN cases c ON c.id = page.id LEFT JOIN persons p ON p.id = c.person_id
             ORDER BY page.next_due ASC NULLS LAST, c.id"
        )
    };
}

/// Every order (updated, created, stage, next due) of one shape.
macro_rules! caseload_orders {
    ($shape:ident, $by_updated:expr) => {
        [
            $by_updated,
            caseload_page!($shape, "v.created_at, v.id", "page.created_at, page.id"),
            caseload_page!(
                $shape,
                "CASE v.stage WHEN 'identified' THEN 0 WHEN 'stabilizing' THEN 1 WHEN 'receiving_services' THEN 2
                 WHEN 'long_term_support' THEN 3 WHEN 'reopened' THEN 4 ELSE 5 END, v.updated_at DESC, v.id",
                "CASE page.stage WHEN 'identified' THEN 0 WHEN 'stabilizing' THEN 1 WHEN 'receiving_services' THEN 2
                 WHEN 'long_term_support' THEN 3 WHEN 'reopened' THEN 4 ELSE 5 END, page.updated_at DESC, page.id"
            ),
            caseload_by_due!($shape),
        ]
    };
}

/// The page with its count, for a caseload without an organization-wide arm.
const CASELOAD_COUNTED: [&str; 4] = caseload_orders!(
    counted,
    caseload_page!(
        counted,
        "v.updated_at DESC, v.id DESC",
        "page.updated_at DESC, page.id DESC"
    )
);
/// The page alone, for a supervisor's whole organization.
const CASELOAD_STREAMED: [&str; 4] = caseload_orders!(streamed, CASELOAD_BY_UPDATED);

/// Column arrays and UNNEST: one statement per table per batch.
async fn import_cases(store: &Store, cases: &[ImportCase], audit: &AuditEntry) -> StoreResult<()> {
    super::import::import_cases(store.pool(), cases, audit).await
}

include!("../shared/record.rs");
