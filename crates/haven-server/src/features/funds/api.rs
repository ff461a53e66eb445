//! Emergency funds in the JSON API: funds, requests on a case, decisions
//! and payments, by the same rules as the pages.

use crate::AppState;
use crate::features::funds::{self, FundRequestInput};
use crate::web::api::{ApiCaller, JsonObject, answer, done, may_write, no_write};
use crate::web::api::{Created, open};
use crate::web::error::{AppError, ErrorBody};
use crate::web::pages::Id;
use crate::web::session::ReqId;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use haven_domain::CaseId;
use haven_domain::{FundId, FundRequestId, Role};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

#[derive(Serialize, ToSchema)]
pub struct FundBody {
    pub id: uuid::Uuid,
    pub name: String,
    pub budget_cents: i64,
    pub balance_cents: i64,
}

#[derive(Serialize, ToSchema)]
pub struct FundRequestBody {
    pub id: uuid::Uuid,
    pub fund_id: uuid::Uuid,
    pub case_id: uuid::Uuid,
    pub amount_cents: i64,
    pub purpose: String,
    pub urgency: String,
    pub description: String,
    /// requested, approved, denied or disbursed.
    pub status: String,
    pub requested_by: uuid::Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    pub decided_by: Option<uuid::Uuid>,
    pub decision_note: String,
    pub disbursed_by: Option<uuid::Uuid>,
    pub method: Option<String>,
}

fn request_body(v: funds::RequestView) -> FundRequestBody {
    let r = v.request;
    FundRequestBody {
        id: *r.id.as_uuid(),
        fund_id: *r.fund.as_uuid(),
        case_id: *r.case.as_uuid(),
        amount_cents: r.amount,
        purpose: r.purpose.as_str().into(),
        urgency: r.urgency.as_str().into(),
        description: v.description,
        status: r.status.as_str().into(),
        requested_by: *r.requested_by.as_uuid(),
        requested_at: r.requested_at,
        decided_by: r.decided_by.map(|u| *u.as_uuid()),
        decision_note: v.note,
        disbursed_by: r.disbursed_by.map(|u| *u.as_uuid()),
        method: r.method,
    }
}

/// Your organization's emergency funds.
#[utoipa::path(get, path = "/api/v1/funds", tag = "funds",
    responses((status = 200, body = Vec<FundBody>), (status = 401, body = ErrorBody)))]
