//! The JSON API under `/api/v1`, described by the OpenAPI document at
//! `/api/openapi.json`. Callers authenticate with an API token
//! (`Authorization: Bearer hvn_…`, limited to its scopes) or a signed-in
//! browser session. Every decision goes through `haven_domain::policy`;
//! refusals answer 404 like a missing record. Errors are
//! `{status, code, field, message}`.

use crate::AppState;
use crate::features::admin::pages::{NewUserInput, validate_new_user};
use crate::web::error::{AppError, ErrorBody};
use crate::web::i18n::Lang;
use crate::web::session::{self, ReqId};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use haven_domain::policy::{self, Action, Actor, Resource};
use haven_domain::{
    AuditAction, AuditEntry, OrgKind, Organization, OrganizationId, Role, SessionStage, User,
    UserId,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use utoipa::{OpenApi, ToSchema};

/// API tokens start with this, so a leaked one is easy to recognize.
pub const TOKEN_PREFIX: &str = "hvn_";

/// The SHA-256 under which a token is stored.
#[must_use]
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
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
    fn allowed(&self, action: Action, resource: Resource) -> bool {
        policy::authorize(&self.actor, action, resource).is_allowed()
    }

    fn audit(&self, action: AuditAction, request_id: Option<String>) -> AuditEntry {
        AuditEntry::new(action)
            .by(self.user.id, self.user.organization_id)
            .request(request_id)
    }
}

