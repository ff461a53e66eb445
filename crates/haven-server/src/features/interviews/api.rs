//! Forensic interviews and notices to victims in the JSON API: the same
//! services as the pages (`interviews`, `notices`). Recordings go up as the
//! raw request body and come down as a stream, never whole in memory.
//!
//! The SMS provider's reply webhook lives here too: it is not called with a
//! person's token but with the provider's own (`sms_inbound_token_file`).

use crate::AppState;
use crate::features::interviews::{
    self, EarlierInterview, InterviewLine, InterviewView, RequestInput, ScheduleInput, Scheduled,
};
use crate::web::api::Created;
use crate::web::api::may_read;
use crate::web::api::{ApiCaller, ApiQuery, JsonObject};
use crate::web::api::{answer, done, require_write};
use crate::web::error::ErrorBody;
use crate::web::pages::Id;
use crate::web::pages::Ids;
use crate::web::session::ReqId;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use haven_domain::InterviewId;
use haven_domain::{CaseId, InterviewFileId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

// ------------------------------------------------------------- interviews

/// The interviewing organization's open requests and schedule (forensic
/// interviewers and supervisors; others get 404).
#[utoipa::path(get, path = "/api/v1/interviews", tag = "interviews",
    responses((status = 200, body = Vec<InterviewLine>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn queue(State(state): State<AppState>, caller: ApiCaller) -> Response {
    let r = async {
        may_read(&caller)?;
        interviews::queue(&state, &caller.actor).await
    }
    .await;
    answer(StatusCode::OK, r)
}

/// A case's interviews, and every earlier interview of its person (on any case).
#[derive(Serialize, ToSchema)]
pub struct CaseInterviews {
    pub interviews: Vec<InterviewLine>,
    /// Not cancelled; the reason a new request needs `repeat_reason`.
    pub earlier: Vec<EarlierInterview>,
}

/// The interviews of a case, and the earlier interviews of its person (an audited read).
#[utoipa::path(get, path = "/api/v1/cases/{id}/interviews", tag = "interviews",
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 200, body = CaseInterviews), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn case_interviews(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(case): Id<CaseId>,
) -> Response {
    let r = async {
        may_read(&caller)?;
        let earlier = interviews::earlier(&state, &caller.actor, case, rid).await?;
        Ok(CaseInterviews {
            interviews: interviews::for_case(&state, case).await?,
            earlier,
        })
    }
    .await;
    answer(StatusCode::OK, r)
}

/// Requests a forensic interview. A child (under 18 on `planned_on`, or of unknown age) or a traumatized person needs a forensic interview specialist (VAP-1): the request goes to the first organization with one (the one chosen, the team interviewer's, the requester's, the team agent's). A person interviewed before needs `repeat_reason` (422 `repeat_needs_reason`); observing the earlier interview is the alternative.
#[utoipa::path(post, path = "/api/v1/cases/{id}/interviews", tag = "interviews",
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    request_body = RequestInput,
    responses((status = 201, body = Created), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<CaseId>,
    JsonObject(body): JsonObject<RequestInput>,
) -> Response {
    let r = async {
        require_write(&caller)?;
        let id = interviews::request(&state, &caller.actor, id, &body, rid).await?;
        Ok(Created { id: *id.as_uuid() })
    }
    .await;
    answer(StatusCode::CREATED, r)
}

/// Adds your organization as an observer of an earlier interview of the case's person, instead of a new interview.
#[utoipa::path(post, path = "/api/v1/cases/{id}/interviews/{interview_id}/observers", tag = "interviews",
    params(("id" = uuid::Uuid, Path, description = "The case's id"), ("interview_id" = uuid::Uuid, Path, description = "The interview's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn observe(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Ids(case, interview): Ids<CaseId, InterviewId>,
) -> Response {
    let r = async {
        require_write(&caller)?;
        interviews::observe(&state, &caller.actor, case, interview, rid).await
    }
    .await;
    done(r)
}

/// One interview with its files and their chain of custody (for the interviewing organization, an audited read of the person's name).
#[utoipa::path(get, path = "/api/v1/interviews/{id}", tag = "interviews",
    params(("id" = uuid::Uuid, Path, description = "The interview's id")),
    responses((status = 200, body = InterviewView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_interview(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<InterviewId>,
) -> Response {
    let r = async {
        may_read(&caller)?;
        interviews::view(&state, &caller.actor, id, rid).await
    }
    .await;
    answer(StatusCode::OK, r)
}

/// Schedules or reschedules an interview (the interviewing organization). Refused with the reason when the interviewer, the accompanying specialist, the interpreter, the place or the person already has an appointment then; an interpreter is required when the request asks for one. With `notify_victim`, the appointment notice is queued in the same transaction.
#[utoipa::path(put, path = "/api/v1/interviews/{id}/schedule", tag = "interviews",
    params(("id" = uuid::Uuid, Path, description = "The interview's id")),
    request_body = ScheduleInput,
    responses((status = 200, body = Scheduled), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn schedule(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<InterviewId>,
    JsonObject(body): JsonObject<ScheduleInput>,
) -> Response {
    let r = async {
        require_write(&caller)?;
        interviews::schedule(&state, &caller.actor, id, &body, rid).await
    }
    .await;
    answer(StatusCode::OK, r)
}

/// Cancels a requested or scheduled interview (the case team or the interviewers).
#[utoipa::path(post, path = "/api/v1/interviews/{id}/cancellation", tag = "interviews",
    params(("id" = uuid::Uuid, Path, description = "The interview's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<InterviewId>,
) -> Response {
    let r = async {
        require_write(&caller)?;
        interviews::cancel(&state, &caller.actor, id, rid).await
    }
    .await;
    done(r)
}

/// The record of a held interview.
#[derive(Deserialize, ToSchema)]
pub struct RecordBody {
    pub summary: String,
    /// `shared` (default) or `advocate` (victim services only).
    #[serde(default)]
    pub compartment: String,
}

/// Records a held interview (its summary in a compartment) and completes it.
#[utoipa::path(post, path = "/api/v1/interviews/{id}/record", tag = "interviews",
    params(("id" = uuid::Uuid, Path, description = "The interview's id")),
    request_body = RecordBody,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<InterviewId>,
    JsonObject(body): JsonObject<RecordBody>,
) -> Response {
    let r = async {
        require_write(&caller)?;
        interviews::record(
            &state,
            &caller.actor,
            id,
            &body.summary,
            &body.compartment,
            rid,
        )
        .await
    }
    .await;
    done(r)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct FileParams {
    /// `recording` or `document`.
    pub kind: String,
    /// The file's name (no slashes).
    pub name: String,
}

/// Stores a recording or document of a scheduled or held interview. The request body is the file itself (its `Content-Type` is kept); it is encrypted in chunks as it streams in and hashed (SHA-256). Over `recording_max_mib`, or interrupted, nothing is kept.
#[utoipa::path(post, path = "/api/v1/interviews/{id}/files", tag = "interviews",
    params(("id" = uuid::Uuid, Path, description = "The interview's id"), FileParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    responses((status = 201, body = Created), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<InterviewId>,
    ApiQuery(p): ApiQuery<FileParams>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let r = async {
        require_write(&caller)?;
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream");
        let id = interviews::store_file(
            &state,
            &caller.actor,
            id,
            &p.kind,
            &p.name,
            content_type,
            body.into_data_stream(),
            rid,
        )
        .await?;
        Ok(Created { id: *id.as_uuid() })
    }
    .await;
    answer(StatusCode::CREATED, r)
}

/// Downloads an interview file, streamed; `X-Content-SHA256` carries its fingerprint. The download is in the chain of custody and the audit log before the first byte leaves.
#[utoipa::path(get, path = "/api/v1/interview-files/{id}", tag = "interviews",
    params(("id" = uuid::Uuid, Path, description = "The file's id")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(file): Id<InterviewFileId>,
) -> Response {
    let r = async {
        may_read(&caller)?;
        interviews::download(&state, &caller.actor, file, rid).await
    }
    .await;
    match r {
        Ok(d) => crate::features::interviews::pages::file_response(d),
        Err(e) => e.into_response(),
    }
}

/// A handing-over of a file.
#[derive(Deserialize, ToSchema)]
pub struct TransferBody {
    /// Who received it (a prosecutor's office, a court).
    pub recipient: String,
    #[serde(default)]
    pub purpose: String,
}

/// Records that a file was handed over (chain of custody).
#[utoipa::path(post, path = "/api/v1/interview-files/{id}/transfers", tag = "interviews",
    params(("id" = uuid::Uuid, Path, description = "The file's id")),
    request_body = TransferBody,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transfer(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<InterviewFileId>,
    JsonObject(body): JsonObject<TransferBody>,
) -> Response {
    let r = async {
        require_write(&caller)?;
        interviews::transfer(
            &state,
            &caller.actor,
            id,
            &body.recipient,
            &body.purpose,
            rid,
        )
        .await
    }
    .await;
    done(r)
}

#[derive(Serialize, ToSchema)]
pub struct Verification {
    /// The stored content still has the SHA-256 recorded when it was stored.
    pub matches: bool,
}

/// Re-reads a file and compares its SHA-256 with the one recorded when it was stored; the check goes into the chain of custody.
#[utoipa::path(post, path = "/api/v1/interview-files/{id}/verification", tag = "interviews",
    params(("id" = uuid::Uuid, Path, description = "The file's id")),
    responses((status = 200, body = Verification), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<InterviewFileId>,
) -> Response {
    let r = async {
        require_write(&caller)?;
        let matches = interviews::verify(&state, &caller.actor, id, rid).await?;
        Ok(Verification { matches })
    }
    .await;
    answer(StatusCode::OK, r)
}

/// This feature's API: each route with its OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    use axum::extract::DefaultBodyLimit;
    OpenApiRouter::new()
        .routes(routes!(queue))
        .routes(routes!(get_interview))
        .routes(routes!(schedule))
        .routes(routes!(cancel))
        .routes(routes!(record))
        .routes(crate::web::api::layered(
            routes!(upload),
            DefaultBodyLimit::disable(),
        ))
        .routes(routes!(download))
        .routes(routes!(transfer))
        .routes(routes!(verify))
        .routes(routes!(case_interviews, request))
        .routes(routes!(observe))
}
