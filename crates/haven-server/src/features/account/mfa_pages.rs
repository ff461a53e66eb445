//! The second-factor pages: the code challenge after a password, and setting
//! up an authenticator app (with recovery codes).

use crate::AppState;
use crate::features::account::mfa;
use crate::features::account::throttle::{Attempt, PeerAddr};
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::{PageFrame, error_page, forbidden, render, see_other};
use crate::web::session::{self, AnyStage, Authenticated, ReqId};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::Response;
use haven_domain::{AuditAction, AuditEntry, SessionStage};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account/mfa_challenge.html")]
struct ChallengePage {
    page: PageFrame,
    csrf: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "account/mfa_setup.html")]
struct SetupPage {
    page: PageFrame,
    csrf: String,
    error: Option<String>,
    qr_svg: String,
    secret_base32: String,
}

#[derive(Template)]
#[template(path = "account/mfa_codes.html")]
struct CodesPage {
    page: PageFrame,
    codes: Vec<String>,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

/// Where a session at `stage` belongs when it asks for the wrong page.
fn elsewhere(stage: SessionStage) -> Response {
    see_other(match stage {
        SessionStage::Full => "/",
        SessionStage::Mfa => "/sign-in/mfa",
        SessionStage::Enrol => "/mfa/setup",
    })
}

fn challenge(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let page = ChallengePage {
        page: PageFrame::new(state, lang, "/sign-in/mfa", None),
        csrf: me.csrf_token(),
        error,
    };
    render(&page, status)
}

pub async fn challenge_form(
    State(state): State<AppState>,
    lang: Lang,
    AnyStage(me): AnyStage,
) -> Response {
    if me.session.stage != SessionStage::Mfa {
        return elsewhere(me.session.stage);
    }
    challenge(&state, lang, &me, None, StatusCode::OK)
}

/// Replaces a pending session with a full one: a new token after every
/// factor, so a token seen before the second factor is worthless after it.
async fn finish_sign_in(
    state: &AppState,
    me: &Authenticated,
    done: AuditEntry,
    request_id: Option<String>,
) -> Result<Response, AppError> {
    state
        .store
        .delete_session(me.session.id, Some(&done))
        .await?;
    let cookie = session::start(
        state,
        &me.user,
        SessionStage::Full,
        AuditEntry::new(AuditAction::SignInSucceeded).request(request_id),
    )
    .await?;
    let mut res = see_other("/");
    res.headers_mut().append(SET_COOKIE, cookie);
    Ok(res)
}

pub async fn challenge_submit(
    State(state): State<AppState>,
    lang: Lang,
    AnyStage(me): AnyStage,
    PeerAddr(peer): PeerAddr,
    ReqId(request_id): ReqId,
    Form(form): Form<CodeForm>,
) -> Response {
    if me.session.stage != SessionStage::Mfa {
        return elsewhere(me.session.stage);
    }
    if !me.csrf_matches(&form.csrf) {
        return forbidden(&state, lang);
    }
    let attempt = Attempt::new(&state, me.user.login.as_str(), peer);
    match attempt.is_locked(&state).await {
        Ok(false) => {}
        Ok(true) => {
            return challenge(
                &state,
                lang,
                &me,
                Some(lang.t("sign-in-locked")),
                StatusCode::TOO_MANY_REQUESTS,
            );
        }
        Err(e) => return error_page(&state, lang, &e),
    }
    let result = check_code(&state, &me, &form.code).await;
    let audit_for = |action| {
        AuditEntry::new(action)
            .by(me.user.id, me.user.organization_id)
            .on("session", me.session.id)
            .request(request_id.clone())
    };
    match result {
        Ok(Some(action)) => {
            if let Err(e) = attempt.succeeded(&state).await {
                return error_page(&state, lang, &e);
            }
            finish_sign_in(&state, &me, audit_for(action), request_id.clone())
                .await
                .unwrap_or_else(|e| error_page(&state, lang, &e))
        }
        Ok(None) => {
            if let Err(e) = attempt
                .failed(&state, &audit_for(AuditAction::MfaFailed))
                .await
            {
                return error_page(&state, lang, &e);
            }
            challenge(
                &state,
                lang,
                &me,
                Some(lang.t("mfa-failed")),
                StatusCode::UNAUTHORIZED,
            )
        }
        Err(e) => error_page(&state, lang, &e),
    }
}

/// Checks a TOTP code (refusing replays) or a recovery code (once each).
/// Returns the audit action of the factor used, or `None` when it fails.
async fn check_code(
    state: &AppState,
    me: &Authenticated,
    code: &str,
) -> Result<Option<AuditAction>, AppError> {
    let user = me.user.id;
    if code.chars().any(|c| c.is_ascii_alphabetic()) {
        let used = state
            .store
            .use_recovery_code(user, &mfa::recovery_hash(code), haven_domain::now())
            .await?;
        return Ok(used.then_some(AuditAction::RecoveryCodeUsed));
    }
    let Some(record) = state
        .store
        .mfa(user)
        .await?
        .filter(|r| r.enabled_at.is_some())
    else {
        return Ok(None);
    };
    let secret = mfa::open_secret(state, user, &record.secret).await?;
    let Some(step) = mfa::matching_step(&secret, code, mfa::now_unix())? else {
        return Ok(None);
    };
    Ok(state
        .store
        .accept_totp_step(user, step)
        .await?
        .then_some(AuditAction::MfaSucceeded))
}

fn setup_page(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    secret: &[u8],
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let uri = match mfa::otpauth_uri(secret, me.user.login.as_str()) {
        Ok(u) => u,
        Err(e) => return error_page(state, lang, &e),
    };
    let badge = (me.session.stage == SessionStage::Full).then_some(me);
    let page = SetupPage {
        page: PageFrame::new(state, lang, "/mfa/setup", badge),
        csrf: me.csrf_token(),
        error,
        qr_svg: mfa::qr_svg(&uri),
        secret_base32: mfa::secret_base32(secret),
    };
    render(&page, status)
}

pub async fn setup_form(
    State(state): State<AppState>,
    lang: Lang,
    AnyStage(me): AnyStage,
) -> Response {
    if me.session.stage == SessionStage::Mfa {
        return elsewhere(me.session.stage);
    }
    match state.store.mfa(me.user.id).await {
        Ok(Some(r)) if r.enabled_at.is_some() => return see_other("/"),
        Ok(_) => {}
        Err(e) => return error_page(&state, lang, &e.into()),
    }
    // A new secret on every visit: one that was shown but never confirmed
    // is simply replaced.
    let secret = mfa::new_secret();
    let sealed = match mfa::seal_secret(&state, me.user.id, &secret) {
        Ok(s) => s,
        Err(e) => return error_page(&state, lang, &e),
    };
    if let Err(e) = state.store.put_pending_mfa(me.user.id, &sealed).await {
        return error_page(&state, lang, &e.into());
    }
    setup_page(&state, lang, &me, &secret, None, StatusCode::OK)
}

pub async fn setup_submit(
    State(state): State<AppState>,
    lang: Lang,
    AnyStage(me): AnyStage,
    ReqId(request_id): ReqId,
    Form(form): Form<CodeForm>,
) -> Response {
    if me.session.stage == SessionStage::Mfa {
        return elsewhere(me.session.stage);
    }
    if !me.csrf_matches(&form.csrf) {
        return forbidden(&state, lang);
    }
    let record = match state.store.mfa(me.user.id).await {
        Ok(Some(r)) if r.enabled_at.is_none() => r,
        Ok(_) => return see_other("/mfa/setup"),
        Err(e) => return error_page(&state, lang, &e.into()),
    };
    let secret = match mfa::open_secret(&state, me.user.id, &record.secret).await {
        Ok(s) => s,
        Err(e) => return error_page(&state, lang, &e),
    };
    let step = match mfa::matching_step(&secret, &form.code, mfa::now_unix()) {
        Ok(Some(step)) => step,
        Ok(None) => {
            return setup_page(
                &state,
                lang,
                &me,
                &secret,
                Some(lang.t("setup-failed")),
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
        Err(e) => return error_page(&state, lang, &e),
    };
    let (codes, hashes) = mfa::recovery_codes();
    let audit = AuditEntry::new(AuditAction::MfaEnabled)
        .by(me.user.id, me.user.organization_id)
        .on("user", me.user.id)
        .request(request_id.clone());
    if let Err(e) = state
        .store
        .enable_mfa(me.user.id, step, &hashes, haven_domain::now(), &audit)
        .await
    {
        return error_page(&state, lang, &e.into());
    }
    let mut cookie = None;
    if me.session.stage == SessionStage::Enrol {
        let done = AuditEntry::new(AuditAction::MfaSucceeded)
            .by(me.user.id, me.user.organization_id)
            .on("session", me.session.id)
            .request(request_id.clone());
        if let Err(e) = state.store.delete_session(me.session.id, Some(&done)).await {
            return error_page(&state, lang, &e.into());
        }
        match session::start(
            &state,
            &me.user,
            SessionStage::Full,
            AuditEntry::new(AuditAction::SignInSucceeded).request(request_id),
        )
        .await
        {
            Ok(c) => cookie = Some(c),
            Err(e) => return error_page(&state, lang, &e),
        }
    }
    let page = CodesPage {
        page: PageFrame::new(&state, lang, "/mfa/setup", None),
        codes,
    };
    let mut res = render(&page, StatusCode::OK);
    if let Some(c) = cookie {
        res.headers_mut().append(SET_COOKIE, c);
    }
    res
}
