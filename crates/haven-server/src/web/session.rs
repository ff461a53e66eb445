//! Signed-in sessions: random tokens in a cookie, only their SHA-256 in the
//! database, idle and absolute timeouts, and a per-session CSRF secret.

use crate::AppState;
use crate::web::error::AppError;
use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use haven_domain::{AuditAction, AuditEntry, Organization, SessionId, SessionStage, User};
use haven_store::SessionRecord;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

/// Under TLS the cookie takes the `__Host-` prefix, which browsers only accept
/// with `Secure`, `Path=/` and no `Domain`: it cannot be set by a sibling
/// domain. Plain-HTTP development uses a name without the prefix.
const COOKIE_TLS: &str = "__Host-haven_session";
const COOKIE_PLAIN: &str = "haven_session";

/// How long a session may live.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    pub idle_timeout: Duration,
    pub absolute_timeout: Duration,
    /// Served over TLS (directly or behind a TLS proxy): cookies are Secure.
    pub secure: bool,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::minutes(30),
            absolute_timeout: Duration::hours(12),
            secure: false,
        }
    }
}

impl SessionPolicy {
    #[must_use]
    pub const fn cookie_name(&self) -> &'static str {
        if self.secure {
            COOKIE_TLS
        } else {
            COOKIE_PLAIN
        }
    }

    fn cookie(&self, value: &str, max_age: Option<i64>) -> HeaderValue {
        let mut c = format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Strict",
            self.cookie_name()
        );
        if self.secure {
            c.push_str("; Secure");
        }
        if let Some(age) = max_age {
            c.push_str(&format!("; Max-Age={age}"));
        }
        HeaderValue::from_str(&c).expect("cookie header is ASCII")
    }

    /// A cookie that removes the session cookie.
    #[must_use]
    pub fn clearing_cookie(&self) -> HeaderValue {
        self.cookie("", Some(0))
    }

    fn is_expired(&self, s: &SessionRecord, now: OffsetDateTime) -> bool {
        now - s.last_seen_at > self.idle_timeout || now - s.created_at > self.absolute_timeout
    }
}

/// 32 bytes from the operating system's generator.
#[must_use]
pub fn random_bytes() -> [u8; 32] {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the operating system has randomness");
    b
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Starts a new session for `user` and returns the `Set-Cookie` value. A new
/// random token every time: ids are never reused across sign-ins (fixation).
pub async fn start(
    state: &AppState,
    user: &User,
    stage: SessionStage,
    audit: AuditEntry,
) -> Result<HeaderValue, AppError> {
    let token = URL_SAFE_NO_PAD.encode(random_bytes());
    let now = haven_domain::now();
    let record = SessionRecord {
        id: SessionId::new(),
        token_hash: token_hash(&token),
        user_id: user.id,
        created_at: now,
        last_seen_at: now,
        csrf_token: random_bytes(),
        stage,
    };
    let audit = audit
        .by(user.id, user.organization_id)
        .on("session", record.id);
    state.store.create_session(&record, &audit).await?;
    Ok(state.settings.session.cookie(&token, None))
}

/// The value of cookie `name` in the request, if present and not empty.
#[must_use]
pub fn cookie_value<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// The request id the middleware assigned (for audit entries).
#[must_use]
pub fn request_id(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Extracts the request id.
pub struct ReqId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ReqId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(request_id(&parts.headers)))
    }
}

/// A signed-in person with their session and organization.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub session: SessionRecord,
    pub user: User,
    pub organization: Organization,
}

impl Authenticated {
    /// The value forms must send back in their `csrf` field.
    #[must_use]
    pub fn csrf_token(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.session.csrf_token)
    }

    /// Constant-time check of a submitted CSRF token.
    #[must_use]
    pub fn csrf_matches(&self, submitted: &str) -> bool {
        URL_SAFE_NO_PAD
            .decode(submitted)
            .is_ok_and(|b| b.ct_eq(&self.session.csrf_token).into())
    }
}

/// Why there is no signed-in user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoSession {
    /// No cookie, or a token that matches nothing.
    Absent,
    /// The session timed out (so the sign-in page can say so).
    Expired,
}

