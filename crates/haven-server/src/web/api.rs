//! The JSON API under `/api/v1`, described by the OpenAPI document at
//! `/api/openapi.json`. Callers authenticate with an API token
//! (`Authorization: Bearer hvn_…`, limited to its scopes) or a signed-in
//! browser session. Every decision goes through `haven_domain::policy`;
//! refusals answer 404 like a missing record. Errors are
//! `{status, code, field, message}`.

use crate::AppState;
use crate::case::OpenCase;
use crate::web::error::{AppError, ErrorBody};
use crate::web::session::{self};
use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use haven_domain::CaseId;
use haven_domain::policy::{self, Action, Actor, Resource};
use haven_domain::{AuditAction, AuditEntry, SessionStage, User};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// API tokens start with this, so a leaked one is easy to recognize.
pub const TOKEN_PREFIX: &str = "hvn_";

/// The SHA-256 under which a token is stored.
#[must_use]
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

// ---------------------------------------------------------------- answers

/// The answer to a creation: the new record's id.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: uuid::Uuid,
}

/// The case, opened for the caller.
pub(crate) async fn open(
    state: &AppState,
    caller: &ApiCaller,
    id: CaseId,
    rid: Option<String>,
) -> Result<OpenCase, AppError> {
    crate::case::open_case(state, &caller.actor, id, rid).await
}

/// The answer of a handler written with `?`: `status` with the body, or the
/// error's answer.
pub(crate) fn answer<T: Serialize>(status: StatusCode, r: Result<T, AppError>) -> Response {
    match r {
        Ok(body) => (status, Json(body)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// 204 or the error's answer.
pub(crate) fn done(r: Result<(), AppError>) -> Response {
    match r {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

/// Whether a token may change cases (a session always may; the policy
/// decides the rest).
pub(crate) fn may_write(caller: &ApiCaller) -> bool {
    caller
        .actor
        .scopes
        .as_ref()
        .is_none_or(|s| s.contains(&haven_domain::policy::Scope::CasesWrite))
}

pub(crate) fn no_write() -> Response {
    write_refused().into_response()
}

fn write_refused() -> AppError {
    AppError::Forbidden("This token may not change cases: it needs the cases:write scope.".into())
}

/// [`may_write`] as a result, for handlers written with `?`.
pub(crate) fn require_write(caller: &ApiCaller) -> Result<(), AppError> {
    if may_write(caller) {
        Ok(())
    } else {
        Err(write_refused())
    }
}

/// Whether a token may read cases.
pub(crate) fn may_read(caller: &ApiCaller) -> Result<(), AppError> {
    if caller
        .actor
        .scopes
        .as_ref()
        .is_none_or(|s| s.contains(&haven_domain::policy::Scope::CasesRead))
    {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "This token may not read cases: it needs the cases:read scope.".into(),
        ))
    }
}

/// A JSON request body that must be an object: serde would otherwise accept
/// an array for a struct, and an API must not guess.
pub struct JsonObject<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S>
    for JsonObject<T>
{
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(|e| bad_json(&e))?;
        if !value.is_object() {
            return Err(invalid(
                "body",
                "not_an_object",
                "The request body must be a JSON object.",
            ));
        }
        serde_json::from_value(value).map(Self).map_err(|e| {
            invalid(
                "body",
                "invalid_json",
                &e.to_string().chars().take(300).collect::<String>(),
            )
        })
    }
}

/// A query string that fails to parse is answered like any other bad input:
/// 422 with the structured error body.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::try_from_uri(&parts.uri)
            .map(|axum::extract::Query(q)| Self(q))
            .map_err(|e| {
                invalid(
                    "query",
                    "invalid_query",
                    &e.body_text().chars().take(300).collect::<String>(),
                )
            })
    }
}

/// The caller: a person, possibly through a scoped token.
pub struct ApiCaller {
    pub user: User,
    pub actor: Actor,
}

fn unauthenticated() -> Response {
    unauthorized("Send a valid API token (Authorization: Bearer hvn_...) or sign in.")
}

