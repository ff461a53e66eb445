//! Server-rendered pages: sign-in, home, language switch, errors.

use crate::AppState;
use crate::web::error::AppError;
use crate::web::form::FormData;
use crate::web::i18n::{LANG_COOKIE, Lang};
use crate::web::session::{Authenticated, SignedIn};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

/// What every page's frame needs: language, who is signed in, the quick exit.
pub struct PageFrame {
    pub lang: Lang,
    pub languages: [Lang; 2],
    pub path: String,
    pub user: Option<UserBadge>,
    pub demo: bool,
    pub quick_exit_url: String,
}

pub struct UserBadge {
    pub name: String,
    pub csrf: String,
    /// Show the administration links (the pages check the policy themselves).
    pub admin: bool,
    /// Show the funds link.
    pub funds: bool,
    /// Show the relief deadlines link.
    pub deadlines: bool,
    /// Show the incoming referrals link.
    pub referrals: bool,
    /// Show the interview queue link.
    pub interviews: bool,
}

impl PageFrame {
    pub(crate) fn new(
        state: &AppState,
        lang: Lang,
        path: &str,
        user: Option<&Authenticated>,
    ) -> Self {
        Self {
            lang,
            languages: Lang::ALL,
            path: path.to_owned(),
            user: user.map(|a| UserBadge {
                name: a.user.display_name.clone(),
                csrf: a.csrf_token(),
                admin: a.user.has_role(haven_domain::Role::Administrator),
                funds: a.user.has_role(haven_domain::Role::Administrator)
                    || a.user.has_role(haven_domain::Role::Supervisor),
                deadlines: sees_deadlines(a),
                referrals: sees_referrals(a),
                interviews: a.user.has_role(haven_domain::Role::ForensicInterviewer)
                    || (a.user.has_role(haven_domain::Role::Supervisor)
                        && a.user.has_role(haven_domain::Role::CertifyingOfficial)),
            }),
            demo: state.settings.demo,
            quick_exit_url: state.settings.quick_exit_url.clone(),
        }
    }

    #[must_use]
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// A message with one argument.
    #[must_use]
    pub fn t1(&self, key: &str, name: &'static str, value: impl AsRef<str>) -> String {
        self.lang.t1(key, name, value.as_ref())
    }
}

#[derive(Template)]
#[template(path = "web/message.html")]
struct MessagePage {
    page: PageFrame,
    title: String,
    body: String,
}

pub(crate) fn render(t: &impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => AppError::Internal(format!("template: {e}")).into_response(),
    }
}

/// An error shown as a page in the reader's language.
pub fn error_page(state: &AppState, lang: Lang, err: &AppError) -> Response {
    let body = err.body();
    let (title, text) = match err {
        AppError::NotFound => (lang.t("not-found-title"), lang.t("not-found-body")),
        _ => (
            lang.t("error-title"),
            lang.t1(
                "error-body",
                "reference",
                body.reference.as_deref().unwrap_or("-"),
            ),
        ),
    };
    let page = MessagePage {
        page: PageFrame::new(state, lang, "/", None),
        title,
        body: text,
    };
    render(&page, err.status())
}

/// A refused state-changing request (bad or missing CSRF token).
pub fn forbidden(state: &AppState, lang: Lang) -> Response {
    let page = MessagePage {
        page: PageFrame::new(state, lang, "/", None),
        title: lang.t("forbidden-title"),
        body: lang.t("forbidden-body"),
    };
    render(&page, StatusCode::FORBIDDEN)
}

#[derive(Deserialize)]
pub struct LanguageQuery {
    next: Option<String>,
}

/// Switches the language and returns to the page the person was on. Only
/// local paths are followed, so this is not an open redirect.
pub async fn set_language(Path(code): Path<String>, Query(q): Query<LanguageQuery>) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return AppError::Invalid {
            code: "unknown_language",
            field: Some("language"),
            message: "Haven speaks English (en) and Spanish (es).".into(),
        }
        .into_response();
    };
    let next = q
        .next
        .as_deref()
        .and_then(local_path)
        .unwrap_or_else(|| "/".to_owned());
    let mut res = see_other(&next);
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    );
    res.headers_mut().append(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("ASCII cookie"),
    );
    res
}

