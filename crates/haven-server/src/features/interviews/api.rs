//! Forensic interviews and notices to victims in the JSON API: the same
//! services as the pages (`interviews`, `notices`). Recordings go up as the
//! raw request body and come down as a stream, never whole in memory.
//!
//! The SMS provider's reply webhook lives here too: it is not called with a
//! person's token but with the provider's own (`sms_inbound_token_file`).

use crate::AppState;
use crate::case::open_case;
use crate::features::interviews::{
    self, EarlierInterview, InterviewLine, InterviewView, RequestInput, ScheduleInput, Scheduled,
};
use crate::features::notices::{
    self, ChannelState, NoticeInput, NoticeQueued, NoticeView, TemplateView,
};
use crate::features::record::api::Created;
use crate::web::api::may_read;
use crate::web::api::{ApiCaller, ApiQuery, JsonObject};
use crate::web::api::{answer, done, require_write};
use crate::web::error::{AppError, ErrorBody};
use crate::web::session::ReqId;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use haven_domain::{CaseId, InterviewFileId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn parse<T: std::str::FromStr>(id: &str) -> Result<T, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

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
    Path(id): Path<String>,
) -> Response {
    let r = async {
        may_read(&caller)?;
        let case: CaseId = parse(&id)?;
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
    Path(id): Path<String>,
    JsonObject(body): JsonObject<RequestInput>,
) -> Response {
    let r = async {
        require_write(&caller)?;
        let id = interviews::request(&state, &caller.actor, parse(&id)?, &body, rid).await?;
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
    Path((id, interview)): Path<(String, String)>,
) -> Response {
    let r = async {
        require_write(&caller)?;
        interviews::observe(&state, &caller.actor, parse(&id)?, parse(&interview)?, rid).await
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
    Path(id): Path<String>,
) -> Response {
    let r = async {
        may_read(&caller)?;
        interviews::view(&state, &caller.actor, parse(&id)?, rid).await
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
    Path(id): Path<String>,
    JsonObject(body): JsonObject<ScheduleInput>,
) -> Response {
    let r = async {
        require_write(&caller)?;
        interviews::schedule(&state, &caller.actor, parse(&id)?, &body, rid).await
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
    Path(id): Path<String>,
) -> Response {
    let r = async {
        require_write(&caller)?;
        interviews::cancel(&state, &caller.actor, parse(&id)?, rid).await
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
    Path(id): Path<String>,
    JsonObject(body): JsonObject<RecordBody>,
) -> Response {
    let r = async {
        require_write(&caller)?;
        interviews::record(
            &state,
            &caller.actor,
            parse(&id)?,
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
    Path(id): Path<String>,
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
            parse(&id)?,
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
    Path(id): Path<String>,
) -> Response {
    let r = async {
        may_read(&caller)?;
        let file: InterviewFileId = parse(&id)?;
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
    Path(id): Path<String>,
    JsonObject(body): JsonObject<TransferBody>,
) -> Response {
    let r = async {
        require_write(&caller)?;
        interviews::transfer(
            &state,
            &caller.actor,
            parse(&id)?,
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
    Path(id): Path<String>,
) -> Response {
    let r = async {
        require_write(&caller)?;
        let matches = interviews::verify(&state, &caller.actor, parse(&id)?, rid).await?;
        Ok(Verification { matches })
    }
    .await;
    answer(StatusCode::OK, r)
}

// ---------------------------------------------------------------- notices

/// What the victim of a case has been told, and where notices can go.
#[derive(Serialize, ToSchema)]
pub struct CaseNotices {
    /// Newest first, with the exact words.
    pub notices: Vec<NoticeView>,
    pub channels: Vec<ChannelState>,
}

/// The notices sent (or waiting) to the case's person, and their written channels with opt-outs (an audited read).
#[utoipa::path(get, path = "/api/v1/cases/{id}/notices", tag = "notices",
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 200, body = CaseNotices), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn case_notices(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Path(id): Path<String>,
) -> Response {
    let r = async {
        may_read(&caller)?;
        let open = open_case(&state, &caller.actor, parse(&id)?, rid).await?;
        Ok(CaseNotices {
            notices: notices::case_notices(&state, &open).await?,
            channels: notices::channels(&state, &open).await?,
        })
    }
    .await;
    answer(StatusCode::OK, r)
}

/// Tells the case's person about an event, only through their written safe channel, in their language, from the templates, with their code word first and no names, addresses or case details. Held until their safe hours; reduced to "please call your specialist" when no message may be left. 422 when there is no written safe channel (tell them another way).
#[utoipa::path(post, path = "/api/v1/cases/{id}/notices", tag = "notices",
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    request_body = NoticeInput,
    responses((status = 201, body = NoticeQueued), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn notify(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Path(id): Path<String>,
    JsonObject(body): JsonObject<NoticeInput>,
) -> Response {
    let r = async {
        require_write(&caller)?;
        notices::notify(&state, &caller.actor, parse(&id)?, &body, rid).await
    }
    .await;
    answer(StatusCode::CREATED, r)
}

async fn opt_out(
    state: AppState,
    caller: ApiCaller,
    rid: Option<String>,
    id: String,
    channel: String,
    stop: bool,
) -> Response {
    let r = async {
        require_write(&caller)?;
        notices::set_opt_out(&state, &caller.actor, parse(&id)?, &channel, stop, rid).await
    }
    .await;
    done(r)
}

/// Records the person's "stop" on a channel (`sms` or `email`), as they told the team. It takes effect at once: waiting messages to that address are closed.
#[utoipa::path(put, path = "/api/v1/cases/{id}/opt-outs/{channel}", tag = "notices",
    params(("id" = uuid::Uuid, Path, description = "The case's id"), ("channel" = String, Path, description = "sms or email")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn stop(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Path((id, channel)): Path<(String, String)>,
) -> Response {
    opt_out(state, caller, rid, id, channel, true).await
}

/// Lifts the person's "stop" on a channel, when they asked to hear again.
#[utoipa::path(delete, path = "/api/v1/cases/{id}/opt-outs/{channel}", tag = "notices",
    params(("id" = uuid::Uuid, Path, description = "The case's id"), ("channel" = String, Path, description = "sms or email")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Path((id, channel)): Path<(String, String)>,
) -> Response {
    opt_out(state, caller, rid, id, channel, false).await
}

/// Which staff notifications also come by e-mail (they carry no personal data: they ask you to sign in).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct NotificationSettings {
    /// Kinds with an e-mail copy: any of deadlines, referrals, interviews.
    pub email: Vec<String>,
}

/// Your notification settings.
#[utoipa::path(get, path = "/api/v1/account/notification-settings", tag = "notices",
    responses((status = 200, body = NotificationSettings), (status = 401, body = ErrorBody)))]
pub async fn get_settings(State(state): State<AppState>, caller: ApiCaller) -> Response {
    let r = async {
        let all = notices::settings(&state, caller.actor.user).await?;
        Ok::<_, AppError>(NotificationSettings {
            email: all
                .into_iter()
                .filter(|(_, on)| *on)
                .map(|(k, _)| k)
                .collect(),
        })
    }
    .await;
    answer(StatusCode::OK, r)
}

/// Replaces your notification settings.
#[utoipa::path(put, path = "/api/v1/account/notification-settings", tag = "notices",
    request_body = NotificationSettings,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    JsonObject(body): JsonObject<NotificationSettings>,
) -> Response {
    done(notices::save_settings(&state, &caller.actor, &body.email, rid).await)
}

/// Every notice template in every language, with your organization's own wording (administrators with `admin:write`; others get 404).
#[utoipa::path(get, path = "/api/v1/notice-templates", tag = "notices",
    responses((status = 200, body = Vec<TemplateView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn templates(State(state): State<AppState>, caller: ApiCaller) -> Response {
    answer(
        StatusCode::OK,
        notices::templates(&state, &caller.actor).await,
    )
}

#[derive(Deserialize, ToSchema)]
pub struct TemplateBody {
    /// Fluent text using only `{ $specialist }` and `{ $when }`, at most 480 characters.
    pub body: String,
}

/// Sets your organization's wording of a template (e.g. `es`, `notice-appointment`); it is checked (valid Fluent, only the shipped variables, short enough for one message).
#[utoipa::path(put, path = "/api/v1/notice-templates/{lang}/{key}", tag = "notices",
    params(("lang" = String, Path, description = "en-US or es"), ("key" = String, Path, description = "The template's key")),
    request_body = TemplateBody,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_template(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Path((lang, key)): Path<(String, String)>,
    JsonObject(body): JsonObject<TemplateBody>,
) -> Response {
    let r = if body.body.trim().is_empty() {
        Err(AppError::Invalid {
            code: "required",
            field: Some("body"),
            message: "Write the wording, or DELETE the template to use the shipped one.".into(),
        })
    } else {
        notices::save_template(&state, &caller.actor, &lang, &key, &body.body, rid).await
    };
    done(r)
}

/// Goes back to the shipped wording of a template.
#[utoipa::path(delete, path = "/api/v1/notice-templates/{lang}/{key}", tag = "notices",
    params(("lang" = String, Path, description = "en-US or es"), ("key" = String, Path, description = "The template's key")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_template(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Path((lang, key)): Path<(String, String)>,
) -> Response {
    done(notices::save_template(&state, &caller.actor, &lang, &key, "", rid).await)
}

// ------------------------------------------------------------ SMS replies

/// A reply from a phone, as the SMS provider forwards it.
#[derive(Deserialize, ToSchema)]
pub struct InboundSms {
    /// The number that wrote.
    pub from: String,
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct InboundResult {
    /// The reply was a "stop" (STOP, ALTO, BAJA...): nothing more goes to that number.
    pub opted_out: bool,
}

/// The SMS provider, known by its token (`sms_inbound_token_file`). Checked
/// before the body is read; 404 when no provider token is configured.
pub struct SmsProvider;

impl axum::extract::FromRequestParts<AppState> for SmsProvider {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(expected) = &state.settings.sms_inbound_token else {
            return Err(AppError::NotFound.into_response());
        };
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if expected.matches(given) {
            Ok(Self)
        } else {
            Err(crate::web::api::unauthorized(
                "Send the SMS provider's token (Authorization: Bearer ...).",
            ))
        }
    }
}

/// The SMS provider's reply webhook (with the provider's token from `sms_inbound_token_file`, not a person's). A stop word opts the number out at once; other replies are not kept. 404 when no provider token is configured.
#[utoipa::path(post, path = "/api/v1/sms/inbound", tag = "notices",
    request_body = InboundSms,
    security(("sms_provider" = [])),
    responses((status = 200, body = InboundResult), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn inbound_sms(
    State(state): State<AppState>,
    _provider: SmsProvider,
    JsonObject(sms): JsonObject<InboundSms>,
) -> Response {
    let r = notices::inbound_sms(&state, &sms.from, &sms.text)
        .await
        .map(|opted_out| InboundResult { opted_out });
    answer(StatusCode::OK, r)
}

pub fn routes() -> axum::Router<AppState> {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post, put};
    axum::Router::new()
        .route("/api/v1/interviews", get(queue))
        .route("/api/v1/interviews/{id}", get(get_interview))
        .route("/api/v1/interviews/{id}/schedule", put(schedule))
        .route("/api/v1/interviews/{id}/cancellation", post(cancel))
        .route("/api/v1/interviews/{id}/record", post(record))
        .route(
            "/api/v1/interviews/{id}/files",
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/v1/interview-files/{id}", get(download))
        .route("/api/v1/interview-files/{id}/transfers", post(transfer))
        .route("/api/v1/interview-files/{id}/verification", post(verify))
        .route(
            "/api/v1/cases/{id}/interviews",
            get(case_interviews).post(request),
        )
        .route(
            "/api/v1/cases/{id}/interviews/{interview_id}/observers",
            post(observe),
        )
        .route("/api/v1/cases/{id}/notices", get(case_notices).post(notify))
        .route(
            "/api/v1/cases/{id}/opt-outs/{channel}",
            put(stop).delete(resume),
        )
        .route(
            "/api/v1/account/notification-settings",
            get(get_settings).put(put_settings),
        )
        .route("/api/v1/notice-templates", get(templates))
        .route(
            "/api/v1/notice-templates/{lang}/{key}",
            put(put_template).delete(delete_template),
        )
        .route("/api/v1/sms/inbound", post(inbound_sms))
}
