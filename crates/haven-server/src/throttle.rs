//! Sign-in throttling: temporary lockout after repeated failures, per
//! account name and per source address, counted in the database so that
//! every instance sees the same counts.
//!
//! The lock applies to names that do not exist too, so a locked answer says
//! nothing about whether an account exists.

use crate::AppState;
use crate::error::AppError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use time::Duration;

#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    /// Failures are counted over this sliding window; a lock lasts until
    /// enough failures age out of it.
    pub window: Duration,
    pub max_per_account: u64,
    pub max_per_address: u64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            window: Duration::minutes(15),
            max_per_account: 5,
            max_per_address: 20,
        }
    }
}

/// The client's address, when the server knows it (in-process tests do not).
pub struct PeerAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// The throttle keys of one sign-in attempt.
pub struct Attempt {
    account: [u8; 32],
    address: Option<[u8; 32]>,
}

fn key(kind: &str, value: &str) -> [u8; 32] {
    Sha256::digest(format!("{kind}:{value}").as_bytes()).into()
}

impl Attempt {
    #[must_use]
    pub fn new(login: &str, peer: Option<IpAddr>) -> Self {
        Self {
            account: key("account", &login.trim().to_lowercase()),
            address: peer.map(|ip| key("address", &ip.to_string())),
        }
    }

    /// Whether this account name or address is locked out now.
    pub async fn is_locked(&self, state: &AppState) -> Result<bool, AppError> {
        let policy = state.settings.throttle;
        let since = haven_domain::now() - policy.window;
        if state
            .store
            .sign_in_failures_since(&self.account, since)
            .await?
            >= policy.max_per_account
        {
            return Ok(true);
        }
        if let Some(address) = &self.address
            && state.store.sign_in_failures_since(address, since).await? >= policy.max_per_address
        {
            return Ok(true);
        }
        Ok(false)
    }

    /// Counts a failure; `audit` is written with the account's count.
    pub async fn failed(
        &self,
        state: &AppState,
        audit: &haven_domain::AuditEntry,
    ) -> Result<(), AppError> {
        let now = haven_domain::now();
        let forget = now - state.settings.throttle.window;
        state
            .store
            .record_sign_in_failure(&self.account, now, forget, Some(audit))
            .await?;
        if let Some(address) = &self.address {
            state
                .store
                .record_sign_in_failure(address, now, forget, None)
                .await?;
        }
        Ok(())
    }

    /// A success clears the account's count, not the address's: one valid
    /// account must not reset an address that is guessing at others.
    pub async fn succeeded(&self, state: &AppState) -> Result<(), AppError> {
        state.store.clear_sign_in_failures(&self.account).await?;
        Ok(())
    }
}