/// `next` as a path on this site, or `None`. Browsers drop tabs and
/// newlines from URLs and read `\\` as `/`, so `/\t/evil.example` would
/// leave the site: only a path of printable ASCII (no backslash, no
/// control character, no scheme or authority) that starts with exactly one
/// `/` is kept, and it is rebuilt from its parsed form.
pub(crate) fn local_path(next: &str) -> Option<String> {
    let plain = next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if !plain || !next.starts_with('/') || next.starts_with("//") {
        return None;
    }
    let base = url::Url::parse("http://haven.invalid/").ok()?;
    let url = base.join(next).ok()?;
    if url.origin() != base.origin() {
        return None;
    }
    let mut out = url.path().to_owned();
    if let Some(q) = url.query() {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = url.fragment() {
        out.push('#');
        out.push_str(f);
    }
    (out.starts_with('/') && !out.starts_with("//")).then_some(out)
}

/// 404 for everything else: a page for people, JSON under `/api`.
pub async fn not_found(State(state): State<AppState>, lang: Lang, uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return AppError::NotFound.into_response();
    }
    error_page(&state, lang, &AppError::NotFound)
}

/// A moment as shown to staff: "2026-11-28 14:05 UTC".
pub(crate) fn when(t: time::OffsetDateTime) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.format(fmt).unwrap_or_default()
}

pub(crate) fn see_other(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(LOCATION, v);
    }
    res
}