/// Resolves the request's session, ending it when it has timed out.
pub async fn resolve(
    parts: &Parts,
    state: &AppState,
) -> Result<Result<Authenticated, NoSession>, AppError> {
    let policy = state.settings.session;
    let Some(token) = cookie_value(&parts.headers, policy.cookie_name()) else {
        return Ok(Err(NoSession::Absent));
    };
    let Some((session, user, organization)) =
        state.store.session_context(&token_hash(token)).await?
    else {
        return Ok(Err(NoSession::Absent));
    };
    let now = haven_domain::now();
    if policy.is_expired(&session, now) {
        let audit = AuditEntry::new(AuditAction::SessionExpired)
            .by_user(session.user_id)
            .on("session", session.id)
            .request(request_id(&parts.headers));
        state.store.delete_session(session.id, Some(&audit)).await?;
        return Ok(Err(NoSession::Expired));
    }
    if user.disabled {
        state.store.delete_session(session.id, None).await?;
        return Ok(Err(NoSession::Absent));
    }
    let Some(organization) = organization else {
        return Ok(Err(NoSession::Absent));
    };
    // Record activity at most once a minute: no write on every request.
    if now - session.last_seen_at > Duration::minutes(1) {
        state.store.touch_session(session.id, now).await?;
    }
    Ok(Ok(Authenticated {
        session,
        user,
        organization,
    }))
}

/// Extractor for pages that need a signed-in user; anyone else is sent to
/// the sign-in page.
pub struct SignedIn(pub Authenticated);

/// Where an unauthenticated request goes.
pub enum SignInRequired {
    Redirect {
        expired: bool,
        clear: Option<HeaderValue>,
    },
    /// Signed in with a password, but a second factor is still owed.
    NextStep(&'static str),
    Failed(AppError),
}

impl IntoResponse for SignInRequired {
    fn into_response(self) -> Response {
        match self {
            Self::Redirect { expired, clear } => {
                let to = if expired {
                    "/sign-in?expired=1"
                } else {
                    "/sign-in"
                };
                let mut res = Redirect::to(to).into_response();
                *res.status_mut() = StatusCode::SEE_OTHER;
                if let Some(c) = clear {
                    res.headers_mut().append(SET_COOKIE, c);
                }
                res
            }
            Self::NextStep(to) => {
                let mut res = Redirect::to(to).into_response();
                *res.status_mut() = StatusCode::SEE_OTHER;
                res
            }
            Self::Failed(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = SignInRequired;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match resolve(parts, state)
            .await
            .map_err(SignInRequired::Failed)?
        {
            Ok(a) => match a.session.stage {
                SessionStage::Full => Ok(Self(a)),
                SessionStage::Mfa => Err(SignInRequired::NextStep("/sign-in/mfa")),
                SessionStage::Enrol => Err(SignInRequired::NextStep("/mfa/setup")),
            },
            Err(why) => Err(SignInRequired::Redirect {
                expired: why == NoSession::Expired,
                clear: (why == NoSession::Expired)
                    .then(|| state.settings.session.clearing_cookie()),
            }),
        }
    }
}

/// Extractor for the second-factor pages: any session, finished or not.
pub struct AnyStage(pub Authenticated);

impl FromRequestParts<AppState> for AnyStage {
    type Rejection = SignInRequired;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match resolve(parts, state)
            .await
            .map_err(SignInRequired::Failed)?
        {
            Ok(a) => Ok(Self(a)),
            Err(why) => Err(SignInRequired::Redirect {
                expired: why == NoSession::Expired,
                clear: None,
            }),
        }
    }
}

/// Extractor for pages that work either way (the sign-in page).
pub struct MaybeSignedIn(pub Option<Authenticated>);

impl FromRequestParts<AppState> for MaybeSignedIn {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(resolve(parts, state).await?.ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use haven_domain::UserId;

    #[test]
    fn cookies_are_strict_and_secure_under_tls() {
        let plain = SessionPolicy::default();
        let c = plain.cookie("tok", None);
        assert_eq!(c, "haven_session=tok; Path=/; HttpOnly; SameSite=Strict");
        let tls = SessionPolicy {
            secure: true,
            ..plain
        };
        let c = tls.cookie("tok", None);
        assert_eq!(
            c,
            "__Host-haven_session=tok; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(
            tls.clearing_cookie()
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }

    #[test]
    fn sessions_expire_when_idle_or_old() {
        let p = SessionPolicy::default();
        let t0 = haven_domain::now();
        let s = SessionRecord {
            id: SessionId::new(),
            token_hash: [0; 32],
            user_id: UserId::new(),
            created_at: t0,
            last_seen_at: t0,
            csrf_token: [0; 32],
            stage: SessionStage::Full,
        };
        assert!(!p.is_expired(&s, t0 + Duration::minutes(29)));
        assert!(p.is_expired(&s, t0 + Duration::minutes(31)), "idle");
        let active = SessionRecord {
            last_seen_at: t0 + Duration::hours(12),
            ..s.clone()
        };
        assert!(
            p.is_expired(&active, t0 + Duration::hours(12) + Duration::minutes(1)),
            "absolute"
        );
    }

    #[test]
    fn token_hash_is_sha256() {
        assert_eq!(
            token_hash("abc")[..4],
            [0xba, 0x78, 0x16, 0xbf],
            "SHA-256 of \"abc\" begins ba7816bf"
        );
    }
}
