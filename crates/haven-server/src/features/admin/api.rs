//! Organizations and staff accounts in the JSON API, and who is calling:
//! the same policy (`policy::authorize`) as the administration pages.

use crate::AppState;
use crate::features::admin::pages::{NewUserInput, validate_new_user};
use crate::web::api::{ApiCaller, JsonObject, invalid, refused};
use crate::web::error::{AppError, ErrorBody};
use crate::web::i18n::Lang;
use crate::web::pages::Id;
use crate::web::session::ReqId;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use haven_domain::policy::{self, Action, Resource};
use haven_domain::{AuditAction, OrgKind, Organization, OrganizationId, Role, User, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

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
    id: UserId,
    action: Action,
    rid: Option<String>,
) -> Result<User, Response> {
    let user = state
        .store
        .user(id)
        .await
        .map_err(|e| AppError::from(e).into_response())?;
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
    Id(id): Id<UserId>,
) -> Response {
    let user = match target(&state, &caller, id, Action::View, rid.clone()).await {
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
    Id(id): Id<UserId>,
) -> Response {
    let user = match target(&state, &caller, id, Action::ResetMfa, rid.clone()).await {
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
    Id(id): Id<UserId>,
) -> Response {
    let user = match target(&state, &caller, id, Action::EndSessions, rid.clone()).await {
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
    Id(id): Id<UserId>,
    JsonObject(body): JsonObject<AccessChange>,
) -> Response {
    let user = match target(&state, &caller, id, Action::UpdateAccess, rid.clone()).await {
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

/// The API routes of administration.
/// This feature's API: each route with its OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(list_organizations, create_organization))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(reset_mfa))
        .routes(routes!(end_sessions))
}