/// A refusal: audited, and answered like a missing record.
async fn refused(
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

#[derive(Serialize, ToSchema)]
pub struct OrganizationBody {
    pub id: uuid::Uuid,
    pub name: String,
    /// `law_enforcement`, `ngo` or `service_provider`.
    pub kind: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Organization> for OrganizationBody {
    fn from(o: Organization) -> Self {
        Self {
            id: *o.id.as_uuid(),
            name: o.name,
            kind: o.kind.as_str().to_owned(),
            created_at: o.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserBody {
    pub id: uuid::Uuid,
    pub organization_id: uuid::Uuid,
    pub login: String,
    pub name: String,
    pub roles: Vec<String>,
    pub mfa_enabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn user_body(u: User, mfa_enabled: bool) -> UserBody {
    UserBody {
        id: *u.id.as_uuid(),
        organization_id: *u.organization_id.as_uuid(),
        login: u.login.as_str().to_owned(),
        name: u.display_name,
        roles: u.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        mfa_enabled,
        created_at: u.created_at,
    }
}

#[derive(Serialize, ToSchema)]
pub struct MeBody {
    pub user: UserBody,
    pub organization: OrganizationBody,
    /// The token's scopes, or null when signed in with a browser session.
    pub scopes: Option<Vec<String>>,
}

/// Who is calling.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = MeBody), (status = 401, body = ErrorBody)))]
pub async fn me(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<MeBody>, AppError> {
    let org = state
        .store
        .organization(caller.user.organization_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mfa = state
        .store
        .mfa(caller.user.id)
        .await?
        .is_some_and(|m| m.enabled_at.is_some());
    let scopes = caller
        .actor
        .scopes
        .as_ref()
        .map(|s| s.iter().map(|x| x.as_str().to_owned()).collect());
    Ok(Json(MeBody {
        user: user_body(caller.user, mfa),
        organization: org.into(),
        scopes,
    }))
}

/// The directory of organizations.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "administration",
    responses((status = 200, body = [OrganizationBody]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_organizations(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
) -> Response {
    if !caller.allowed(Action::View, Resource::Organizations) {
        return refused(&state, &caller, "organizations", None, rid).await;
    }
    match state.store.list_organizations().await {
        Ok(orgs) => Json(
            orgs.into_iter()
                .map(OrganizationBody::from)
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewOrganization {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    #[schema(pattern = "^(law_enforcement|ngo|service_provider)$")]
    pub kind: String,
}

/// Adds an organization (administrators; scope `admin:write`).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "administration", request_body = NewOrganization,
    responses((status = 201, body = OrganizationBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_organization(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    JsonObject(body): JsonObject<NewOrganization>,
) -> Response {
    if !caller.allowed(Action::Create, Resource::Organizations) {
        return refused(&state, &caller, "organizations", None, rid).await;
    }
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return invalid("name", "length", "The name must be 1 to 200 characters.");
    }
    let Some(kind) = OrgKind::parse(&body.kind) else {
        return invalid(
            "kind",
            "unknown_kind",
            "The kind must be law_enforcement, ngo or service_provider.",
        );
    };
    let org = Organization {
        id: OrganizationId::new(),
        name,
        kind,
        created_at: haven_domain::now(),
    };
    let audit = caller
        .audit(AuditAction::OrganizationCreated, rid)
        .on("organization", org.id);
    match state.store.create_organization(&org, &audit).await {
        Ok(()) => {
            state.lists.organizations.forget();
            (StatusCode::CREATED, Json(OrganizationBody::from(org))).into_response()
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

/// The staff accounts the caller may see.
#[utoipa::path(get, path = "/api/v1/users", tag = "administration",
    responses((status = 200, body = [UserBody]), (status = 401, body = ErrorBody)))]
pub async fn list_users(State(state): State<AppState>, caller: ApiCaller) -> Response {
    match state
        .store
        .list_users(policy::user_scope(&caller.actor))
        .await
    {
        Ok(users) => Json(
            users
                .into_iter()
                .map(|(u, m)| user_body(u, m))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewUserBody {
    /// 3 to 254 characters, no spaces (usually an e-mail address).
    #[schema(pattern = r"^[A-Za-z0-9._%+@-]{3,254}$")]
    pub login: String,
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    /// At least 12 characters.
    #[schema(min_length = 12)]
    pub password: String,
    /// Role names, e.g. `victim_specialist`.
    #[schema(min_items = 1, inline, value_type = Vec<RoleName>)]
    pub roles: Vec<String>,
}

/// A role name.
#[derive(ToSchema)]
#[schema(as = RoleName)]
#[allow(dead_code)]
pub enum RoleName {
    #[schema(rename = "administrator")]
    Administrator,
    #[schema(rename = "supervisor")]
    Supervisor,
    #[schema(rename = "victim_specialist")]
    VictimSpecialist,
    #[schema(rename = "law_enforcement_agent")]
    LawEnforcementAgent,
    #[schema(rename = "certifying_official")]
    CertifyingOfficial,
    #[schema(rename = "forensic_interviewer")]
    ForensicInterviewer,
    #[schema(rename = "provider_staff")]
    ProviderStaff,
    #[schema(rename = "analyst")]
    Analyst,
}

/// Adds a staff account to the caller's organization (administrators; scope `admin:write`).
#[utoipa::path(post, path = "/api/v1/users", tag = "administration", request_body = NewUserBody,
    responses((status = 201, body = UserBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    JsonObject(body): JsonObject<NewUserBody>,
) -> Response {
    if !caller.allowed(
        Action::Create,
        Resource::UsersOf(caller.user.organization_id),
    ) {
        return refused(&state, &caller, "users", None, rid).await;
    }
    let valid = match validate_new_user(NewUserInput {
        name: body.name,
        login: body.login,
        password: body.password,
        roles: body.roles,
    }) {
        Ok(v) => v,
        Err(problems) => {
            let errors: Vec<_> = problems
                .iter()
                .map(|p| crate::web::error::FieldError {
                    field: p.field,
                    code: p.code,
                    message: Lang::En.t(p.message_key),
                })
                .collect();
            let first = &errors[0];
            return AppError::Invalid {
                code: first.code,
                field: Some(first.field),
                message: first.message.clone(),
            }
            .with_errors(errors)
            .into_response();
        }
    };
    let user = User {
        id: UserId::new(),
        organization_id: caller.user.organization_id,
        login: valid.login,
        display_name: valid.name,
        roles: valid.roles,
        password_hash: state.hasher.hash(valid.password).await,
        disabled: false,
        created_at: haven_domain::now(),
    };
    let audit = caller
        .audit(AuditAction::UserCreated, rid)
        .on("user", user.id);
    match state.store.create_user(&user, &audit).await {
        Ok(()) => (StatusCode::CREATED, Json(user_body(user, false))).into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

async fn target(
    state: &AppState,
    caller: &ApiCaller,
    id: &str,
    action: Action,
    rid: Option<String>,
) -> Result<User, Response> {
    let user = match id.parse::<UserId>() {
        Ok(uid) => state
            .store
            .user(uid)
            .await
            .map_err(|e| AppError::from(e).into_response())?,
        Err(_) => None,
    };
    let Some(user) = user else {
        return Err(AppError::NotFound.into_response());
    };
    if !caller.allowed(
        action,
        Resource::User {
            id: user.id,
            organization: user.organization_id,
        },
    ) {
        return Err(refused(state, caller, "user", Some(user.id.to_string()), rid).await);
    }
    Ok(user)
}

/// One staff account (the read is audited).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "administration",
    params(("id" = uuid::Uuid, Path, description = "The account's id")),
    responses((status = 200, body = UserBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_user(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Path(id): Path<String>,
) -> Response {
    let user = match target(&state, &caller, &id, Action::View, rid.clone()).await {
        Ok(u) => u,
        Err(res) => return res,
    };
    if let Err(e) = state
        .audit_writer
        .record(
            caller
                .audit(AuditAction::RecordViewed, rid)
                .on("user", user.id),
        )
        .await
    {
        return e.into_response();
    }
    match state.store.mfa(user.id).await {
        Ok(m) => Json(user_body(user, m.is_some_and(|m| m.enabled_at.is_some()))).into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// Removes the account's second factor and ends its sessions (administrators; scope `admin:write`).
#[utoipa::path(post, path = "/api/v1/users/{id}/mfa-reset", tag = "administration",
    params(("id" = uuid::Uuid, Path, description = "The account's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reset_mfa(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Path(id): Path<String>,
) -> Response {
    let user = match target(&state, &caller, &id, Action::ResetMfa, rid.clone()).await {
        Ok(u) => u,
        Err(res) => return res,
    };
    let reset = caller
        .audit(AuditAction::MfaReset, rid.clone())
        .on("user", user.id);
    let ended = caller
        .audit(AuditAction::SessionsEnded, rid)
        .on("user", user.id);
    if let Err(e) = state.store.reset_mfa(user.id, &reset).await {
        return AppError::from(e).into_response();
    }
    match state
        .store
        .delete_sessions_for_user(user.id, Some(&ended))
        .await
    {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// Ends every session of the account ("sign out everywhere").
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions", tag = "administration",
    params(("id" = uuid::Uuid, Path, description = "The account's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn end_sessions(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Path(id): Path<String>,
) -> Response {
    let user = match target(&state, &caller, &id, Action::EndSessions, rid.clone()).await {
        Ok(u) => u,
        Err(res) => return res,
    };
    let audit = caller
        .audit(AuditAction::SessionsEnded, rid)
        .on("user", user.id);
    match state
        .store
        .delete_sessions_for_user(user.id, Some(&audit))
        .await
    {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct PartyBody {
    /// `victim`, `parent_or_guardian` or `court_guardian`.
    pub signer: String,
    /// The case records this person as the victim's abuser or trafficker.
    #[serde(default)]
    pub recorded_as_abuser: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct NewConsent {
    pub parties: Vec<PartyBody>,
    /// Exactly one of `recipient_organization_id` and `recipient_role`.
    pub recipient_organization_id: Option<uuid::Uuid>,
    pub recipient_role: Option<String>,
    pub purpose: String,
    /// Field groups: identity, contact, location, immigration, health, advocate_records, case_history.
    pub fields: Vec<String>,
    /// YYYY-MM-DD.
    pub signed_on: String,
    /// YYYY-MM-DD, after `signed_on` (R-6).
    pub expires_on: String,
    #[serde(default)]
    pub unemancipated_minor: bool,
    #[serde(default)]
    pub minor_may_consent_alone: bool,
    #[serde(default)]
    pub legal_incapacity: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ConsentBody {
    pub id: uuid::Uuid,
    pub case_id: uuid::Uuid,
    pub recipient_organization_id: Option<uuid::Uuid>,
    pub recipient_role: Option<String>,
    pub purpose: String,
    pub fields: Vec<String>,
    pub signed_on: String,
    pub expires_on: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub active: bool,
    /// The staff member who witnessed the signature and recorded it.
    pub witnessed_by: Option<uuid::Uuid>,
}

fn consent_body(c: &haven_domain::consent::Consent, purpose: String) -> ConsentBody {
    use haven_domain::consent::Recipient;
    let (org, role) = match c.recipient {
        Recipient::Organization(o) => (Some(*o.as_uuid()), None),
        Recipient::Role(r) => (None, Some(r.as_str().to_owned())),
    };
    ConsentBody {
        id: *c.id.as_uuid(),
        case_id: *c.case.as_uuid(),
        recipient_organization_id: org,
        recipient_role: role,
        purpose,
        fields: c.fields.iter().map(|f| f.as_str().to_owned()).collect(),
        witnessed_by: c.witnessed_by.map(|u| *u.as_uuid()),
        signed_on: c.signed_on.to_string(),
        expires_on: c.expires_on.to_string(),
        revoked_at: c.revoked_at,
        active: c.is_active(haven_domain::now()),
    }
}

/// A release's purpose in plain text (empty for one an older Haven recorded
/// and the start-up has not sealed yet).
///
/// # Errors
/// When it does not decrypt.
pub(crate) async fn consent_purpose(
    state: &AppState,
    c: &haven_domain::consent::Consent,
) -> Result<String, AppError> {
    if c.purpose.is_empty() {
        return Ok(String::new());
    }
    crate::features::record::unseal_text(
        state,
        "consents",
        "purpose",
        &c.id.to_string(),
        &c.purpose,
    )
    .await
}

/// The case, if the caller may see (`write == false`) or record and revoke
/// (`write == true`) its releases; otherwise not found.
async fn consent_case(
    state: &AppState,
    caller: &ApiCaller,
    id: &str,
    rid: Option<String>,
    write: bool,
) -> Result<haven_domain::access::CaseFacts, Response> {
    let Ok(case_id) = id.parse::<haven_domain::CaseId>() else {
        return Err(AppError::NotFound.into_response());
    };
    let facts = state
        .store
        .case_facts(case_id)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
    let allowed = |f: &haven_domain::access::CaseFacts| {
        if write {
            haven_domain::access::may_manage_consent(&caller.actor, f)
        } else {
            haven_domain::access::may_see_consents(&caller.actor, f)
        }
    };
    match facts {
        Some(f) if allowed(&f) => Ok(f),
        Some(_) => Err(refused(state, caller, "case", Some(case_id.to_string()), rid).await),
        None => Err(AppError::NotFound.into_response()),
    }
}

/// Records a release of information for a case: the victim's decision, made
/// with their advocate. Only victim-services staff of the organization that
/// owns the case (its team or supervisors) record one, never naming
/// themselves, their own organization or a role they hold; the recorder is
/// kept as the witness of the signature. Checked against R-4, R-5 and R-6;
/// recording one is never required for any service.
#[utoipa::path(post, path = "/api/v1/cases/{id}/consents", tag = "cases", request_body = NewConsent,
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 201, body = ConsentBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_consent(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Path(id): Path<String>,
    JsonObject(body): JsonObject<NewConsent>,
) -> Response {
    let facts = match consent_case(&state, &caller, &id, rid.clone(), true).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let purpose = body.purpose.clone();
    let release = match release_from_input(&state, &caller.actor, &facts, body).await {
        Ok(r) => r,
        Err(ReleaseProblem::Rule(field, code, message)) => return invalid(field, code, &message),
        Err(ReleaseProblem::Failed(e)) => return e.into_response(),
    };
    let audit = caller
        .audit(AuditAction::ConsentRecorded, rid)
        .on("case", facts.id);
    match state.store.add_consent(&release, &audit).await {
        Ok(()) => (
            StatusCode::CREATED,
            Json(consent_body(
                &release,
                haven_domain::consent::purpose_text(&purpose).unwrap_or_default(),
            )),
        )
            .into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// Why a release as entered cannot be recorded.
pub(crate) enum ReleaseProblem {
    /// A broken rule: the field, a stable code, a message citing the rule.
    Rule(&'static str, &'static str, String),
    Failed(AppError),
}

/// A release as entered (API or page), checked against R-4, R-5 and R-6.
pub(crate) async fn release_from_input(
    state: &AppState,
    actor: &haven_domain::policy::Actor,
    facts: &haven_domain::access::CaseFacts,
    b: NewConsent,
) -> Result<haven_domain::consent::Consent, ReleaseProblem> {
    use haven_domain::consent::{
        self, Consent, ConsentContext, ConsentError, FieldGroup, Party, Recipient, Signer,
    };
    let rule = |f: &'static str, c: &'static str, m: &str| ReleaseProblem::Rule(f, c, m.to_owned());
    let mut parties = Vec::new();
    for p in &b.parties {
        let signer = match p.signer.as_str() {
            "victim" => Signer::Victim,
            "parent_or_guardian" => Signer::ParentOrGuardian,
            "court_guardian" => Signer::CourtGuardian,
            _ => {
                return Err(rule(
                    "parties",
                    "unknown_signer",
                    "A signer is victim, parent_or_guardian or court_guardian.",
                ));
            }
        };
        parties.push(Party {
            signer,
            recorded_as_abuser: p.recorded_as_abuser,
        });
    }
    let recipient = match (b.recipient_organization_id, b.recipient_role.as_deref()) {
        (Some(o), None) => Recipient::Organization(OrganizationId::from_uuid(o)),
        (None, Some(r)) => match Role::parse(r) {
            Some(role) => Recipient::Role(role),
            None => {
                return Err(rule(
                    "recipient_role",
                    "unknown_role",
                    "The recipient role must be one of Haven's role names.",
                ));
            }
        },
        _ => {
            return Err(rule(
                "recipient",
                "one_recipient",
                "Name exactly one recipient: an organization or a role (R-6).",
            ));
        }
    };
    match haven_domain::access::may_name_recipient(actor, recipient) {
        Ok(()) => {}
        Err(haven_domain::access::RecipientDeny::OwnOrganization) => {
            return Err(rule(
                "recipient_organization_id",
                "own_organization",
                "A release names someone else: your organization holds the case already (R-4).",
            ));
        }
        Err(haven_domain::access::RecipientDeny::OwnRole) => {
            return Err(rule(
                "recipient_role",
                "own_role",
                "A release cannot name a role you hold: it would release the record to you (R-4).",
            ));
        }
    }
    if let Recipient::Organization(o) = recipient {
        match state.store.organization(o).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(rule(
                    "recipient_organization_id",
                    "unknown_organization",
                    "No organization has this id.",
                ));
            }
            Err(e) => return Err(ReleaseProblem::Failed(e.into())),
        }
    }
    let mut fields = Vec::new();
    for f in &b.fields {
        match FieldGroup::parse(f) {
            Some(g) => fields.push(g),
            None => {
                return Err(rule(
                    "fields",
                    "unknown_field_group",
                    "Field groups are identity, contact, location, immigration, health, advocate_records and case_history.",
                ));
            }
        }
    }
    if b.purpose.contains('\0') || b.purpose.chars().count() > 500 {
        return Err(rule(
            "purpose",
            "bad_text",
            "The purpose is plain text of at most 500 characters.",
        ));
    }
    let purpose = match consent::purpose_text(&b.purpose) {
        Ok(p) => p,
        Err(e) => return Err(ReleaseProblem::Rule("purpose", "no_purpose", e.to_string())),
    };
    let date = time::macros::format_description!("[year]-[month]-[day]");
    let Ok(signed_on) = time::Date::parse(b.signed_on.trim(), date) else {
        return Err(rule("signed_on", "date_format", "Dates are YYYY-MM-DD."));
    };
    let Ok(expires_on) = time::Date::parse(b.expires_on.trim(), date) else {
        return Err(rule(
            "expires_on",
            "date_format",
            "Every release needs an expiry date, YYYY-MM-DD (R-6).",
        ));
    };
    let id = haven_domain::ConsentId::new();
    let purpose = state
        .keyring
        .encrypt(
            purpose.as_bytes(),
            haven_crypto::Binding {
                table: "consents",
                column: "purpose",
                row: &id.to_string(),
            },
        )
        .map_err(|e| ReleaseProblem::Failed(AppError::Internal(e.to_string())))?;
    let release = Consent {
        id,
        case: facts.id,
        parties,
        recipient,
        purpose,
        fields,
        signed_on,
        expires_on,
        revoked_at: None,
        witnessed_by: Some(actor.user),
    };
    let ctx = ConsentContext {
        unemancipated_minor: b.unemancipated_minor,
        minor_may_consent_alone: b.minor_may_consent_alone,
        legal_incapacity: b.legal_incapacity,
    };
    if let Err(e) = consent::validate(&release, ctx, haven_domain::now().date()) {
        let (field, code) = match e {
            ConsentError::NoPurpose => ("purpose", "no_purpose"),
            ConsentError::NoFields => ("fields", "no_fields"),
            ConsentError::ExpiryNotAfterSigning => ("expires_on", "expiry_not_after_signing"),
            ConsentError::AbuserCannotConsent => ("parties", "abuser_cannot_consent"),
            ConsentError::MinorNeedsBoth => ("parties", "minor_needs_guardian"),
            ConsentError::GuardianRequired => ("parties", "court_guardian_required"),
            ConsentError::VictimMustSign => ("parties", "victim_must_sign"),
            ConsentError::AdvocateRecordsToRole => ("fields", "advocate_records_to_role"),
            ConsentError::SignedInFuture => ("signed_on", "signed_in_future"),
            ConsentError::TermTooLong => ("expires_on", "term_too_long"),
        };
        return Err(ReleaseProblem::Rule(field, code, e.to_string()));
    }
    Ok(release)
}

/// The releases of information recorded for a case.
#[utoipa::path(get, path = "/api/v1/cases/{id}/consents", tag = "cases",
    params(("id" = uuid::Uuid, Path, description = "The case's id")),
    responses((status = 200, body = [ConsentBody]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_consents(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Path(id): Path<String>,
) -> Response {
    let facts = match consent_case(&state, &caller, &id, rid.clone(), false).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    // Releases are case data: the read is durable before they are sent.
    let read = caller
        .audit(AuditAction::RecordViewed, rid)
        .on("case", facts.id);
    if let Err(e) = state.audit_writer.record(read).await {
        return e.into_response();
    }
    let list = match state.store.consents_for_case(facts.id).await {
        Ok(list) => list,
        Err(e) => return AppError::from(e).into_response(),
    };
    let mut out = Vec::with_capacity(list.len());
    for c in &list {
        match consent_purpose(&state, c).await {
            Ok(p) => out.push(consent_body(c, p)),
            Err(e) => return e.into_response(),
        }
    }
    Json(out).into_response()
}

/// Revokes a release at once: every read path stops honoring it immediately.
#[utoipa::path(delete, path = "/api/v1/cases/{id}/consents/{consent_id}", tag = "cases",
    params(("id" = uuid::Uuid, Path, description = "The case's id"), ("consent_id" = uuid::Uuid, Path, description = "The release's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_consent(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Path((id, consent_id)): Path<(String, String)>,
) -> Response {
    let facts = match consent_case(&state, &caller, &id, rid.clone(), true).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let Ok(cid) = consent_id.parse::<haven_domain::ConsentId>() else {
        return AppError::NotFound.into_response();
    };
    match state.store.consents_for_case(facts.id).await {
        Ok(list) if list.iter().any(|c| c.id == cid) => {}
        Ok(_) => return AppError::NotFound.into_response(),
        Err(e) => return AppError::from(e).into_response(),
    }
    let audit = caller
        .audit(AuditAction::ConsentRevoked, rid)
        .on("case", facts.id);
    match state
        .store
        .revoke_consent(cid, haven_domain::now(), &audit)
        .await
    {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct AccessChange {
    /// The complete new set of roles; omit to keep them.
    #[schema(value_type = Option<Vec<RoleName>>)]
    pub roles: Option<Vec<String>>,
    /// Disable (true) or enable (false) the account; omit to keep it.
    pub disabled: Option<bool>,
}

/// Changes an account's roles or disables it (administrators, not on their own account; scope `admin:write`).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "administration", request_body = AccessChange,
    params(("id" = uuid::Uuid, Path, description = "The account's id")),
    responses((status = 200, body = UserBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_user(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Path(id): Path<String>,
    JsonObject(body): JsonObject<AccessChange>,
) -> Response {
    let user = match target(&state, &caller, &id, Action::UpdateAccess, rid.clone()).await {
        Ok(u) => u,
        Err(res) => return res,
    };
    let change = body;
    let roles = match change.roles {
        None => user.roles.clone(),
        Some(raw) => {
            let mut parsed: Vec<Role> = raw.iter().filter_map(|r| Role::parse(r)).collect();
            let all_known = parsed.len() == raw.len();
            parsed.sort_unstable();
            parsed.dedup();
            if !all_known {
                return invalid(
                    "roles",
                    "unknown_role",
                    "Every role must be one of Haven's role names, e.g. victim_specialist.",
                );
            }
            parsed
        }
    };
    let disabled = change.disabled.unwrap_or(user.disabled);
    let audit = caller
        .audit(AuditAction::UserAccessChanged, rid)
        .on("user", user.id);
    if let Err(e) = state
        .store
        .update_user_access(user.id, &roles, disabled, &audit)
        .await
    {
        return AppError::from(e).into_response();
    }
    match (
        state.store.user(user.id).await,
        state.store.mfa(user.id).await,
    ) {
        (Ok(Some(u)), Ok(m)) => {
            Json(user_body(u, m.is_some_and(|m| m.enabled_at.is_some()))).into_response()
        }
        (Err(e), _) | (_, Err(e)) => AppError::from(e).into_response(),
        (Ok(None), _) => AppError::NotFound.into_response(),
    }
}

fn invalid(field: &'static str, code: &'static str, message: &str) -> Response {
    AppError::Invalid {
        code,
        field: Some(field),
        message: message.to_owned(),
    }
    .into_response()
}

fn bad_json(e: &axum::extract::rejection::JsonRejection) -> Response {
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

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token made on the Account > API tokens page."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "sms_provider",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The SMS provider's token (sms_inbound_token_file), for its reply webhook only."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Haven API", description = "Victim-centered case management and referrals. Every call is authorized by one policy and audited."),
    paths(me, list_organizations, create_organization, list_users, create_user, get_user, update_user, reset_mfa, end_sessions,
        create_consent, list_consents, revoke_consent,
        crate::features::record::api::caseload, crate::features::record::api::create_case, crate::features::record::api::get_case,
        crate::features::record::api::add_entry, crate::features::record::api::update_entry, crate::features::record::api::change_stage,
        crate::features::record::api::set_cooperation, crate::features::record::api::hhs_notified, crate::features::record::api::change_team,
        crate::features::record::api::upload_attachment, crate::features::record::api::download_attachment,
        crate::features::record::api::list_funds, crate::features::record::api::create_fund, crate::features::record::api::spending,
        crate::features::record::api::case_fund_requests, crate::features::record::api::request_funds, crate::features::record::api::pending_requests,
        crate::features::record::api::decide, crate::features::record::api::disburse,
        crate::features::record::api::create_draft, crate::features::record::api::put_draft, crate::features::record::api::get_draft,
        crate::features::relief::api::get_relief, crate::features::relief::api::put_facts, crate::features::relief::api::evaluate, crate::features::relief::api::deadlines,
        crate::features::relief::api::create_document, crate::features::relief::api::get_document, crate::features::relief::api::put_document,
        crate::features::relief::api::sign, crate::features::relief::api::withdraw, crate::features::relief::api::notifications, crate::features::relief::api::read,
        crate::features::directory::api::search, crate::features::directory::api::get_service, crate::features::directory::api::import, crate::features::directory::api::link,
        crate::features::directory::api::capacity, crate::features::directory::api::send, crate::features::directory::api::case_referrals, crate::features::directory::api::withdraw,
        crate::features::directory::api::incoming, crate::features::directory::api::incoming_one, crate::features::directory::api::respond, crate::features::directory::api::stats,
        crate::features::directory::api::hotlines, crate::features::directory::api::add_hotline, crate::features::directory::api::put_hotline, crate::features::directory::api::delete_hotline,
        crate::features::directory::api::hsds_root, crate::features::directory::api::hsds_services, crate::features::directory::api::hsds_service,
        crate::features::directory::api::hsds_organizations, crate::features::directory::api::hsds_organization,
        crate::features::directory::api::hsds_service_at_locations, crate::features::directory::api::hsds_taxonomy_terms,
        crate::features::interviews::api::queue, crate::features::interviews::api::case_interviews, crate::features::interviews::api::request,
        crate::features::interviews::api::observe, crate::features::interviews::api::get_interview, crate::features::interviews::api::schedule,
        crate::features::interviews::api::cancel, crate::features::interviews::api::record, crate::features::interviews::api::upload,
        crate::features::interviews::api::download, crate::features::interviews::api::transfer, crate::features::interviews::api::verify,
        crate::features::interviews::api::case_notices, crate::features::interviews::api::notify, crate::features::interviews::api::stop,
        crate::features::interviews::api::resume, crate::features::interviews::api::get_settings, crate::features::interviews::api::put_settings,
        crate::features::interviews::api::templates, crate::features::interviews::api::put_template, crate::features::interviews::api::delete_template,
        crate::features::interviews::api::inbound_sms),
    components(schemas(ErrorBody, crate::web::error::FieldError, MeBody, OrganizationBody, UserBody, NewOrganization, NewUserBody, RoleName, AccessChange, NewConsent, PartyBody, ConsentBody,
        crate::features::record::api::CaseBody, crate::features::record::api::EntryBody, crate::features::record::api::AttachmentBody, crate::features::record::api::CaseloadBody,
        crate::features::record::api::CaseloadLine, crate::features::record::api::Created, crate::features::record::api::PossibleDuplicates,
        crate::features::record::IntakeInput, crate::features::record::ScreeningAnswer, crate::features::record::EntryInput, crate::features::record::EntryPatch,
        crate::features::record::api::StageChange, crate::features::record::api::CooperationBody, crate::features::record::api::TeamChange,
        crate::features::record::api::FundBody, crate::features::record::api::NewFund, crate::features::record::api::SpendingBody, crate::features::record::api::FundRequestBody,
        crate::features::funds::FundRequestInput, crate::features::record::api::Decision, crate::features::record::api::Disbursement, crate::features::record::api::DraftBody,
        crate::features::relief::api::ReliefBody, crate::features::relief::api::DocumentSummary, crate::features::relief::api::DeadlineLine, crate::features::relief::api::NewDocument,
        crate::features::relief::api::CreatedDocument, crate::features::relief::api::DocumentBody, crate::features::relief::api::Signed, crate::features::relief::api::Withdrawal,
        crate::features::relief::api::NotificationBody,
        crate::features::directory::SearchResult, crate::features::directory::Hit, crate::features::directory::ImportReport, crate::features::directory::HotlineInput,
        crate::features::directory::api::Link, crate::features::directory::api::CapacityBody, crate::features::directory::api::CreatedReferral,
        crate::features::directory::api::StatsBody, crate::features::directory::api::HotlineBody, crate::features::directory::api::Page,
        crate::features::referrals::SendInput, crate::features::referrals::CaseReferral, crate::features::referrals::EventView, crate::features::referrals::Incoming,
        crate::features::referrals::PersonalDetails, crate::features::referrals::Response,
        crate::features::interviews::api::CaseInterviews, crate::features::interviews::api::RecordBody, crate::features::interviews::api::TransferBody,
        crate::features::interviews::api::Verification, crate::features::interviews::api::CaseNotices, crate::features::interviews::api::NotificationSettings,
        crate::features::interviews::api::TemplateBody, crate::features::interviews::api::InboundSms, crate::features::interviews::api::InboundResult,
        crate::features::interviews::RequestInput, crate::features::interviews::RequestDetails, crate::features::interviews::ScheduleInput,
        crate::features::interviews::ScheduleDetails, crate::features::interviews::EarlierInterview, crate::features::interviews::InterviewView,
        crate::features::interviews::FileView, crate::features::interviews::CustodyView, crate::features::interviews::InterviewLine, crate::features::interviews::Scheduled,
        crate::features::notices::NoticeInput, crate::features::notices::NoticeQueued, crate::features::notices::NoticeView, crate::features::notices::ChannelState,
        crate::features::notices::TemplateView)),
    modifiers(&Security),
    security(("token" = [])),
    tags((name = "account"), (name = "administration"), (name = "cases"), (name = "funds"), (name = "relief"),
        (name = "directory"), (name = "referrals"),
        (name = "interviews", description = "Forensic interviews: requests, scheduling, the record, files and their chain of custody"),
        (name = "notices", description = "Notices to victims through their safe channel (R-2), opt-outs, staff notification settings, templates"), (name = "hsds", description = "Open Referral HSDS 3.0 read API for partners (API token with directory:read)"))
)]
pub struct ApiDoc;

/// The OpenAPI document.
pub async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

/// The API routes.
pub fn routes(upload_limit: usize) -> Router<AppState> {
    use axum::routing::{delete, get, post};
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/me", get(me))
        .route(
            "/api/v1/organizations",
            get(list_organizations).post(create_organization),
        )
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", get(get_user).patch(update_user))
        .route("/api/v1/users/{id}/mfa-reset", post(reset_mfa))
        .route("/api/v1/users/{id}/sessions", delete(end_sessions))
        .route(
            "/api/v1/cases/{id}/consents",
            get(list_consents).post(create_consent),
        )
        .route(
            "/api/v1/cases/{id}/consents/{consent_id}",
            delete(revoke_consent),
        )
        .merge(crate::features::record::api::routes(upload_limit))
        .merge(crate::features::relief::api::routes())
        .merge(crate::features::interviews::api::routes())
        .merge(crate::features::directory::api::routes(upload_limit))
}
