//! A case page's rows in one statement.
//!
//! Each list is a `json_agg` of the rows its own query selects (the same
//! column macros), decoded by the same row decoders through
//! [`Columns`](crate::backend::row::Columns). Eight statements cost the server
//! eight executor start-ups, round trips and pool checkouts; most of these
//! lists are empty or short, so their execution was the smaller part
//! (measured: BENCHMARKS.md, ninth pass).

use super::PgStore;
use super::directory::referral_from_row;
use super::funds::{fund_from_row, request_from_row};
use super::interview::{delivery_from_row, interview_from_row};
use super::record::{attachment_from_row, entry_from_row};
use crate::backend::row::{Columns, JsonRow, json_rows};
use crate::{CaseLists, CasePageQuery, CasePageStore, StoreError, StoreResult};
use async_trait::async_trait;
use haven_domain::UserId;
use sqlx::Row;
use uuid::Uuid;

/// `json_agg` of a set's rows in the order its own query gives them, as
/// text; NULL when there are none.
macro_rules! agg {
    ($from:expr, $order:literal) => {
        concat!(
            "(SELECT json_agg(x ORDER BY ",
            $order,
            ")::text FROM ",
            $from,
            " x)"
        )
    };
}

#[async_trait]
impl CasePageStore for PgStore {
    async fn case_lists(&self, q: CasePageQuery<'_>) -> StoreResult<CaseLists> {
        // $1 case, $2 viewer's organization, $3 notices, $4 timeline events,
        // $5 people. The sets that the names are drawn from are CTEs, read
        // once.
        let people: Vec<Uuid> = q.people.iter().map(|u| *u.as_uuid()).collect();
        let row = sqlx::query(concat!(
            "WITH s AS (",
            entry_columns!(),
            "WHERE case_id = $1 AND ",
            structured_kinds!(),
            "), t AS (",
            entry_columns!(),
            "WHERE case_id = $1 AND ",
            timeline_kinds!(),
            " ORDER BY at DESC, id DESC LIMIT $4), a AS (",
            attachment_columns!(),
            "WHERE case_id = $1), r AS (SELECT * FROM fund_requests WHERE case_id = $1)
             SELECT ",
            agg!("s", "x.at DESC, x.id DESC"),
            " AS structured, ",
            agg!("t", "x.at DESC, x.id DESC"),
            " AS timeline, (SELECT count(*) FROM case_entries WHERE case_id = $1 AND ",
            timeline_kinds!(),
            ") AS timeline_total, ",
            agg!("a", "x.at DESC, x.id DESC"),
            " AS attachments, ",
            agg!("r", "x.requested_at DESC, x.id DESC"),
            " AS fund_requests, ",
            agg!(
                concat!("(", fund_columns!(), "WHERE organization_id = $2)"),
                "x.name"
            ),
            " AS funds, ",
            agg!(
                concat!("(", referral_columns!(), "WHERE case_id = $1)"),
                "x.sent_at DESC"
            ),
            " AS referrals, ",
            agg!(
                concat!(
                    "(",
                    delivery_columns!(),
                    "WHERE case_id = $1 ORDER BY created_at DESC, id DESC LIMIT $3)"
                ),
                "x.created_at DESC, x.id DESC"
            ),
            " AS deliveries, ",
            agg!(
                concat!("(", interview_columns!(), "WHERE case_id = $1)"),
                "x.requested_at"
            ),
            " AS interviews, ",
            agg!(
                "(SELECT id, display_name FROM users WHERE id IN (
                    SELECT by_user FROM s UNION SELECT assignee FROM s
                    UNION SELECT by_user FROM t UNION SELECT assignee FROM t
                    UNION SELECT by_user FROM a UNION SELECT requested_by FROM r
                    UNION SELECT unnest($5::uuid[])))",
                "x.id"
            ),
            " AS names",
        ))
        .bind(q.case.as_uuid())
        .bind(q.viewer_organization.as_uuid())
        .bind(i64::from(q.deliveries))
        .bind(i64::from(q.timeline))
        .bind(people)
        .fetch_one(self.pool())
        .await?;
        let mut entries = json_rows(row.try_get("structured")?, entry_from_row)?;
        entries.extend(json_rows(row.try_get("timeline")?, entry_from_row)?);
        Ok(CaseLists {
            entries,
            timeline_total: u64::try_from(row.try_get::<i64, _>("timeline_total")?)
                .map_err(|_| StoreError::Corrupt("case_entries count"))?,
            attachments: json_rows(row.try_get("attachments")?, attachment_from_row)?,
            fund_requests: json_rows(row.try_get("fund_requests")?, request_from_row)?,
            funds: json_rows(row.try_get("funds")?, fund_from_row)?,
            referrals: json_rows(row.try_get("referrals")?, referral_from_row)?,
            deliveries: json_rows(row.try_get("deliveries")?, delivery_from_row)?,
            interviews: json_rows(row.try_get("interviews")?, interview_from_row)?,
            names: json_rows(row.try_get("names")?, |r: &JsonRow| {
                Ok((UserId::from_uuid(r.col("id")?), r.col("display_name")?))
            })?
            .into_iter()
            .collect(),
        })
    }
}
