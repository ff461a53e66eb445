//! Signing in: sessions, the throttle on failed attempts, second factors
//! and recovery codes, and API tokens. Implemented once in
//! `shared/sign_in.rs` for both databases.

use crate::{StoreError, StoreResult};
use async_trait::async_trait;
use haven_domain::policy::Scope;
use haven_domain::{ApiTokenId, AuditEntry, Organization, SessionId, SessionStage, User, UserId};
use time::OffsetDateTime;

/// `Debug` naming only the listed fields, so that a token, its hash or a
/// CSRF secret never reaches a log through `{:?}`.
macro_rules! debug_without_secrets {
    ($t:ident { $($f:ident),* }) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($t))
                    $(.field(stringify!($f), &self.$f))*
                    .finish_non_exhaustive()
            }
        }
    };
}
/// A signed-in session. The token itself is never stored: only its SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: SessionId,
    pub token_hash: [u8; 32],
    pub user_id: UserId,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    /// Per-session secret that state-changing forms must echo back.
    pub csrf_token: [u8; 32],
    pub stage: SessionStage,
}

debug_without_secrets!(SessionRecord {
    id,
    user_id,
    created_at,
    last_seen_at
});

/// Sessions live in the database so that any instance can serve any request.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Starts a session; the audit entry is written in the same transaction.
    async fn create_session(&self, session: &SessionRecord, audit: &AuditEntry) -> StoreResult<()>;
    async fn session_by_token_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<SessionRecord>>;
    /// The session with its user and the user's organization, in one query
    /// (every signed-in request needs all three).
    async fn session_context(
        &self,
        hash: &[u8; 32],
    ) -> StoreResult<Option<(SessionRecord, User, Option<Organization>)>>;
    async fn touch_session(&self, id: SessionId, at: OffsetDateTime) -> StoreResult<()>;
    /// Ends a session, auditing why (signed out, expired) in the same transaction.
    async fn delete_session(&self, id: SessionId, audit: Option<&AuditEntry>) -> StoreResult<()>;
    /// "Sign out everywhere": returns how many sessions ended. The audit entry,
    /// if any, is written in the same transaction.
    async fn delete_sessions_for_user(
        &self,
        user: UserId,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<u64>;
    async fn count_sessions_for_user(&self, user: UserId) -> StoreResult<u64>;
    /// A user's sessions, most recently active first.
    async fn sessions_of(&self, user: UserId) -> StoreResult<Vec<SessionRecord>>;
}

/// Failed sign-in attempts, counted per key (a hash of an account name or a
/// source address). Insert-only, so concurrent instances never lose a count.
#[async_trait]
pub trait ThrottleStore: Send + Sync + 'static {
    /// Records one failure for `key` at `at` (with its audit entry, if any, in
    /// the same transaction), and forgets this key's failures older than
    /// `forget_before`.
    async fn record_sign_in_failure(
        &self,
        key: &[u8; 32],
        at: OffsetDateTime,
        forget_before: OffsetDateTime,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<()>;
    /// Failures for `key` since `since`, and when the last one was.
    async fn sign_in_failures_since(
        &self,
        key: &[u8; 32],
        since: OffsetDateTime,
    ) -> StoreResult<FailureCount>;
    /// Forgets every failure for `key` (after a successful sign-in).
    async fn clear_sign_in_failures(&self, key: &[u8; 32]) -> StoreResult<()>;
}

/// How many sign-in failures a throttle key has, and the last one's time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FailureCount {
    pub count: u64,
    pub last: Option<OffsetDateTime>,
}

/// A user's TOTP factor: the secret is ciphertext (Haven's envelope).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MfaRecord {
    pub secret: Vec<u8>,
    pub enabled_at: Option<OffsetDateTime>,
    pub last_step: i64,
}

/// Second factors and recovery codes.
#[async_trait]
pub trait MfaStore: Send + Sync + 'static {
    async fn mfa(&self, user: UserId) -> StoreResult<Option<MfaRecord>>;
    /// Stores a secret awaiting confirmation. Refused ([`StoreError::Conflict`])
    /// when the user already has an enabled factor.
    async fn put_pending_mfa(&self, user: UserId, secret: &[u8]) -> StoreResult<()>;
    /// Enables the pending factor at `step`, replacing the recovery codes,
    /// with its audit entry, in one transaction.
    async fn enable_mfa(
        &self,
        user: UserId,
        step: i64,
        recovery_hashes: &[[u8; 32]],
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    /// Accepts a TOTP step only if it is later than the last one accepted:
    /// `false` means the code was already used (replay).
    async fn accept_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool>;
    /// Marks a recovery code used; `false` when unknown or already used.
    async fn use_recovery_code(
        &self,
        user: UserId,
        hash: &[u8; 32],
        at: OffsetDateTime,
    ) -> StoreResult<bool>;
    async fn unused_recovery_codes(&self, user: UserId) -> StoreResult<u64>;
    /// Removes the factor and its codes (an administrator's reset), audited.
    async fn reset_mfa(&self, user: UserId, audit: &AuditEntry) -> StoreResult<()>;
}

/// An API token as stored (the secret itself is never stored).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub token_hash: [u8; 32],
    pub user_id: UserId,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
}

debug_without_secrets!(ApiToken {
    id,
    user_id,
    scopes,
    expires_at,
    revoked_at
});

/// API tokens.
#[async_trait]
pub trait TokenStore: Send + Sync + 'static {
    async fn create_api_token(&self, token: &ApiToken, audit: &AuditEntry) -> StoreResult<()>;
    async fn api_token_by_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<ApiToken>>;
    /// A user's tokens, newest first.
    async fn api_tokens_of(&self, user: UserId) -> StoreResult<Vec<ApiToken>>;
    /// Revokes one of `user`'s tokens; `false` when there is no such token.
    async fn revoke_api_token(
        &self,
        id: ApiTokenId,
        user: UserId,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    async fn touch_api_token(&self, id: ApiTokenId, at: OffsetDateTime) -> StoreResult<()>;
}

pub(crate) fn join_scopes(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn parse_scopes(text: &str) -> StoreResult<Vec<Scope>> {
    text.split_whitespace()
        .map(|s| Scope::parse(s).ok_or(StoreError::Corrupt("api_tokens.scopes")))
        .collect()
}