/// The stylesheet and script, embedded in the binary.
pub async fn static_file(Path(name): Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "haven.css" => (
            include_str!("../../static/haven.css"),
            "text/css; charset=utf-8",
        ),
        "haven.js" => (
            include_str!("../../static/haven.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return AppError::NotFound.into_response(),
    };
    (
        [
            (axum::http::header::CONTENT_TYPE, kind),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// Who gets the relief deadlines link: those who work on cases.
#[must_use]
pub fn sees_deadlines(me: &Authenticated) -> bool {
    [
        haven_domain::Role::VictimSpecialist,
        haven_domain::Role::Supervisor,
        haven_domain::Role::LawEnforcementAgent,
        haven_domain::Role::CertifyingOfficial,
        haven_domain::Role::ForensicInterviewer,
    ]
    .iter()
    .any(|r| me.user.has_role(*r))
}

/// Who gets the incoming referrals link: provider staff and supervisors.
#[must_use]
pub fn sees_referrals(me: &Authenticated) -> bool {
    me.user.has_role(haven_domain::Role::ProviderStaff)
        || me.user.has_role(haven_domain::Role::Supervisor)
}

/// The `?done=` query of a page a form redirected back to.
#[derive(serde::Deserialize, Default)]
pub struct Done {
    pub done: Option<String>,
}

/// A record's audit trail (an account, a case), with names for people the viewer may see.
pub(crate) async fn history(
    state: &AppState,
    lang: Lang,
    actor: &haven_domain::policy::Actor,
    kind: &str,
    id: &str,
) -> Result<Vec<(String, String, String)>, AppError> {
    let rows = state.store.audit_for_resource(kind, id, 50).await?;
    let names: std::collections::HashMap<haven_domain::UserId, String> = state
        .store
        .list_users(haven_domain::policy::user_scope(actor))
        .await?
        .into_iter()
        .map(|(u, _)| (u.id, u.display_name))
        .collect();
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    Ok(rows
        .into_iter()
        .map(|r| {
            let who = match r.actor_user {
                None => lang.t("history-haven"),
                Some(id) => names
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| lang.t("history-someone-else")),
            };
            let key = format!("audit-{}", r.action.replace('.', "-"));
            let what = lang.t(&key);
            let what = if what == key { r.action.clone() } else { what };
            (r.at.format(format).unwrap_or_default(), who, what)
        })
        .collect())
}

// ---------------------------------------------------------------- page errors

/// A page handler's failure. Page handlers return `Result<Response,
/// PageError>` and use `?`; the [`page_errors`] layer renders the failure as
/// the error page in the reader's language (API paths keep the JSON body).
#[derive(Debug)]
pub enum PageError {
    App(AppError),
    /// A state-changing form without this session's CSRF token.
    Csrf,
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl From<haven_store::StoreError> for PageError {
    fn from(e: haven_store::StoreError) -> Self {
        Self::App(e.into())
    }
}

/// The failure, carried from the handler to [`page_errors`].
#[derive(Clone)]
struct PageFailure(std::sync::Arc<PageError>);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut res = match &self {
            Self::App(e) => (e.status(), axum::Json(e.body())).into_response(),
            Self::Csrf => StatusCode::FORBIDDEN.into_response(),
        };
        res.extensions_mut()
            .insert(PageFailure(std::sync::Arc::new(self)));
        res
    }
}

/// Renders a [`PageError`] as a page in the reader's language.
pub async fn page_errors(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let lang = Lang::from_headers(req.headers());
    let api = {
        let p = req.uri().path();
        p.starts_with("/api/") || p.starts_with("/hsds")
    };
    let res = next.run(req).await;
    match res.extensions().get::<PageFailure>() {
        Some(PageFailure(e)) if !api => match &**e {
            PageError::App(e) => error_page(&state, lang, e),
            PageError::Csrf => forbidden(&state, lang),
        },
        _ => res,
    }
}

/// Refuses a form whose CSRF token is not this session's.
///
/// # Errors
/// [`PageError::Csrf`].
pub fn check_csrf(me: &Authenticated, submitted: &str) -> Result<(), PageError> {
    if me.csrf_matches(submitted) {
        Ok(())
    } else {
        Err(PageError::Csrf)
    }
}

/// A form from a signed-in person carrying this session's CSRF token: the
/// handler gets the person and the form, or the request is refused as forged
/// (403, the error page) before the handler runs. `T` is [`FormData`] or a
/// typed `axum::Form<X>`.
pub struct CsrfForm<T = FormData> {
    pub me: Authenticated,
    pub form: T,
}

impl<T> axum::extract::FromRequest<AppState> for CsrfForm<T>
where
    T: axum::extract::FromRequest<AppState>,
    T::Rejection: IntoResponse,
{
    type Rejection = Response;

    async fn from_request(
        req: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        use axum::extract::FromRequestParts;
        let (mut parts, body) = req.into_parts();
        let SignedIn(me) = SignedIn::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let content_type = parts.headers.get(axum::http::header::CONTENT_TYPE).cloned();
        let bytes = Bytes::from_request(axum::extract::Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        check_csrf(&me, &FormData::parse(&bytes).one("csrf"))
            .map_err(IntoResponse::into_response)?;
        let mut again = axum::extract::Request::new(axum::body::Body::from(bytes));
        *again.method_mut() = axum::http::Method::POST;
        if let Some(ct) = content_type {
            again
                .headers_mut()
                .insert(axum::http::header::CONTENT_TYPE, ct);
        }
        let form = T::from_request(again, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self { me, form })
    }
}

/// A record's typed id from a path with one parameter; a malformed id is
/// "not found", like a record that does not exist.
pub struct Id<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for Id<T>
where
    S: Send + Sync,
    T: std::str::FromStr + Send,
{
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| PageError::App(AppError::NotFound))?;
        raw.parse()
            .map(Id)
            .map_err(|_| PageError::App(AppError::NotFound))
    }
}

/// Two typed values from a path with two parameters (a case and one of its
/// records, or a record and a section's name); malformed is "not found".
pub struct Ids<A, B>(pub A, pub B);

impl<S, A, B> axum::extract::FromRequestParts<S> for Ids<A, B>
where
    S: Send + Sync,
    A: std::str::FromStr + Send,
    B: std::str::FromStr + Send,
{
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let not_found = || PageError::App(AppError::NotFound);
        let Path((a, b)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| not_found())?;
        Ok(Ids(
            a.parse().map_err(|_| not_found())?,
            b.parse().map_err(|_| not_found())?,
        ))
    }
}
