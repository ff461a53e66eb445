//! Administration pages: people (staff accounts), organizations, second-factor
//! resets and "sign out everywhere". Every decision goes through
//! `haven_domain::policy`; a refusal looks exactly like "not found".

use crate::AppState;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::CsrfForm;
use crate::web::pages::Id;
use crate::web::pages::history;
use crate::web::pages::{PageError, check_csrf};
use crate::web::pages::{PageFrame, error_page, render, see_other};
use crate::web::session::{Authenticated, ReqId, SignedIn};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::Response;
use haven_domain::policy::{self, Action, Actor, Resource};
use haven_domain::{
    AuditAction, AuditEntry, LoginName, OrgKind, Organization, OrganizationId, Role, User, UserId,
};
use serde::Deserialize;

/// Refuses as "not found", and audits the refusal.
async fn refuse(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    what: &'static str,
    id: Option<String>,
    request_id: Option<String>,
) -> Response {
    let mut audit = AuditEntry::new(AuditAction::AccessDenied)
        .by(me.user.id, me.user.organization_id)
        .request(request_id);
    audit.resource_kind = Some(what);
    audit.resource_id = id;
    if let Err(e) = state.store.append_audit(&[audit]).await {
        return error_page(state, lang, &e.into());
    }
    error_page(state, lang, &AppError::NotFound)
}

/// Parses a urlencoded body into pairs (repeated keys allowed, for checkboxes).
fn pairs(body: &Bytes) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

fn role_names(lang: Lang, roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| lang.t(&format!("role-{}", r.as_str())))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A new account as typed, before validation.
pub struct NewUserInput {
    pub name: String,
    pub login: String,
    pub password: String,
    pub roles: Vec<String>,
}

/// A new account that passed validation.
pub struct NewUser {
    pub name: String,
    pub login: LoginName,
    pub password: String,
    pub roles: Vec<Role>,
}

/// One broken rule: the field, a stable code, and the message to show.
pub struct Problem {
    pub field: &'static str,
    /// A stable code for the API.
    pub code: &'static str,
    pub message_key: &'static str,
}

/// The rules for a new account, shared by the page and the API.
///
/// # Errors
/// Every broken rule, in form order.
pub fn validate_new_user(raw: NewUserInput) -> Result<NewUser, Vec<Problem>> {
    let mut problems = Vec::new();
    let name = raw.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        problems.push(Problem {
            field: "name",
            code: "length",
            message_key: "admin-error-name",
        });
    }
    let login = LoginName::parse(&raw.login);
    if login.is_err() {
        problems.push(Problem {
            field: "login",
            code: "login_format",
            message_key: "admin-error-login",
        });
    }
    if raw.password.chars().count() < 12 {
        problems.push(Problem {
            field: "password",
            code: "too_short",
            message_key: "admin-error-password",
        });
    }
    let mut roles: Vec<Role> = raw.roles.iter().filter_map(|r| Role::parse(r)).collect();
    let all_known = roles.len() == raw.roles.len();
    roles.sort_unstable();
    roles.dedup();
    if roles.is_empty() || !all_known {
        problems.push(Problem {
            field: "roles",
            code: "unknown_or_missing_role",
            message_key: "admin-error-roles",
        });
    }
    match login {
        Ok(login) if problems.is_empty() => Ok(NewUser {
            name,
            login,
            password: raw.password,
            roles,
        }),
        _ => Err(problems),
    }
}

pub struct UserRow {
    id: UserId,
    name: String,
    login: String,
    roles: String,
    mfa: String,
}

/// What was typed into the add-person form, to show it again with errors.
#[derive(Default)]
pub struct UserForm {
    name: String,
    login: String,
    roles: Vec<String>,
    invalid: Vec<&'static str>,
}

