//! Notices in the JSON API: notices to a victim and opt-outs, notification
//! settings, templates, and SMS replies from the provider.

use crate::AppState;
use crate::case::open_case;
use crate::features::notices::{
    self, ChannelState, NoticeInput, NoticeQueued, NoticeView, TemplateView,
};
use crate::web::api::may_read;
use crate::web::api::{ApiCaller, JsonObject};
use crate::web::api::{answer, done, require_write};
use crate::web::error::{AppError, ErrorBody};
use crate::web::pages::Id;
use crate::web::pages::Ids;
use crate::web::session::ReqId;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use haven_domain::CaseId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

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
    Id(id): Id<CaseId>,
) -> Response {
    let r = async {
        may_read(&caller)?;
        let open = open_case(&state, &caller.actor, id, rid).await?;
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
    Id(id): Id<CaseId>,
    JsonObject(body): JsonObject<NoticeInput>,
) -> Response {
    let r = async {
        require_write(&caller)?;
        notices::notify(&state, &caller.actor, id, &body, rid).await
    }
    .await;
    answer(StatusCode::CREATED, r)
}

async fn opt_out(
    state: AppState,
    caller: ApiCaller,
    rid: Option<String>,
    id: CaseId,
    channel: String,
    stop: bool,
) -> Response {
    let r = async {
        require_write(&caller)?;
        notices::set_opt_out(&state, &caller.actor, id, &channel, stop, rid).await
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
    Ids(id, channel): Ids<CaseId, String>,
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
    Ids(id, channel): Ids<CaseId, String>,
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
/// The notice routes.
/// This feature's API: each route with its OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(case_notices, notify))
        .routes(routes!(stop, resume))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(templates))
        .routes(routes!(put_template, delete_template))
        .routes(routes!(inbound_sms))
}
