//! Server-rendered pages: sign-in, home, language switch, errors.

use crate::AppState;
use crate::features::account::password::Verified;
use crate::features::account::throttle::{Attempt, PeerAddr};
use crate::web::error::AppError;
use crate::web::i18n::{LANG_COOKIE, Lang};
use crate::web::session::{self, Authenticated, MaybeSignedIn, ReqId, SignedIn};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use haven_domain::{AuditAction, AuditEntry, LoginName, SessionStage};
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
                deadlines: crate::features::relief::pages::sees_deadlines(a),
                referrals: crate::features::directory::pages::sees_referrals(a),
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
#[template(path = "sign_in.html")]
struct SignInPage {
    page: PageFrame,
    notice: Option<String>,
    error: Option<String>,
    login: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: PageFrame,
    welcome: String,
    organization: String,
    roles: Vec<String>,
    mfa_on: bool,
    /// Emergency openings awaiting review (supervisors).
    to_review: Option<String>,
    /// HHS-5 notifications still due on cases the user may see.
    hhs_pending: u64,
    /// Fund requests waiting for a decision (supervisors).
    funds_pending: usize,
    /// Staff notifications (deadline reminders), newest first.
    reminders: Vec<ReminderView>,
    /// Declarations and certifications waiting for the user's signature.
    to_sign: usize,
    csrf: String,
}

pub struct ReminderView {
    pub id: haven_domain::MessageId,
    pub href: Option<String>,
    pub text: String,
    pub unread: bool,
}

/// A reminder in the reader's language, from the codes and dates it carries.
pub(crate) fn reminder_text(lang: Lang, kind: &str, payload: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    let field = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    match kind {
        "deadline_reminder" => {
            let what = lang.t(&format!("relief-deadline-{}", field("kind")));
            let member = field("family_member");
            let what = if member.is_empty() {
                what
            } else {
                format!("{what} ({member})")
            };
            lang.t_args(
                "home-reminder",
                &[("what", what.as_str()), ("date", field("due_on").as_str())],
            )
        }
        "referral_received" | "referral_withdrawn" | "referral_overdue" => {
            let what = lang.t(&format!("pick-need-{}", field("need")));
            lang.t1(&format!("home-{}", kind.replace('_', "-")), "what", &what)
        }
        "role_granted" => {
            let role = lang.t(&format!("role-{}", field("role")));
            lang.t_args(
                "home-role-granted",
                &[("name", field("name").as_str()), ("role", role.as_str())],
            )
        }
        "interview_requested" => lang.t("home-interview-requested"),
        "interview_scheduled" => lang.t1("home-interview-scheduled", "date", &field("date")),
        "referral_updated" => {
            let what = lang.t(&format!("pick-need-{}", field("need")));
            let status = lang.t(&format!("ref-status-{}", field("status")));
            lang.t_args(
                "home-referral-updated",
                &[("what", what.as_str()), ("status", status.as_str())],
            )
        }
        _ => lang.t("home-reminder-other"),
    }
}

/// Where a reminder leads: the case's relief tab, the case's referrals, or
/// (for a provider, who never opens the case) the referral itself.
fn reminder_href(kind: &str, case: Option<haven_domain::CaseId>, payload: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    let referral = v
        .get("referral")
        .and_then(|x| x.as_str())
        .and_then(|s| uuid::Uuid::parse_str(s).ok());
    if kind.starts_with("interview")
        && let Some(i) = v.get("interview").and_then(|x| x.as_str())
    {
        return Some(format!("/interviews/{i}"));
    }
    match (kind, case, referral) {
        ("role_granted", _, _) => Some("/access".to_owned()),
        ("deadline_reminder", Some(c), _) => Some(format!("/cases/{c}/relief")),
        (k, Some(c), _) if k.starts_with("referral") => Some(format!("/cases/{c}#referrals")),
        (k, None, Some(r)) if k.starts_with("referral") => Some(format!("/referrals/{r}")),
        (_, Some(c), _) => Some(format!("/cases/{c}")),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "message.html")]
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

