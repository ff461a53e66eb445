use super::Store;
use super::record::ts;
use super::rows::{change_one, commit_audited, row_by, rows_by};
use crate::backend::row::Columns;
use crate::record::{Decided, Fund, FundRequest, FundStore, Spending};
use crate::{StoreError, StoreResult};
use async_trait::async_trait;
use haven_domain::record::{Cents, FundPurpose, FundRequestStatus, Urgency};
use haven_domain::{AuditEntry, CaseId, FundId, FundRequestId, OrganizationId, UserId};
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

/// A fund as [`fund_from_row`] reads it.
macro_rules! fund_columns {
    () => {
        "SELECT id, organization_id, name, budget_cents, balance_cents, created_at FROM funds "
    };
}

pub(super) fn fund_from_row(r: &impl Columns) -> StoreResult<Fund> {
    Ok(Fund {
        id: FundId::from_uuid(r.col("id")?),
        organization: OrganizationId::from_uuid(r.col("organization_id")?),
        name: r.col("name")?,
        budget: r.col("budget_cents")?,
        balance: r.col("balance_cents")?,
        created_at: r.col("created_at")?,
    })
}

pub(super) fn request_from_row(r: &impl Columns) -> StoreResult<FundRequest> {
    let user = |col: &'static str| -> StoreResult<Option<UserId>> {
        Ok(r.col::<Option<Uuid>>(col)?.map(UserId::from_uuid))
    };
    Ok(FundRequest {
        id: FundRequestId::from_uuid(r.col("id")?),
        fund: FundId::from_uuid(r.col("fund_id")?),
        case: CaseId::from_uuid(r.col("case_id")?),
        amount: r.col("amount_cents")?,
        purpose: FundPurpose::parse(r.col("purpose")?)
            .ok_or(StoreError::Corrupt("fund_requests.purpose"))?,
        urgency: Urgency::parse(r.col("urgency")?)
            .ok_or(StoreError::Corrupt("fund_requests.urgency"))?,
        description: r.col("description")?,
        status: FundRequestStatus::parse(r.col("status")?)
            .ok_or(StoreError::Corrupt("fund_requests.status"))?,
        requested_by: UserId::from_uuid(r.col("requested_by")?),
        requested_at: r.col("requested_at")?,
        decided_by: user("decided_by")?,
        decided_at: r.col("decided_at")?,
        decision_note: r.col("decision_note")?,
        disbursed_by: user("disbursed_by")?,
        disbursed_at: r.col("disbursed_at")?,
        method: r.col("method")?,
    })
}