/// A 401 answer asking for a bearer token; `message` says which.
pub(crate) fn unauthorized(message: &str) -> Response {
    let body = ErrorBody {
        status: 401,
        code: "unauthenticated",
        field: None,
        message: message.into(),
        reference: None,
        errors: Vec::new(),
    };
    (
        StatusCode::UNAUTHORIZED,
        [("www-authenticate", "Bearer")],
        Json(body),
    )
        .into_response()
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(header) = parts.headers.get(AUTHORIZATION) {
            let token = header
                .to_str()
                .ok()
                .and_then(|h| h.strip_prefix("Bearer "))
                .filter(|t| t.starts_with(TOKEN_PREFIX))
                .ok_or_else(unauthenticated)?;
            let now = haven_domain::now();
            let found = state
                .store
                .api_token_by_hash(&token_hash(token))
                .await
                .map_err(|e| AppError::from(e).into_response())?
                .filter(|t| t.revoked_at.is_none() && t.expires_at > now)
                .ok_or_else(unauthenticated)?;
            let user = state
                .store
                .user(found.user_id)
                .await
                .map_err(|e| AppError::from(e).into_response())?
                .filter(|u| !u.disabled)
                .ok_or_else(unauthenticated)?;
            if found
                .last_used_at
                .is_none_or(|t| now - t > time::Duration::minutes(1))
            {
                state
                    .store
                    .touch_api_token(found.id, now)
                    .await
                    .map_err(|e| AppError::from(e).into_response())?;
            }
            let actor = Actor::of(&user).with_scopes(found.scopes);
            return Ok(Self { user, actor });
        }
        match session::resolve(parts, state).await {
            Ok(Ok(a)) if a.session.stage == SessionStage::Full => Ok(Self {
                actor: Actor::of(&a.user),
                user: a.user,
            }),
            Ok(_) => Err(unauthenticated()),
            Err(e) => Err(e.into_response()),
        }
    }
}

impl ApiCaller {
    /// The one policy's decision for this caller.
    pub(crate) fn allowed(&self, action: Action, resource: Resource) -> bool {
        policy::authorize(&self.actor, action, resource).is_allowed()
    }

    /// An audit entry by this caller.
    pub(crate) fn audit(&self, action: AuditAction, request_id: Option<String>) -> AuditEntry {
        AuditEntry::new(action)
            .by(self.user.id, self.user.organization_id)
            .request(request_id)
    }
}

/// A refusal: audited, and answered like a missing record.
pub(crate) async fn refused(
    state: &AppState,
    caller: &ApiCaller,
    kind: &'static str,
    id: Option<String>,
    request_id: Option<String>,
) -> Response {
    let mut audit = caller.audit(AuditAction::AccessDenied, request_id);
    audit.resource_kind = Some(kind);
    audit.resource_id = id;
    match state.store.append_audit(&[audit]).await {
        Ok(()) => AppError::NotFound.into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

pub(crate) fn invalid(field: &'static str, code: &'static str, message: &str) -> Response {
    AppError::Invalid {
        code,
        field: Some(field),
        message: message.to_owned(),
    }
    .into_response()
}

pub(crate) fn bad_json(e: &axum::extract::rejection::JsonRejection) -> Response {
    // The rejection text names the problem (missing field, wrong type) but
    // never echoes values.
    let status = if e.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = ErrorBody {
        status: status.as_u16(),
        code: "invalid_json",
        field: None,
        message: e.body_text().chars().take(300).collect(),
        reference: None,
        errors: Vec::new(),
    };
    (status, Json(body)).into_response()
}

/// An API route with a layer of its own (a larger body limit for uploads),
/// still described in the OpenAPI document.
pub(crate) fn layered<L>(
    (schemas, paths, route): utoipa_axum::router::UtoipaMethodRouter<AppState>,
    layer: L,
) -> utoipa_axum::router::UtoipaMethodRouter<AppState>
where
    L: tower::Layer<axum::routing::Route> + Clone + Send + Sync + 'static,
    L::Service: tower::Service<axum::extract::Request> + Clone + Send + Sync + 'static,
    <L::Service as tower::Service<axum::extract::Request>>::Response:
        axum::response::IntoResponse + 'static,
    <L::Service as tower::Service<axum::extract::Request>>::Error:
        Into<std::convert::Infallible> + 'static,
    <L::Service as tower::Service<axum::extract::Request>>::Future: Send + 'static,
{
    (schemas, paths, route.layer(layer))
}