pub async fn home(State(state): State<AppState>, lang: Lang, SignedIn(me): SignedIn) -> Response {
    let mfa_on = match state.store.mfa(me.user.id).await {
        Ok(r) => r.is_some_and(|r| r.enabled_at.is_some()),
        Err(e) => return error_page(&state, lang, &e.into()),
    };
    let to_review = if me.user.has_role(haven_domain::Role::Supervisor) {
        match state
            .store
            .pending_emergency_access(me.user.organization_id)
            .await
        {
            Ok(p) if !p.is_empty() => Some(lang.t1("home-review", "count", &p.len().to_string())),
            Ok(_) => None,
            Err(e) => return error_page(&state, lang, &e.into()),
        }
    } else {
        None
    };
    // Counts only (no names): the lists behind them are audited reads.
    let actor = haven_domain::policy::Actor::of(&me.user);
    let mut q = crate::features::cases::pages::caseload_query(
        &actor,
        &crate::features::cases::pages::CaseloadParams::default(),
    );
    q.hhs_pending = true;
    q.limit = 1;
    let hhs_pending = match state.store.caseload(&q).await {
        Ok((n, _)) => n,
        Err(e) => return error_page(&state, lang, &e.into()),
    };
    let funds_pending = if me.user.has_role(haven_domain::Role::Supervisor) {
        match state
            .store
            .pending_fund_requests(me.user.organization_id)
            .await
        {
            Ok(p) => p.len(),
            Err(e) => return error_page(&state, lang, &e.into()),
        }
    } else {
        0
    };
    let reminders = match state.store.notifications(me.user.id, 10).await {
        Ok(n) => n
            .into_iter()
            .map(|n| ReminderView {
                id: n.id,
                href: reminder_href(&n.kind, n.case, &n.payload),
                text: reminder_text(lang, &n.kind, &n.payload),
                unread: n.read_at.is_none(),
            })
            .collect(),
        Err(e) => return error_page(&state, lang, &e.into()),
    };
    let to_sign = match crate::features::relief::awaiting_signature(&state, &actor).await {
        Ok(d) => d.len(),
        Err(e) => return error_page(&state, lang, &e),
    };
    let page = HomePage {
        hhs_pending,
        funds_pending,
        reminders,
        to_sign,
        csrf: me.csrf_token(),
        page: PageFrame::new(&state, lang, "/", Some(&me)),
        welcome: lang.t1("home-welcome", "name", &me.user.display_name),
        organization: me.organization.name.clone(),
        roles: me
            .user
            .roles
            .iter()
            .map(|r| lang.t(&format!("role-{}", r.as_str())))
            .collect(),
        mfa_on,
        to_review,
    };
    render(&page, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct SignInQuery {
    expired: Option<String>,
}

pub async fn sign_in_form(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(me): MaybeSignedIn,
    Query(q): Query<SignInQuery>,
) -> Response {
    if me.is_some() {
        return see_other("/");
    }
    let page = SignInPage {
        page: PageFrame::new(&state, lang, "/sign-in", None),
        notice: q.expired.map(|_| lang.t("sign-in-expired")),
        error: None,
        login: String::new(),
    };
    render(&page, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

pub async fn sign_in(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(previous): MaybeSignedIn,
    PeerAddr(peer): PeerAddr,
    ReqId(request_id): ReqId,
    Form(form): Form<SignInForm>,
) -> Response {
    let fail = |key: &str, login: String, status: StatusCode| {
        let page = SignInPage {
            page: PageFrame::new(&state, lang, "/sign-in", None),
            notice: None,
            error: Some(lang.t(key)),
            login,
        };
        render(&page, status)
    };
    if form.login.trim().is_empty() || form.password.is_empty() {
        return fail(
            "sign-in-invalid",
            form.login,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let attempt = Attempt::new(&state, &form.login, peer);
    match attempt.is_locked(&state).await {
        Ok(false) => {}
        Ok(true) => {
            tracing::warn!("sign-in refused: too many failures");
            let audit = AuditEntry::new(AuditAction::SignInLocked).request(request_id);
            if let Err(e) = state.store.append_audit(&[audit]).await {
                return error_page(&state, lang, &e.into());
            }
            return fail("sign-in-locked", form.login, StatusCode::TOO_MANY_REQUESTS);
        }
        Err(e) => return error_page(&state, lang, &e),
    }
    // Look the user up, but verify a hash either way: an unknown name takes
    // as long and answers the same as a wrong password.
    let user = match LoginName::parse(&form.login) {
        Ok(login) => match state.store.user_by_login(&login).await {
            Ok(u) => u.filter(|u| !u.disabled),
            Err(e) => return error_page(&state, lang, &e.into()),
        },
        Err(_) => None,
    };
    let verdict = state
        .hasher
        .verify(
            user.as_ref().map(|u| u.password_hash.clone()),
            form.password,
        )
        .await;
    let user_id = user.as_ref().map(|u| u.id);
    let user = match (verdict, user) {
        (Verified::No, _) | (_, None) => {
            tracing::info!("sign-in refused");
            let mut audit = AuditEntry::new(AuditAction::SignInFailed).request(request_id);
            if let Some(id) = user_id {
                audit = audit.on("user", id);
            }
            if let Err(e) = attempt.failed(&state, &audit).await {
                return error_page(&state, lang, &e);
            }
            return fail("sign-in-failed", form.login, StatusCode::UNAUTHORIZED);
        }
        (Verified::Yes, Some(u)) => u,
        (Verified::YesRehash(phc), Some(u)) => {
            if let Err(e) = state.store.set_password_hash(u.id, &phc).await {
                tracing::warn!(error = %e, "could not store the re-hashed password");
            }
            u
        }
    };
    if let Err(e) = attempt.succeeded(&state).await {
        return error_page(&state, lang, &e);
    }
    // A new session id at every sign-in: an old (possibly planted) one ends.
    if let Some(old) = previous
        && let Err(e) = state
            .store
            .delete_session(old.session.id, Some(&signed_out(&old, request_id.clone())))
            .await
    {
        return error_page(&state, lang, &e.into());
    }
    // Which step comes next: a code, setting one up, or nothing.
    let stage = match state.store.mfa(user.id).await {
        Ok(Some(r)) if r.enabled_at.is_some() => SessionStage::Mfa,
        Ok(_) if state.settings.require_mfa && user.requires_mfa() => SessionStage::Enrol,
        Ok(_) => SessionStage::Full,
        Err(e) => return error_page(&state, lang, &e.into()),
    };
    let action = if stage == SessionStage::Full {
        AuditAction::SignInSucceeded
    } else {
        AuditAction::PasswordAccepted
    };
    match session::start(
        &state,
        &user,
        stage,
        AuditEntry::new(action).request(request_id),
    )
    .await
    {
        Ok(cookie) => {
            tracing::info!(user = %user.id, stage = stage.as_str(), "password accepted");
            let mut res = see_other(match stage {
                SessionStage::Full => "/",
                SessionStage::Mfa => "/sign-in/mfa",
                SessionStage::Enrol => "/mfa/setup",
            });
            res.headers_mut().append(SET_COOKIE, cookie);
            res
        }
        Err(e) => error_page(&state, lang, &e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn sign_out(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(request_id): ReqId,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !me.csrf_matches(&form.csrf) {
        return forbidden(&state, lang);
    }
    if let Err(e) = state
        .store
        .delete_session(me.session.id, Some(&signed_out(&me, request_id)))
        .await
    {
        return error_page(&state, lang, &e.into());
    }
    let mut res = see_other("/sign-in");
    res.headers_mut()
        .append(SET_COOKIE, state.settings.session.clearing_cookie());
    res
}

fn signed_out(who: &Authenticated, request_id: Option<String>) -> AuditEntry {
    AuditEntry::new(AuditAction::SignedOut)
        .by(who.user.id, who.user.organization_id)
        .on("session", who.session.id)
        .request(request_id)
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
