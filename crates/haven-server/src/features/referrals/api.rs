//! Referrals in the JSON API: sending, withdrawing, the provider's incoming
//! list and answers, and loop-closure figures.

use crate::AppState;
use crate::features::referrals::{self, CaseReferral, Incoming, SendInput};
use crate::web::api::Created;
use crate::web::api::{ApiCaller, ApiQuery, JsonObject};
use crate::web::api::{answer, done};
use crate::web::error::ErrorBody;
use crate::web::pages::Id;
use crate::web::session::ReqId;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use haven_domain::{CaseId, ReferralId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

// ---------------------------------------------------------------- referrals

/// Sends a referral from a case's plan item to a directory service. The
/// provider gets the need, urgency, an age range and languages; the name and
/// safe contact details only with `include_personal` and a release of
/// information to the provider's organization.
#[utoipa::path(post, path = "/api/v1/cases/{id}/referrals", tag = "referrals",
    params(("id" = uuid::Uuid, Path, description = "The case's id")), request_body = SendInput,
    responses((status = 201, body = Created), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(case): Id<CaseId>,
    JsonObject(body): JsonObject<SendInput>,
) -> Response {
    let r = async {
        crate::web::api::require_write(&caller)?;
        let id = referrals::send(&state, &caller.actor, case, &body, rid).await?;
        Ok(Created { id: *id.as_uuid() })
    }
    .await;
    answer(StatusCode::CREATED, r)
}

/// A case's referrals and where each stands (an audited read of the case).
#[utoipa::path(get, path = "/api/v1/cases/{id}/referrals", tag = "referrals",
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 200, body = Vec<CaseReferral>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn case_referrals(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(case): Id<CaseId>,
) -> Response {
    let r = async {
        crate::web::api::may_read(&caller)?;
        let open = crate::case::open_case(&state, &caller.actor, case, rid).await?;
        referrals::for_case(&state, &open).await
    }
    .await;
    answer(StatusCode::OK, r)
}

/// Withdraws a referral that is not finished (the case team).
#[utoipa::path(post, path = "/api/v1/referrals/{id}/withdrawal", tag = "referrals",
    params(("id" = uuid::Uuid, Path, description = "The referral's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<ReferralId>,
) -> Response {
    let r = async {
        crate::web::api::require_write(&caller)?;
        referrals::withdraw(&state, &caller.actor, id, rid)
            .await
            .map(|_| ())
    }
    .await;
    done(r)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncomingQuery {
    /// true: finished referrals too.
    #[serde(default)]
    pub all: Option<bool>,
}

/// The caller's organization's incoming referrals (provider staff and
/// supervisors; tokens need referrals:read). No notes or personal details:
/// read one referral for those.
#[utoipa::path(get, path = "/api/v1/referrals/incoming", tag = "referrals", params(IncomingQuery),
    responses((status = 200, body = Vec<Incoming>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "Not provider staff or a supervisor"), (status = 422, body = ErrorBody)))]
pub async fn incoming(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<IncomingQuery>,
) -> Response {
    answer(
        StatusCode::OK,
        referrals::incoming(&state, &caller.actor, !q.all.unwrap_or(false)).await,
    )
}

/// One incoming referral with its note and, while a release covers them, the
/// person's name and safe contact details (an audited read).
#[utoipa::path(get, path = "/api/v1/referrals/incoming/{id}", tag = "referrals",
    params(("id" = uuid::Uuid, Path, description = "The referral's id")),
    responses((status = 200, body = Incoming), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn incoming_one(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<ReferralId>,
) -> Response {
    let r = async { referrals::incoming_one(&state, &caller.actor, id, rid).await }.await;
    answer(StatusCode::OK, r)
}

/// The provider's answer (accepted or declined with a reason) or outcome
/// (contacted, services_started, completed, unable_to_contact).
#[utoipa::path(post, path = "/api/v1/referrals/incoming/{id}/responses", tag = "referrals",
    params(("id" = uuid::Uuid, Path, description = "The referral's id")), request_body = crate::features::referrals::Response,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn respond(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<ReferralId>,
    JsonObject(body): JsonObject<referrals::Response>,
) -> Response {
    let r = async { referrals::respond(&state, &caller.actor, id, &body, rid).await }.await;
    done(r)
}

#[derive(Serialize, ToSchema)]
pub struct StatsBody {
    pub provider_organization_id: Option<Uuid>,
    pub total: i64,
    pub waiting: i64,
    pub accepted: i64,
    pub declined: i64,
    pub completed: i64,
    pub unable_to_contact: i64,
    pub mean_hours_to_answer: Option<f64>,
    pub median_hours_to_accept: Option<f64>,
    /// [reason code, count], most frequent first.
    #[schema(value_type = Vec<Vec<Object>>)]
    pub decline_reasons: Vec<(String, i64)>,
}

/// Loop-closure figures per provider (supervisors, administrators and
/// analysts see every provider; provider staff their own).
#[utoipa::path(get, path = "/api/v1/referrals/stats", tag = "referrals",
    responses((status = 200, body = Vec<StatsBody>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "Neither a supervisor, an administrator, an analyst nor a provider")))]
pub async fn stats(State(state): State<AppState>, caller: ApiCaller) -> Response {
    let r = referrals::stats(&state, &caller.actor, None)
        .await
        .map(|v| {
            v.into_iter()
                .map(|s| StatsBody {
                    provider_organization_id: s.to_org.map(|o| *o.as_uuid()),
                    total: s.total,
                    waiting: s.waiting,
                    accepted: s.accepted,
                    declined: s.declined,
                    completed: s.completed,
                    unable_to_contact: s.unable_to_contact,
                    mean_hours_to_answer: s.mean_hours_to_answer,
                    median_hours_to_accept: s.median_hours_to_accept,
                    decline_reasons: s.decline_reasons,
                })
                .collect::<Vec<_>>()
        });
    answer(StatusCode::OK, r)
}

/// The referral routes.
/// This feature's API: each route with its OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(case_referrals, send))
        .routes(routes!(withdraw))
        .routes(routes!(incoming))
        .routes(routes!(incoming_one))
        .routes(routes!(respond))
        .routes(routes!(stats))
}
