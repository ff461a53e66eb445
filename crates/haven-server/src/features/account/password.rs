//! Password hashing with Argon2id (PHC strings).
//!
//! Hashing is deliberately slow, so it runs on the blocking thread pool, never
//! on the async workers. An unknown user is checked against a dummy hash so
//! that the answer takes as long as for a wrong password (no user enumeration
//! by timing).

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Arc, OnceLock};

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashCost {
    /// 64 MiB, 3 passes, 1 lane: about 100 ms on a 2-core server, in the
    /// 50 to 250 ms band that keeps sign-in quick and guessing slow.
    pub const PRODUCTION: Self = Self {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };
    /// The smallest cost the crate allows; only for tests.
    pub const TEST: Self = Self {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };

    fn argon2(self) -> Argon2<'static> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .unwrap_or_default();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

/// The outcome of checking a password.
#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Right password, but the stored hash uses other parameters: store this
    /// new hash.
    YesRehash(String),
}

#[derive(Clone)]
pub struct Hasher {
    cost: HashCost,
    dummy: Arc<OnceLock<String>>,
}

impl Hasher {
    #[must_use]
    pub fn new(cost: HashCost) -> Self {
        Self {
            cost,
            dummy: Arc::new(OnceLock::new()),
        }
    }

    /// Hashes a new password (blocking; call from `spawn_blocking`).
    ///
    /// # Panics
    /// Only if the operating system has no randomness.
    #[must_use]
    pub fn hash_blocking(&self, password: &str) -> String {
        self.cost
            .argon2()
            .hash_password(password.as_bytes())
            .expect("argon2 hashing with valid parameters")
            .to_string()
    }

    /// Hashes on the blocking pool.
    pub async fn hash(&self, password: String) -> String {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.hash_blocking(&password))
            .await
            .expect("hashing task")
    }

    fn verify_blocking(&self, stored: Option<&str>, password: &str) -> Verified {
        let dummy = self
            .dummy
            .get_or_init(|| self.hash_blocking("haven-dummy-password"));
        let phc = stored.unwrap_or(dummy);
        let Ok(parsed) = PasswordHash::new(phc) else {
            // A corrupt stored hash: still spend the time, then refuse.
            let _ = self.cost.argon2().verify_password(
                password.as_bytes(),
                &PasswordHash::new(dummy).expect("dummy hash parses"),
            );
            return Verified::No;
        };
        let ok = self
            .cost
            .argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        if !ok || stored.is_none() {
            return Verified::No;
        }
        if self.needs_rehash(&parsed) {
            Verified::YesRehash(self.hash_blocking(password))
        } else {
            Verified::Yes
        }
    }

    /// Checks `password` against `stored` (or a dummy when the user is
    /// unknown), on the blocking pool.
    pub async fn verify(&self, stored: Option<String>, password: String) -> Verified {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.verify_blocking(stored.as_deref(), &password))
            .await
            .unwrap_or(Verified::No)
    }

    fn needs_rehash(&self, parsed: &PasswordHash) -> bool {
        let Ok(params) = Params::try_from(parsed) else {
            return true;
        };
        parsed.algorithm.as_str() != "argon2id"
            || params.m_cost() != self.cost.memory_kib
            || params.t_cost() != self.cost.iterations
            || params.p_cost() != self.cost.parallelism
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_and_wrong_passwords() {
        let h = Hasher::new(HashCost::TEST);
        let phc = h.hash_blocking("correct horse");
        assert!(phc.starts_with("$argon2id$"));
        assert_eq!(
            h.verify_blocking(Some(&phc), "correct horse"),
            Verified::Yes
        );
        assert_eq!(h.verify_blocking(Some(&phc), "wrong horse"), Verified::No);
        assert_eq!(
            h.verify_blocking(None, "haven-dummy-password"),
            Verified::No,
            "unknown users never pass"
        );
        assert_eq!(h.verify_blocking(Some("garbage"), "x"), Verified::No);
    }

    #[test]
    fn changed_parameters_ask_for_a_rehash() {
        let old = Hasher::new(HashCost {
            memory_kib: 16,
            ..HashCost::TEST
        });
        let phc = old.hash_blocking("pw");
        let new = Hasher::new(HashCost::TEST);
        let Verified::YesRehash(fresh) = new.verify_blocking(Some(&phc), "pw") else {
            panic!("expected a rehash");
        };
        assert_eq!(new.verify_blocking(Some(&fresh), "pw"), Verified::Yes);
    }
}
