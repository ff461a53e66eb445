//! Cases in the JSON API: the caseload, registering a person (search
//! first) and intake drafts.

use crate::AppState;
use crate::features::record::{self, IntakeInput, IntakeOutcome};
use crate::web::api::Created;
use crate::web::api::{ApiCaller, ApiQuery, JsonObject, answer, done, may_write, no_write};
use crate::web::error::ErrorBody;
use crate::web::pages::Id;
use crate::web::session::ReqId;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use haven_domain::DraftId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

// ---------------------------------------------------------------- caseload

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseloadParams {
    /// Only cases at this stage.
    pub stage: Option<String>,
    /// updated (default), created, stage or due.
    pub sort: Option<String>,
    /// "mine": only cases whose team includes you.
    pub scope: Option<String>,
    /// true: only cases with an HHS-5 notification still due.
    pub hhs_pending: Option<bool>,
    /// 1-based page of 25.
    pub page: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseloadLine {
    pub id: uuid::Uuid,
    pub person_name: String,
    pub stage: String,
    /// The earliest open task's due date.
    pub next_due: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub hhs_notice_due_at: Option<OffsetDateTime>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseloadBody {
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    pub cases: Vec<CaseloadLine>,
}

/// The cases you may see, one page at a time (each listed case is an audited read).
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseloadParams),
    responses((status = 200, body = CaseloadBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn caseload(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    ApiQuery(p): ApiQuery<CaseloadParams>,
) -> Response {
    let params = crate::features::cases::caseload::CaseloadParams {
        stage: p.stage.unwrap_or_default(),
        sort: p.sort.unwrap_or_default(),
        scope: p.scope.unwrap_or_default(),
        hhs: if p.hhs_pending == Some(true) {
            "1".into()
        } else {
            String::new()
        },
        page: p.page,
    };
    let q = crate::features::cases::caseload::caseload_query(&caller.actor, &params);
    let r = match crate::features::cases::caseload::caseload_page(&state, &caller.actor, &q, rid)
        .await
    {
        Ok((total, rows, audit)) => audit.durable().await.map(|()| (total, rows)),
        Err(e) => Err(e),
    }
    .map(|(total, rows)| CaseloadBody {
        total,
        page: q.offset / q.limit + 1,
        per_page: q.limit,
        cases: rows
            .into_iter()
            .map(|(r, name)| CaseloadLine {
                id: *r.id.as_uuid(),
                person_name: name,
                stage: r.stage.as_str().to_owned(),
                next_due: r.next_due.map(|d| d.to_string()),
                updated_at: r.updated_at,
                hhs_notice_due_at: r.hhs_notice_due_at,
            })
            .collect(),
    });
    answer(StatusCode::OK, r)
}

// ---------------------------------------------------------------- intake

#[derive(Serialize, ToSchema)]
pub struct PossibleDuplicates {
    pub status: u16,
    /// Always `possible_duplicate`.
    pub code: &'static str,
    pub message: String,
    /// Cases in your organization that may be the same person.
    pub here: Vec<uuid::Uuid>,
    /// The same name and date of birth exist in another organization: ask for access.
    pub elsewhere: bool,
}

/// Registers a person and opens their case. Search comes first: possible
/// duplicates answer 409 and nothing is written; send `confirm_duplicate`
/// to register anyway. Only `name` is required.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = IntakeInput,
    responses((status = 201, body = Created), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = PossibleDuplicates), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_case(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    JsonObject(input): JsonObject<IntakeInput>,
) -> Response {
    if !may_write(&caller) {
        return no_write();
    }
    match record::create_intake(&state, &caller.actor, &input, None, rid).await {
        Ok(IntakeOutcome::Created(id)) => (
            StatusCode::CREATED,
            Json(Created { id: *id.as_uuid() }),
        )
            .into_response(),
        Ok(IntakeOutcome::PossibleDuplicates { here, elsewhere }) => (
            StatusCode::CONFLICT,
            Json(PossibleDuplicates {
                status: 409,
                code: "possible_duplicate",
                message: "This person may already have a record. Nothing was written; send confirm_duplicate: true to register anyway.".into(),
                here: here.iter().map(|c| *c.as_uuid()).collect(),
                elsewhere,
            }),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

// ---------------------------------------------------------------- drafts

#[derive(Serialize, ToSchema)]
pub struct DraftBody {
    pub id: uuid::Uuid,
    pub input: IntakeInput,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Saves an intake as a new draft (only its author sees it).
#[utoipa::path(post, path = "/api/v1/intake-drafts", tag = "cases", request_body = IntakeInput,
    responses((status = 201, body = Created), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_draft(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    JsonObject(input): JsonObject<IntakeInput>,
) -> Response {
    if !may_write(&caller) {
        return no_write();
    }
    let r = record::save_draft(&state, &caller.actor, None, &input, rid)
        .await
        .map(|id| Created { id: *id.as_uuid() });
    answer(StatusCode::CREATED, r)
}

/// Replaces one of your drafts.
#[utoipa::path(put, path = "/api/v1/intake-drafts/{id}", tag = "cases", request_body = IntakeInput,
    params(("id" = uuid::Uuid, Path, description = "The draft's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_draft(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<DraftId>,
    JsonObject(input): JsonObject<IntakeInput>,
) -> Response {
    if !may_write(&caller) {
        return no_write();
    }
    done(
        record::save_draft(&state, &caller.actor, Some(id), &input, rid)
            .await
            .map(|_| ()),
    )
}

/// One of your drafts.
#[utoipa::path(get, path = "/api/v1/intake-drafts/{id}", tag = "cases",
    params(("id" = uuid::Uuid, Path, description = "The draft's id")),
    responses((status = 200, body = DraftBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_draft(
    State(state): State<AppState>,
    caller: ApiCaller,
    Id(id): Id<DraftId>,
) -> Response {
    let r = async {
        let (d, input) = record::load_draft(&state, &caller.actor, id).await?;
        Ok(DraftBody {
            id: *d.id.as_uuid(),
            input,
            updated_at: d.updated_at,
        })
    }
    .await;
    answer(StatusCode::OK, r)
}

/// The caseload and intake routes.
/// This feature's API: each route with its OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(caseload, create_case))
        .routes(routes!(create_draft))
        .routes(routes!(get_draft, put_draft))
}