impl UserForm {
    #[must_use]
    pub fn invalid(&self, field: &str) -> bool {
        self.invalid.contains(&field)
    }
    #[must_use]
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

#[derive(Template)]
#[template(path = "admin/access.html")]
struct AccessPage {
    page: PageFrame,
    title: String,
    /// Name and roles of everyone who may see personal data.
    holders: Vec<(String, String)>,
    /// When, who, which role, granted by.
    grants: Vec<(String, String, String, String)>,
}

/// Who in the organization can see personal data, and how they came to: for
/// its administrators and supervisors (issue 22: granting such a role never
/// goes unseen).
pub async fn access(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
) -> Result<Response, PageError> {
    let actor = Actor::of(&me.user);
    if !policy::authorize(
        &actor,
        Action::ViewGrants,
        Resource::UsersOf(actor.organization),
    )
    .is_allowed()
    {
        return Ok(refuse(&state, lang, &me, "users", None, rid).await);
    }
    let r: Result<Response, AppError> = async {
        let people = state
            .store
            .list_users(policy::UserScope::Organization(actor.organization))
            .await?;
        let name_of = |id: UserId| {
            people.iter().find(|(u, _)| u.id == id).map_or_else(
                || lang.t("history-someone-else"),
                |(u, _)| u.display_name.clone(),
            )
        };
        let holders = people
            .iter()
            .filter(|(u, _)| !u.disabled && u.roles.iter().any(|r| r.sees_personal_data()))
            .map(|(u, _)| (u.display_name.clone(), role_names(lang, &u.roles)))
            .collect();
        let grants = state
            .store
            .role_grants(actor.organization, 100)
            .await?
            .into_iter()
            .map(|g| {
                (
                    crate::web::pages::when(g.granted_at),
                    name_of(g.user),
                    lang.t(&format!("role-{}", g.role.as_str())),
                    g.granted_by
                        .map_or_else(|| lang.t("access-granted-cli"), name_of),
                )
            })
            .collect();
        Ok(render(
            &AccessPage {
                page: PageFrame::new(&state, lang, "/access", Some(&me)),
                title: lang.t1("access-title", "org", &me.organization.name),
                holders,
                grants,
            },
            StatusCode::OK,
        ))
    }
    .await;
    Ok(r.unwrap_or_else(|e| error_page(&state, lang, &e)))
}

#[derive(Template)]
#[template(path = "admin/admin_users.html")]
struct UsersPage {
    page: PageFrame,
    title: String,
    rows: Vec<UserRow>,
    can_create: bool,
    csrf: String,
    form: UserForm,
    errors: Vec<(&'static str, String)>,
    role_choices: Vec<crate::web::form::Opt>,
}

async fn users_page(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    form: UserForm,
    errors: Vec<(&'static str, String)>,
    status: StatusCode,
) -> Response {
    let actor = Actor::of(&me.user);
    let listed = match state.store.list_users(policy::user_scope(&actor)).await {
        Ok(l) => l,
        Err(e) => return error_page(state, lang, &e.into()),
    };
    let rows = listed
        .into_iter()
        .map(|(u, mfa)| UserRow {
            id: u.id,
            name: u.display_name,
            login: u.login.as_str().to_owned(),
            roles: role_names(lang, &u.roles),
            mfa: lang.t(if mfa { "admin-mfa-on" } else { "admin-mfa-off" }),
        })
        .collect();
    let page = UsersPage {
        page: PageFrame::new(state, lang, "/admin/users", Some(me)),
        title: lang.t1("admin-users-title", "org", &me.organization.name),
        rows,
        can_create: policy::authorize(
            &actor,
            Action::Create,
            Resource::UsersOf(actor.organization),
        )
        .is_allowed(),
        csrf: me.csrf_token(),
        role_choices: Role::ALL
            .iter()
            .map(|r| crate::web::form::Opt {
                value: r.as_str().to_owned(),
                label: lang.t(&format!("role-{}", r.as_str())),
                selected: form.has_role(r.as_str()),
            })
            .collect(),
        form,
        errors,
    };
    render(&page, status)
}

pub async fn users(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
) -> Result<Response, PageError> {
    let actor = Actor::of(&me.user);
    if !policy::authorize(&actor, Action::View, Resource::UsersOf(actor.organization)).is_allowed()
    {
        return Ok(refuse(&state, lang, &me, "users", None, rid).await);
    }
    Ok(users_page(
        &state,
        lang,
        &me,
        UserForm::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await)
}

pub async fn create_user(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = pairs(&body);
    check_csrf(&me, field(&form, "csrf"))?;
    let actor = Actor::of(&me.user);
    if !policy::authorize(
        &actor,
        Action::Create,
        Resource::UsersOf(actor.organization),
    )
    .is_allowed()
    {
        return Ok(refuse(&state, lang, &me, "users", None, rid).await);
    }
    let raw = NewUserInput {
        name: field(&form, "name").to_owned(),
        login: field(&form, "login").to_owned(),
        password: field(&form, "password").to_owned(),
        roles: form
            .iter()
            .filter(|(k, _)| k == "roles")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    let mut typed = UserForm {
        name: raw.name.trim().to_owned(),
        login: raw.login.clone(),
        roles: raw.roles.clone(),
        invalid: Vec::new(),
    };
    let valid = match validate_new_user(raw) {
        Ok(v) => v,
        Err(problems) => {
            typed.invalid = problems.iter().map(|p| p.field).collect();
            let errors = problems
                .iter()
                .map(|p| (p.field, lang.t(p.message_key)))
                .collect();
            return Ok(users_page(
                &state,
                lang,
                &me,
                typed,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await);
        }
    };
    let (name, login, password, roles) = (valid.name, valid.login, valid.password, valid.roles);
    let user = User {
        id: UserId::new(),
        organization_id: me.user.organization_id,
        login,
        display_name: name,
        roles,
        password_hash: state.hasher.hash(password).await,
        disabled: false,
        created_at: haven_domain::now(),
    };
    let audit = AuditEntry::new(AuditAction::UserCreated)
        .by(me.user.id, me.user.organization_id)
        .on("user", user.id)
        .request(rid);
    Ok(match state.store.create_user(&user, &audit).await {
        Ok(()) => see_other(&format!("/admin/users/{}?created=1", user.id)),
        Err(haven_store::StoreError::Conflict { field: "login" }) => {
            typed.invalid.push("login");
            let errors = vec![("login", lang.t("admin-error-login-taken"))];
            users_page(&state, lang, &me, typed, errors, StatusCode::CONFLICT).await
        }
        Err(e) => error_page(&state, lang, &e.into()),
    })
}

#[derive(Template)]
#[template(path = "admin/admin_user.html")]
struct UserPage {
    page: PageFrame,
    id: UserId,
    name: String,
    login: String,
    roles: String,
    mfa: String,
    sessions: String,
    notice: Option<String>,
    can_reset_mfa: bool,
    can_end_sessions: bool,
    csrf: String,
    /// (when, who, what), newest first.
    history: Vec<(String, String, String)>,
    /// (started, last active, stage).
    session_rows: Vec<(String, String, String)>,
    can_update_access: bool,
    own: bool,
    disabled: bool,
    /// (value, label, held now).
    role_choices: Vec<crate::web::form::Opt>,
}

#[derive(Deserialize)]
pub struct UserQuery {
    created: Option<String>,
    done: Option<String>,
}

/// Loads a user the actor may act on, or answers "not found".
async fn target(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    id: UserId,
    action: Action,
    rid: Option<String>,
) -> Result<User, Response> {
    let user = state
        .store
        .user(id)
        .await
        .map_err(|e| error_page(state, lang, &e.into()))?;
    let Some(user) = user else {
        return Err(error_page(state, lang, &AppError::NotFound));
    };
    let resource = Resource::User {
        id: user.id,
        organization: user.organization_id,
    };
    if !policy::authorize(&Actor::of(&me.user), action, resource).is_allowed() {
        return Err(refuse(state, lang, me, "user", Some(user.id.to_string()), rid).await);
    }
    Ok(user)
}

pub async fn user(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Id(id): Id<UserId>,
    Query(q): Query<UserQuery>,
) -> Result<Response, PageError> {
    let user = match target(&state, lang, &me, id, Action::View, rid.clone()).await {
        Ok(u) => u,
        Err(res) => return Ok(res),
    };
    // The read is recorded before anything about the account is shown.
    let read = AuditEntry::new(AuditAction::RecordViewed)
        .by(me.user.id, me.user.organization_id)
        .on("user", user.id)
        .request(rid);
    if let Err(e) = state.audit_writer.record(read).await {
        return Err(e.into());
    }
    let (mfa, sessions) = match (
        state.store.mfa(user.id).await,
        state.store.sessions_of(user.id).await,
    ) {
        (Ok(m), Ok(list)) => (m.is_some_and(|m| m.enabled_at.is_some()), list),
        (Err(e), _) | (_, Err(e)) => return Err(PageError::from(AppError::from(e))),
    };
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    let session_rows = sessions
        .iter()
        .map(|s| {
            (
                s.created_at.format(fmt).unwrap_or_default(),
                s.last_seen_at.format(fmt).unwrap_or_default(),
                lang.t(&format!("stage-{}", s.stage.as_str())),
            )
        })
        .collect();
    let actor = Actor::of(&me.user);
    let resource = Resource::User {
        id: user.id,
        organization: user.organization_id,
    };
    let notice = match (q.created.is_some(), q.done.as_deref()) {
        (true, _) => Some(lang.t("admin-user-created")),
        (_, Some("mfa")) => Some(lang.t("admin-mfa-reset-done")),
        (_, Some("sessions")) => Some(lang.t("admin-sessions-ended")),
        (_, Some("access")) => Some(lang.t("admin-access-saved")),
        _ => None,
    };
    let history = if policy::authorize(&actor, Action::ViewHistory, resource).is_allowed() {
        match history(&state, lang, &actor, "user", &user.id.to_string()).await {
            Ok(h) => h,
            Err(e) => return Err(PageError::from(e)),
        }
    } else {
        Vec::new()
    };
    let page = UserPage {
        page: PageFrame::new(&state, lang, "/admin/users/", Some(&me)),
        history,
        id: user.id,
        name: user.display_name.clone(),
        login: user.login.as_str().to_owned(),
        roles: role_names(lang, &user.roles),
        mfa: lang.t(if mfa { "admin-mfa-on" } else { "admin-mfa-off" }),
        sessions: lang.t1("admin-sessions", "count", &sessions.len().to_string()),
        session_rows,
        can_update_access: policy::authorize(&actor, Action::UpdateAccess, resource).is_allowed(),
        own: user.id == me.user.id,
        disabled: user.disabled,
        role_choices: Role::ALL
            .iter()
            .map(|r| crate::web::form::Opt {
                value: r.as_str().to_owned(),
                label: lang.t(&format!("role-{}", r.as_str())),
                selected: user.roles.contains(r),
            })
            .collect(),
        notice,
        can_reset_mfa: mfa && policy::authorize(&actor, Action::ResetMfa, resource).is_allowed(),
        can_end_sessions: policy::authorize(&actor, Action::EndSessions, resource).is_allowed(),
        csrf: me.csrf_token(),
    };
    Ok(render(&page, StatusCode::OK))
}

pub async fn reset_mfa(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Id(id): Id<UserId>,
    CsrfForm { me, .. }: CsrfForm,
) -> Result<Response, PageError> {
    let user = match target(&state, lang, &me, id, Action::ResetMfa, rid.clone()).await {
        Ok(u) => u,
        Err(res) => return Ok(res),
    };
    let by = |a| {
        AuditEntry::new(a)
            .by(me.user.id, me.user.organization_id)
            .on("user", user.id)
            .request(rid.clone())
    };
    // A lost phone may be in someone else's hands: end every session too.
    if let Err(e) = state
        .store
        .reset_mfa(user.id, &by(AuditAction::MfaReset))
        .await
    {
        return Err(PageError::from(AppError::from(e)));
    }
    if let Err(e) = state
        .store
        .delete_sessions_for_user(user.id, Some(&by(AuditAction::SessionsEnded)))
        .await
    {
        return Err(PageError::from(AppError::from(e)));
    }
    Ok(see_other(&format!("/admin/users/{}?done=mfa", user.id)))
}

pub async fn end_sessions(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Id(id): Id<UserId>,
    CsrfForm { me, .. }: CsrfForm,
) -> Result<Response, PageError> {
    let user = match target(&state, lang, &me, id, Action::EndSessions, rid.clone()).await {
        Ok(u) => u,
        Err(res) => return Ok(res),
    };
    let audit = AuditEntry::new(AuditAction::SessionsEnded)
        .by(me.user.id, me.user.organization_id)
        .on("user", user.id)
        .request(rid);
    if let Err(e) = state
        .store
        .delete_sessions_for_user(user.id, Some(&audit))
        .await
    {
        return Err(PageError::from(AppError::from(e)));
    }
    if user.id == me.user.id {
        let mut res = see_other("/sign-in");
        res.headers_mut()
            .append(SET_COOKIE, state.settings.session.clearing_cookie());
        return Ok(res);
    }
    Ok(see_other(&format!(
        "/admin/users/{}?done=sessions",
        user.id
    )))
}

/// Changes an account's roles and whether it is disabled.
pub async fn update_access(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Id(id): Id<UserId>,
    body: Bytes,
) -> Result<Response, PageError> {
    let form = pairs(&body);
    check_csrf(&me, field(&form, "csrf"))?;
    let user = match target(&state, lang, &me, id, Action::UpdateAccess, rid.clone()).await {
        Ok(u) => u,
        Err(res) => return Ok(res),
    };
    let raw: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "roles")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut roles: Vec<Role> = raw.iter().filter_map(|r| Role::parse(r)).collect();
    let all_known = roles.len() == raw.len();
    roles.sort_unstable();
    roles.dedup();
    if !all_known {
        return Ok(error_page(
            &state,
            lang,
            &AppError::Invalid {
                code: "unknown_role",
                field: Some("roles"),
                message: "unknown role".into(),
            },
        ));
    }
    let disabled = field(&form, "disabled") == "1";
    let audit = AuditEntry::new(AuditAction::UserAccessChanged)
        .by(me.user.id, me.user.organization_id)
        .on("user", user.id)
        .request(rid);
    Ok(
        match state
            .store
            .update_user_access(user.id, &roles, disabled, &audit)
            .await
        {
            Ok(()) => see_other(&format!("/admin/users/{}?done=access", user.id)),
            Err(e) => error_page(&state, lang, &e.into()),
        },
    )
}

/// "Sign out everywhere" for one's own account.
pub async fn sign_out_everywhere(
    state: State<AppState>,
    lang: Lang,
    rid: ReqId,
    form: CsrfForm,
) -> Result<Response, PageError> {
    let id = form.me.user.id;
    end_sessions(state, lang, rid, Id(id), form).await
}

#[derive(Template)]
#[template(path = "admin/admin_orgs.html")]
struct OrgsPage {
    page: PageFrame,
    rows: Vec<(String, String)>,
    can_create: bool,
    csrf: String,
    name: String,
    error: Option<String>,
    kinds: Vec<crate::web::form::Opt>,
}

async fn orgs_page(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    name: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let orgs = match state.store.list_organizations().await {
        Ok(o) => o,
        Err(e) => return error_page(state, lang, &e.into()),
    };
    let page = OrgsPage {
        page: PageFrame::new(state, lang, "/admin/organizations", Some(me)),
        rows: orgs
            .into_iter()
            .map(|o| (o.name, lang.t(&format!("kind-{}", o.kind.as_str()))))
            .collect(),
        can_create: policy::authorize(
            &Actor::of(&me.user),
            Action::Create,
            Resource::Organizations,
        )
        .is_allowed(),
        csrf: me.csrf_token(),
        name,
        error,
        kinds: OrgKind::ALL
            .iter()
            .map(|k| crate::web::form::Opt {
                value: k.as_str().to_owned(),
                label: lang.t(&format!("kind-{}", k.as_str())),
                selected: false,
            })
            .collect(),
    };
    render(&page, status)
}

pub async fn organizations(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
) -> Result<Response, PageError> {
    if !policy::authorize(&Actor::of(&me.user), Action::View, Resource::Organizations).is_allowed()
    {
        return Ok(refuse(&state, lang, &me, "organizations", None, rid).await);
    }
    Ok(orgs_page(&state, lang, &me, String::new(), None, StatusCode::OK).await)
}

#[derive(Deserialize)]
pub struct OrgForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
}

pub async fn create_organization(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    CsrfForm {
        me,
        form: axum::Form(f),
    }: CsrfForm<axum::Form<OrgForm>>,
) -> Result<Response, PageError> {
    if !policy::authorize(
        &Actor::of(&me.user),
        Action::Create,
        Resource::Organizations,
    )
    .is_allowed()
    {
        return Ok(refuse(&state, lang, &me, "organizations", None, rid).await);
    }
    let name = f.name.trim().to_owned();
    let Some(kind) = OrgKind::parse(&f.kind) else {
        return Ok(error_page(
            &state,
            lang,
            &AppError::Invalid {
                code: "unknown_kind",
                field: Some("kind"),
                message: "unknown organization kind".into(),
            },
        ));
    };
    if name.is_empty() || name.chars().count() > 200 {
        return Ok(orgs_page(
            &state,
            lang,
            &me,
            name,
            Some(lang.t("admin-error-org-name")),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await);
    }
    let org = Organization {
        id: OrganizationId::new(),
        name,
        kind,
        created_at: haven_domain::now(),
    };
    let audit = AuditEntry::new(AuditAction::OrganizationCreated)
        .by(me.user.id, me.user.organization_id)
        .on("organization", org.id)
        .request(rid);
    Ok(match state.store.create_organization(&org, &audit).await {
        Ok(()) => {
            state.lists.organizations.forget();
            see_other("/admin/organizations")
        }
        Err(e) => error_page(&state, lang, &e.into()),
    })
}
