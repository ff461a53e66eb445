//! Signing in and out, and the home page: what needs the person today.

use crate::AppState;
use crate::features::account::password::Verified;
use crate::features::account::throttle::{Attempt, PeerAddr};
use crate::web::i18n::Lang;
use crate::web::pages::{PageFrame, error_page, forbidden, render, see_other};
use crate::web::session::{self, Authenticated, MaybeSignedIn, ReqId, SignedIn};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::Response;
use haven_domain::{AuditAction, AuditEntry, LoginName, SessionStage};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account/sign_in.html")]
struct SignInPage {
    page: PageFrame,
    notice: Option<String>,
    error: Option<String>,
    login: String,
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