#[async_trait]
impl FundStore for Store {
    async fn create_fund(&self, f: &Fund, audit: &AuditEntry) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!("INSERT INTO funds (id, organization_id, name, budget_cents, balance_cents, created_at) VALUES ($1, $2, $3, $4, $5, $6)"))
        .bind(f.id.as_uuid())
        .bind(f.organization.as_uuid())
        .bind(&f.name)
        .bind(f.budget)
        .bind(f.balance)
        .bind(ts(f.created_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "name"))?;
        commit_audited(tx, audit).await
    }

    async fn funds(&self, organization: OrganizationId) -> StoreResult<Vec<Fund>> {
        let sql = sql!(concat!(
            fund_columns!(),
            "WHERE organization_id = $1 ORDER BY name"
        ));
        rows_by(self, sql, organization.as_uuid(), fund_from_row).await
    }

    async fn fund(&self, id: FundId) -> StoreResult<Option<Fund>> {
        let sql = sql!(concat!(fund_columns!(), "WHERE id = $1"));
        row_by(self, sql, id.as_uuid(), fund_from_row).await
    }

    async fn add_to_fund(
        &self,
        id: FundId,
        amount: Cents,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let q = sqlx::query(sql!("UPDATE funds SET budget_cents = budget_cents + $1, balance_cents = balance_cents + $2 WHERE id = $3"))
        .bind(amount)
        .bind(amount)
        .bind(id.as_uuid());
        change_one(self, q, audit).await
    }

    async fn request_funds(&self, q: &FundRequest, audit: &AuditEntry) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!("INSERT INTO fund_requests (id, fund_id, case_id, amount_cents, purpose, urgency, description, status, requested_by, requested_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'requested', $8, $9)"))
        .bind(q.id.as_uuid())
        .bind(q.fund.as_uuid())
        .bind(q.case.as_uuid())
        .bind(q.amount)
        .bind(q.purpose.as_str())
        .bind(q.urgency.as_str())
        .bind(&q.description)
        .bind(q.requested_by.as_uuid())
        .bind(ts(q.requested_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "request id"))?;
        commit_audited(tx, audit).await
    }

    async fn fund_request(&self, id: FundRequestId) -> StoreResult<Option<FundRequest>> {
        let sql = sql!("SELECT * FROM fund_requests WHERE id = $1");
        row_by(self, sql, id.as_uuid(), request_from_row).await
    }

    async fn fund_requests_for_case(&self, case: CaseId) -> StoreResult<Vec<FundRequest>> {
        let sql = sql!(
            "SELECT * FROM fund_requests WHERE case_id = $1 ORDER BY requested_at DESC, id DESC"
        );
        rows_by(self, sql, case.as_uuid(), request_from_row).await
    }

    async fn pending_fund_requests(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<Vec<FundRequest>> {
        let sql = sql!(
            "SELECT r.* FROM fund_requests r JOIN funds f ON f.id = r.fund_id
             WHERE f.organization_id = $1 AND r.status = 'requested' ORDER BY r.requested_at, r.id"
        );
        rows_by(self, sql, organization.as_uuid(), request_from_row).await
    }

    async fn decide_fund_request(
        &self,
        id: FundRequestId,
        approve: bool,
        by: UserId,
        note: Option<&[u8]>,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<Decided> {
        write_tx!(self, tx);
        let Some(row) = sqlx::query(sql!(
            "SELECT fund_id, amount_cents FROM fund_requests WHERE id = $1 AND status = 'requested'"
        ))
        .bind(id.as_uuid())
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(Decided::NotPending);
        };
        if approve {
            // The balance only moves if it covers the amount; the CHECK on
            // funds.balance_cents is the second line of defence.
            let taken = sqlx::query(sql!("UPDATE funds SET balance_cents = balance_cents - $1 WHERE id = $2 AND balance_cents >= $3"))
            .bind(row.try_get::<i64, _>("amount_cents")?)
            .bind(row.try_get::<Uuid, _>("fund_id")?)
            .bind(row.try_get::<i64, _>("amount_cents")?)
            .execute(&mut *tx)
            .await?;
            if taken.rows_affected() != 1 {
                return Ok(Decided::InsufficientFunds);
            }
        }
        let done = sqlx::query(sql!("UPDATE fund_requests SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4
             WHERE id = $5 AND status = 'requested'"))
        .bind(if approve { "approved" } else { "denied" })
        .bind(by.as_uuid())
        .bind(ts(at))
        .bind(note)
        .bind(id.as_uuid())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(Decided::NotPending);
        }
        commit_audited(tx, audit).await?;
        Ok(Decided::Done)
    }

    async fn disburse(
        &self,
        id: FundRequestId,
        by: UserId,
        method: &str,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let q = sqlx::query(sql!("UPDATE fund_requests SET status = 'disbursed', disbursed_by = $1, disbursed_at = $2, method = $3
             WHERE id = $4 AND status = 'approved'"))
        .bind(by.as_uuid())
        .bind(ts(at))
        .bind(method)
        .bind(id.as_uuid());
        change_one(self, q, audit).await
    }

    async fn spending(&self, fund: FundId) -> StoreResult<Vec<Spending>> {
        sqlx::query(sql!("SELECT purpose, count(*) AS requests,
                    CAST(coalesce(sum(CASE WHEN status IN ('approved', 'disbursed') THEN amount_cents ELSE 0 END), 0) AS BIGINT) AS committed,
                    CAST(coalesce(sum(CASE WHEN status = 'disbursed' THEN amount_cents ELSE 0 END), 0) AS BIGINT) AS disbursed
             FROM fund_requests WHERE fund_id = $1 GROUP BY purpose ORDER BY purpose"))
        .bind(fund.as_uuid())
        .fetch_all(reader!(self))
        .await?
        .iter()
        .map(|r| {
            Ok(Spending {
                purpose: FundPurpose::parse(r.try_get("purpose")?)
                    .ok_or(StoreError::Corrupt("fund_requests.purpose"))?,
                requests: u64::try_from(r.try_get::<i64, _>("requests")?).unwrap_or(0),
                committed: r.try_get("committed")?,
                disbursed: r.try_get("disbursed")?,
            })
        })
        .collect()
    }

    async fn approval_limit(&self, user: UserId) -> StoreResult<Cents> {
        let limit: Option<i64> =
            sqlx::query_scalar(sql!("SELECT approval_limit_cents FROM users WHERE id = $1"))
                .bind(user.as_uuid())
                .fetch_optional(reader!(self))
                .await?;
        Ok(limit.unwrap_or(0))
    }

    async fn set_approval_limit(
        &self,
        user: UserId,
        limit: Cents,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let q = sqlx::query(sql!(
            "UPDATE users SET approval_limit_cents = $1 WHERE id = $2"
        ))
        .bind(limit)
        .bind(user.as_uuid());
        change_one(self, q, audit).await
    }
}