pub async fn list_funds(State(state): State<AppState>, caller: ApiCaller) -> Response {
    let r = funds::funds_of(&state, caller.actor.organization)
        .await
        .map(|list| {
            list.into_iter()
                .map(|f| FundBody {
                    id: *f.id.as_uuid(),
                    name: f.name,
                    budget_cents: f.budget,
                    balance_cents: f.balance,
                })
                .collect::<Vec<_>>()
        });
    answer(StatusCode::OK, r)
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct NewFund {
    pub name: String,
    /// An amount such as "5000" or "5000.00".
    pub budget: String,
}

/// Creates a fund (supervisors and administrators).
#[utoipa::path(post, path = "/api/v1/funds", tag = "funds", request_body = NewFund,
    responses((status = 201, body = Created), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_fund(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    JsonObject(body): JsonObject<NewFund>,
) -> Response {
    if !may_write(&caller) {
        return no_write();
    }
    let r = funds::create_fund(&state, &caller.actor, &body.name, &body.budget, rid)
        .await
        .map(|id| Created { id: *id.as_uuid() });
    answer(StatusCode::CREATED, r)
}

#[derive(Serialize, ToSchema)]
pub struct SpendingBody {
    pub purpose: String,
    pub requests: u64,
    pub committed_cents: i64,
    pub disbursed_cents: i64,
}

/// Spending from a fund by purpose category.
#[utoipa::path(get, path = "/api/v1/funds/{id}/spending", tag = "funds",
    params(("id" = uuid::Uuid, Path, description = "The fund's id")),
    responses((status = 200, body = Vec<SpendingBody>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn spending(
    State(state): State<AppState>,
    caller: ApiCaller,
    Id(id): Id<FundId>,
) -> Response {
    let r = async {
        let fund = state
            .store
            .fund(id)
            .await?
            .filter(|f| f.organization == caller.actor.organization)
            .ok_or(AppError::NotFound)?;
        Ok(state
            .store
            .spending(fund.id)
            .await?
            .into_iter()
            .map(|s| SpendingBody {
                purpose: s.purpose.as_str().into(),
                requests: s.requests,
                committed_cents: s.committed,
                disbursed_cents: s.disbursed,
            })
            .collect::<Vec<_>>())
    }
    .await;
    answer(StatusCode::OK, r)
}

/// Requests on a case (as the case's reader sees them).
#[utoipa::path(get, path = "/api/v1/cases/{id}/fund-requests", tag = "funds",
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 200, body = Vec<FundRequestBody>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn case_fund_requests(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<CaseId>,
) -> Response {
    let r = async {
        let case = open(&state, &caller, id, rid).await?;
        let list = state.store.fund_requests_for_case(case.facts.id).await?;
        Ok(funds::request_views(&state, list)
            .await?
            .into_iter()
            .map(request_body)
            .collect::<Vec<_>>())
    }
    .await;
    answer(StatusCode::OK, r)
}

/// Asks a fund to pay for something on a case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/fund-requests", tag = "funds", request_body = FundRequestInput,
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 201, body = Created), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request_funds(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<CaseId>,
    JsonObject(input): JsonObject<FundRequestInput>,
) -> Response {
    if !may_write(&caller) {
        return no_write();
    }
    let r = async {
        let case = open(&state, &caller, id, rid.clone()).await?;
        let id = funds::request_funds(&state, &case, &input, rid).await?;
        Ok(Created { id: *id.as_uuid() })
    }
    .await;
    answer(StatusCode::CREATED, r)
}

/// Requests waiting for a decision in your organization (supervisors).
#[utoipa::path(get, path = "/api/v1/fund-requests", tag = "funds",
    responses((status = 200, body = Vec<FundRequestBody>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn pending_requests(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
) -> Response {
    if !caller.actor.roles.contains(&Role::Supervisor) {
        return AppError::Forbidden("Pending requests are for supervisors.".into()).into_response();
    }
    let r = funds::pending_views(&state, &caller.actor, rid)
        .await
        .map(|list| list.into_iter().map(request_body).collect::<Vec<_>>());
    answer(StatusCode::OK, r)
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct Decision {
    pub approve: bool,
    /// Required when denying.
    pub note: String,
}

/// Approves or denies a request (a supervisor other than the requester,
/// within their approval limit; the balance never goes below zero).
#[utoipa::path(post, path = "/api/v1/fund-requests/{id}/decision", tag = "funds", request_body = Decision,
    params(("id" = uuid::Uuid, Path, description = "The request's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<FundRequestId>,
    JsonObject(body): JsonObject<Decision>,
) -> Response {
    if !may_write(&caller) {
        return no_write();
    }
    done(funds::decide(&state, &caller.actor, id, body.approve, &body.note, rid).await)
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct Disbursement {
    /// How it was paid: cash, check, card, bank_transfer, voucher,
    /// paid_to_vendor or other (the details go in the request's description).
    pub method: String,
}

/// Records that an approved request was paid.
#[utoipa::path(post, path = "/api/v1/fund-requests/{id}/disbursement", tag = "funds", request_body = Disbursement,
    params(("id" = uuid::Uuid, Path, description = "The request's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn disburse(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<FundRequestId>,
    JsonObject(body): JsonObject<Disbursement>,
) -> Response {
    if !may_write(&caller) {
        return no_write();
    }
    done(funds::disburse(&state, &caller.actor, id, &body.method, rid).await)
}

/// The API routes of emergency funds.
/// This feature's API: each route with its OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(case_fund_requests, request_funds))
        .routes(routes!(list_funds, create_fund))
        .routes(routes!(spending))
        .routes(routes!(pending_requests))
        .routes(routes!(decide))
        .routes(routes!(disburse))
}
