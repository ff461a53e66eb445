//! A person's API tokens: make (shown once), list, revoke.

use crate::AppState;
use crate::web::api::{TOKEN_PREFIX, token_hash};
use crate::web::i18n::Lang;
use crate::web::pages::CsrfForm;
use crate::web::pages::Id;
use crate::web::pages::{PageError, check_csrf};
use crate::web::pages::{PageFrame, error_page, render, see_other};
use crate::web::session::{Authenticated, ReqId, SignedIn, random_bytes};
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use haven_domain::policy::Scope;
use haven_domain::{ApiTokenId, AuditAction, AuditEntry};
use haven_store::ApiToken;

/// How long a token may live; every token expires.
pub const DAY_CHOICES: [i64; 4] = [7, 30, 90, 365];

pub struct TokenRow {
    id: ApiTokenId,
    name: String,
    scopes: String,
    expires: String,
    used: String,
    status: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "account/tokens.html")]
struct TokensPage {
    page: PageFrame,
    rows: Vec<TokenRow>,
    csrf: String,
    new_token: Option<String>,
    errors: Vec<(&'static str, String)>,
    scope_choices: Vec<(usize, &'static str, String)>,
    day_choices: Vec<(i64, String)>,
}

fn scope_label(lang: Lang, s: Scope) -> String {
    lang.t(&format!("scope-{}", s.as_str().replace(':', "-")))
}

async fn page(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    new_token: Option<String>,
    errors: Vec<(&'static str, String)>,
    status: StatusCode,
) -> Response {
    let tokens = match state.store.api_tokens_of(me.user.id).await {
        Ok(t) => t,
        Err(e) => return error_page(state, lang, &e.into()),
    };
    let now = haven_domain::now();
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    let rows = tokens
        .into_iter()
        .map(|t| {
            let (status, active) = match (t.revoked_at, t.expires_at <= now) {
                (Some(_), _) => ("tokens-status-revoked", false),
                (None, true) => ("tokens-status-expired", false),
                (None, false) => ("tokens-status-active", true),
            };
            TokenRow {
                id: t.id,
                name: t.name,
                scopes: t
                    .scopes
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                expires: t.expires_at.format(fmt).unwrap_or_default(),
                used: t.last_used_at.map_or_else(
                    || lang.t("tokens-never"),
                    |u| u.format(fmt).unwrap_or_default(),
                ),
                status: lang.t(status),
                active,
            }
        })
        .collect();
    let page = TokensPage {
        page: PageFrame::new(state, lang, "/account/tokens", Some(me)),
        rows,
        csrf: me.csrf_token(),
        new_token,
        errors,
        scope_choices: Scope::ALL
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.as_str(), scope_label(lang, *s)))
            .collect(),
        day_choices: DAY_CHOICES
            .iter()
            .map(|d| (*d, lang.t1("tokens-days", "count", &d.to_string())))
            .collect(),
    };
    render(&page, status)
}

/// A new API token for `user`: the record to store (its hash only) and the
/// secret to show once. The page and `haven token create` both make them.
#[must_use]
pub fn mint(
    user: haven_domain::UserId,
    name: String,
    scopes: Vec<Scope>,
    expires_at: time::OffsetDateTime,
) -> (ApiToken, String) {
    let secret = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes())
    );
    let token = ApiToken {
        id: ApiTokenId::new(),
        token_hash: token_hash(&secret),
        user_id: user,
        name,
        scopes,
        created_at: haven_domain::now(),
        expires_at,
        revoked_at: None,
        last_used_at: None,
    };
    (token, secret)
}

pub async fn list(State(state): State<AppState>, lang: Lang, SignedIn(me): SignedIn) -> Response {
    page(&state, lang, &me, None, Vec::new(), StatusCode::OK).await
}

pub async fn create(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map_or("", |(_, v)| v.as_str())
    };
    check_csrf(&me, get("csrf"))?;
    let name = get("name").trim().to_owned();
    let raw_scopes: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "scopes")
        .map(|(_, v)| v.as_str())
        .collect();
    let scopes: Vec<Scope> = raw_scopes.iter().filter_map(|s| Scope::parse(s)).collect();
    let days = get("days")
        .parse::<i64>()
        .ok()
        .filter(|d| DAY_CHOICES.contains(d))
        .unwrap_or(30);
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(("name", lang.t("tokens-error-name")));
    }
    if scopes.is_empty() || scopes.len() != raw_scopes.len() {
        errors.push(("scopes", lang.t("tokens-error-scopes")));
    }
    if !errors.is_empty() {
        return Ok(page(
            &state,
            lang,
            &me,
            None,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await);
    }
    let (token, secret) = mint(
        me.user.id,
        name,
        scopes,
        haven_domain::now() + time::Duration::days(days),
    );
    let audit = AuditEntry::new(AuditAction::ApiTokenCreated)
        .by(me.user.id, me.user.organization_id)
        .on("api_token", token.id)
        .request(rid);
    if let Err(e) = state.store.create_api_token(&token, &audit).await {
        return Err(PageError::from(e));
    }
    Ok(page(
        &state,
        lang,
        &me,
        Some(secret),
        Vec::new(),
        StatusCode::CREATED,
    )
    .await)
}

pub async fn revoke(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Id(id): Id<ApiTokenId>,
    CsrfForm { me, .. }: CsrfForm,
) -> Result<Response, PageError> {
    let audit = AuditEntry::new(AuditAction::ApiTokenRevoked)
        .by(me.user.id, me.user.organization_id)
        .on("api_token", id)
        .request(rid);
    Ok(
        match state
            .store
            .revoke_api_token(id, me.user.id, haven_domain::now(), &audit)
            .await
        {
            Ok(true) => see_other("/account/tokens"),
            // Someone else's token, or none: the same answer.
            Ok(false) => error_page(&state, lang, &crate::web::error::AppError::NotFound),
            Err(e) => error_page(&state, lang, &e.into()),
        },
    )
}
