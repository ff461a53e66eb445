//! Sign-in throttling, counted in the database so that every instance sees
//! the same counts.
//!
//! - Per account name: a temporary lockout after repeated failures. It
//!   applies to names that do not exist too, so a locked answer says nothing
//!   about whether an account exists.
//! - Per client address: no lockout (everyone behind one proxy or one
//!   shelter's network would be locked out together) but a pause that grows
//!   with the address's failures past a free allowance, which slows guessing
//!   across many accounts to a crawl.
//!
//! The client address is the connection's, or, behind a trusted proxy
//! (`trusted_proxies`), the rightmost address in `Forwarded` /
//! `X-Forwarded-For` that is not itself a trusted proxy. Keys are HMACs under a
//! key derived from the master key: a copy of the database does not give the
//! addresses or names that failed.

use crate::AppState;
use crate::web::error::AppError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use time::Duration;

#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    /// Failures are counted over this sliding window; a lock lasts until
    /// enough failures age out of it.
    pub window: Duration,
    pub max_per_account: u64,
    /// Failures an address may have in the window before each further
    /// attempt must wait (1 s, 2 s, 4 s... up to `max_address_pause`).
    pub max_per_address: u64,
    pub max_address_pause: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            window: Duration::minutes(15),
            max_per_account: 5,
            max_per_address: 20,
            max_address_pause: Duration::minutes(1),
        }
    }
}

impl ThrottlePolicy {
    /// How long an address with `failures` in the window must wait after
    /// its last failure.
    #[must_use]
    pub fn address_pause(&self, failures: u64) -> Duration {
        if failures < self.max_per_address {
            return Duration::ZERO;
        }
        let excess = u32::try_from(failures - self.max_per_address).unwrap_or(u32::MAX);
        let secs = 1i64.checked_shl(excess.min(30)).unwrap_or(i64::MAX);
        Duration::seconds(secs).min(self.max_address_pause)
    }
}

/// A network (address and prefix length), for `trusted_proxies`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Parses `10.0.0.0/8`, `::1/128` or a single address.
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("\"{s}\" is not an IP address or network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("\"{s}\": the prefix length must be 0 to {max}"))?,
            None => max,
        };
        Ok(Self { addr, prefix })
    }

    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The addresses a forwarding header names, left (client) to right (the
/// last proxy before us). `Forwarded` (RFC 7239) wins over `X-Forwarded-For`.
fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let mut out = Vec::new();
    let forwarded: Vec<&str> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if forwarded.is_empty() {
        for v in headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            for part in v.split(',') {
                out.extend(parse_node(part));
            }
        }
        return out;
    }
    for v in forwarded {
        for element in v.split(',') {
            for pair in element.split(';') {
                if let Some((k, val)) = pair.split_once('=')
                    && k.trim().eq_ignore_ascii_case("for")
                {
                    out.extend(parse_node(val));
                }
            }
        }
    }
    out
}

/// One node of a forwarding header: `1.2.3.4`, `"[2001:db8::1]:4711"`,
/// `1.2.3.4:80`. Obfuscated or unknown nodes give nothing.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let v = raw.trim().trim_matches('"');
    if let Ok(ip) = v.parse() {
        return Some(ip);
    }
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    v.parse::<SocketAddr>().ok().map(|a| a.ip())
}

/// The client's address: the connection's, or behind trusted proxies the
/// rightmost forwarded address that is not one of them. A header from a
/// client that is not a trusted proxy is ignored (anyone can write one).
#[must_use]
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let chain = forwarded_chain(headers);
    for ip in chain.iter().rev() {
        if !is_trusted(*ip) {
            return Some(*ip);
        }
    }
    // Every hop is a trusted proxy: the leftmost is as near the client as
    // we can know.
    Some(chain.first().copied().unwrap_or(peer))
}

/// The client's address, when the server knows it (in-process tests do not).
pub struct PeerAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for PeerAddr {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Self(client_address(
            peer,
            &parts.headers,
            &state.settings.trusted_proxies,
        )))
    }
}

/// The throttle keys of one sign-in attempt.
pub struct Attempt {
    account: [u8; 32],
    address: Option<[u8; 32]>,
}

fn key(state: &AppState, kind: &str, value: &str) -> [u8; 32] {
    let k = haven_crypto::Keyring::derived_key(state.keyring.master(), "sign-in throttle v1");
    haven_crypto::hmac_sha256(&k, &[kind.as_bytes(), value.as_bytes()])
}

impl Attempt {
    #[must_use]
    pub fn new(state: &AppState, login: &str, peer: Option<IpAddr>) -> Self {
        Self {
            account: key(state, "account", &login.trim().to_lowercase()),
            address: peer.map(|ip| key(state, "address", &ip.to_string())),
        }
    }

    /// Whether this attempt must be refused now: the account name is locked,
    /// or its address must still wait after its last failure.
    pub async fn is_locked(&self, state: &AppState) -> Result<bool, AppError> {
        let policy = state.settings.throttle;
        let now = haven_domain::now();
        let since = now - policy.window;
        let account = state
            .store
            .sign_in_failures_since(&self.account, since)
            .await?;
        if account.count >= policy.max_per_account {
            return Ok(true);
        }
        if let Some(address) = &self.address {
            let seen = state.store.sign_in_failures_since(address, since).await?;
            let pause = policy.address_pause(seen.count);
            if seen.last.is_some_and(|last| now < last + pause) {
                return Ok(true);
            }
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
