//! A case page's small lists in one statement.
//!
//! Each list is a `json_agg` of the rows its own query selects (the same
//! column macros), decoded by the same row decoders through
//! [`Columns`](super::columns::Columns). Six statements cost the server six
//! executor start-ups and round trips; most of these lists are empty or
//! short, so their execution was the smaller part (measured: BENCHMARKS.md,
//! ninth pass).

use super::PgStore;
use super::columns::json_rows;
use super::directory::referral_from_row;
use super::funds::{fund_from_row, request_from_row};
use super::interview::{delivery_from_row, interview_from_row};
use super::record::attachment_from_row;
use crate::{CaseLists, CasePageStore, StoreResult};
use async_trait::async_trait;
use haven_domain::{CaseId, OrganizationId};
use sqlx::Row;

/// `json_agg` of a subquery's rows in the order its own query gives them;
/// NULL when there are none.
macro_rules! agg {
    ($select:expr, $where:literal, $order:literal) => {
        concat!(
            "(SELECT json_agg(x ORDER BY ",
            $order,
            ")::text FROM (",
            $select,
            $where,
            ") x)"
        )
    };
}

#[async_trait]
impl CasePageStore for PgStore {
    async fn case_lists(
        &self,
        case: CaseId,
        viewer_organization: OrganizationId,
        deliveries: u32,
    ) -> StoreResult<CaseLists> {
        let row = sqlx::query(concat!(
            "SELECT ",
            agg!(
                attachment_columns!(),
                "WHERE case_id = $1",
                "x.at DESC, x.id DESC"
            ),
            " AS attachments, ",
            agg!(
                "SELECT * FROM fund_requests ",
                "WHERE case_id = $1",
                "x.requested_at DESC, x.id DESC"
            ),
            " AS fund_requests, ",
            agg!(fund_columns!(), "WHERE organization_id = $2", "x.name"),
            " AS funds, ",
            agg!(referral_columns!(), "WHERE case_id = $1", "x.sent_at DESC"),
            " AS referrals, ",
            agg!(
                delivery_columns!(),
                "WHERE case_id = $1 ORDER BY created_at DESC, id DESC LIMIT $3",
                "x.created_at DESC, x.id DESC"
            ),
            " AS deliveries, ",
            agg!(interview_columns!(), "WHERE case_id = $1", "x.requested_at"),
            " AS interviews",
        ))
        .bind(case.as_uuid())
        .bind(viewer_organization.as_uuid())
        .bind(i64::from(deliveries))
        .fetch_one(self.pool())
        .await?;
        Ok(CaseLists {
            attachments: json_rows(row.try_get("attachments")?, attachment_from_row)?,
            fund_requests: json_rows(row.try_get("fund_requests")?, request_from_row)?,
            funds: json_rows(row.try_get("funds")?, fund_from_row)?,
            referrals: json_rows(row.try_get("referrals")?, referral_from_row)?,
            deliveries: json_rows(row.try_get("deliveries")?, delivery_from_row)?,
            interviews: json_rows(row.try_get("interviews")?, interview_from_row)?,
        })
    }
}
