//! Haven's cryptography, written once and kept small.
//!
//! - [`Keyring`]: data keys, each wrapped by a master key that lives in a file
//!   outside the database. A copy of the database alone decrypts nothing.
//! - Envelope encryption of single fields with XChaCha20-Poly1305:
//!   `v1 || key_id (4 bytes, big-endian) || nonce (24) || ciphertext+tag`.
//!   The associated data binds each value to its table, column and row id, so
//!   a ciphertext copied into another row or column fails to decrypt.
//! - Blind indexes: a keyed HMAC of a normalized value, for exact-match
//!   look-ups (e.g. name plus date of birth) without storing the value.
//!
//! Pure: no I/O. The store persists wrapped keys; the binary reads the master
//! key file.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::fmt;
use zeroize::Zeroizing;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = 1 + 4 + NONCE_LEN;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the master key must be 32 bytes, base64-encoded")]
    BadMasterKey,
    #[error("a data key could not be unwrapped: wrong master key, or the key was altered")]
    Unwrap,
    #[error("the value is not a Haven ciphertext")]
    Malformed,
    #[error("the value was encrypted with key {0}, which this keyring does not hold")]
    UnknownKey(u32),
    #[error("the value does not decrypt: altered, or moved from another field")]
    Decrypt,
    #[error("the keyring has no active data key")]
    NoActiveKey,
}

/// A 256-bit secret that is wiped from memory when dropped and never printed.
#[derive(Clone)]
pub struct SecretKey(Zeroizing<[u8; 32]>);

impl SecretKey {
    /// A fresh key from the operating system's generator.
    ///
    /// # Panics
    /// Only if the operating system has no randomness.
    #[must_use]
    pub fn generate() -> Self {
        let mut k = Zeroizing::new([0u8; 32]);
        getrandom::fill(k.as_mut()).expect("the operating system has randomness");
        Self(k)
    }

    /// Parses the base64 text of a master key file.
    ///
    /// # Errors
    /// When the text is not base64 of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let bytes = Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| CryptoError::BadMasterKey)?,
        );
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::BadMasterKey)?;
        Ok(Self(Zeroizing::new(arr)))
    }

    /// The base64 text written to a master key file.
    #[must_use]
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.0.as_ref()))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new_from_slice(self.0.as_ref()).expect("32-byte key")
    }

    fn derive(&self, purpose: &[u8]) -> Self {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"haven"), self.0.as_ref());
        let mut out = Zeroizing::new([0u8; 32]);
        hk.expand(purpose, out.as_mut())
            .expect("32 bytes is a valid HKDF length");
        Self(out)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

fn random_nonce() -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    getrandom::fill(&mut n).expect("the operating system has randomness");
    n
}

fn xnonce(bytes: &[u8]) -> XNonce {
    XNonce::try_from(bytes).expect("nonce slices are always 24 bytes here")
}

fn wrap_aad(key_id: u32) -> Vec<u8> {
    format!("haven data key {key_id}").into_bytes()
}

/// A data key as stored in the database: wrapped by the master key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedKey {
    pub id: u32,
    /// `nonce || ciphertext+tag` of the 32-byte data key.
    pub wrapped: Vec<u8>,
}

/// Where an encrypted value lives; bound into the ciphertext.
#[derive(Clone, Copy, Debug)]
pub struct Binding<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row: &'a str,
}

impl Binding<'_> {
    fn aad(&self, key_id: u32) -> Vec<u8> {
        format!("{}\0{}\0{}\0{key_id}", self.table, self.column, self.row).into_bytes()
    }
}

/// The unwrapped data keys, the active one used for new values, and the
/// blind-index key.
pub struct Keyring {
    keys: BTreeMap<u32, SecretKey>,
    active: Option<u32>,
    index_key: SecretKey,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// Wraps a new data key with the master key.
    #[must_use]
    pub fn wrap_new_key(master: &SecretKey, id: u32) -> WrappedKey {
        let dk = SecretKey::generate();
        let nonce = random_nonce();
        let ct = master
            .cipher()
            .encrypt(
                &xnonce(&nonce),
                Payload {
                    msg: dk.0.as_ref(),
                    aad: &wrap_aad(id),
                },
            )
            .expect("encryption of 32 bytes cannot fail");
        let mut wrapped = nonce.to_vec();
        wrapped.extend_from_slice(&ct);
        WrappedKey { id, wrapped }
    }

    /// Unwraps every stored key; the highest id becomes the active key.
    ///
    /// # Errors
    /// When a key does not unwrap with this master key.
    pub fn open(master: &SecretKey, wrapped: &[WrappedKey]) -> Result<Self, CryptoError> {
        let mut keys = BTreeMap::new();
        for w in wrapped {
            if w.wrapped.len() < NONCE_LEN {
                return Err(CryptoError::Unwrap);
            }
            let (nonce, ct) = w.wrapped.split_at(NONCE_LEN);
            let plain = Zeroizing::new(
                master
                    .cipher()
                    .decrypt(
                        &xnonce(nonce),
                        Payload {
                            msg: ct,
                            aad: &wrap_aad(w.id),
                        },
                    )
                    .map_err(|_| CryptoError::Unwrap)?,
            );
            let arr: [u8; 32] = plain
                .as_slice()
                .try_into()
                .map_err(|_| CryptoError::Unwrap)?;
            keys.insert(w.id, SecretKey(Zeroizing::new(arr)));
        }
        Ok(Self {
            active: keys.keys().next_back().copied(),
            keys,
            index_key: master.derive(b"blind index v1"),
        })
    }

    #[must_use]
    pub fn active_key_id(&self) -> Option<u32> {
        self.active
    }

    /// Encrypts `plain` for the place `at` with the active key.
    ///
    /// # Errors
    /// When the keyring holds no key.
    pub fn encrypt(&self, plain: &[u8], at: Binding<'_>) -> Result<Vec<u8>, CryptoError> {
        let id = self.active.ok_or(CryptoError::NoActiveKey)?;
        let key = &self.keys[&id];
        let nonce = random_nonce();
        let ct = key
            .cipher()
            .encrypt(
                &xnonce(&nonce),
                Payload {
                    msg: plain,
                    aad: &at.aad(id),
                },
            )
            .map_err(|_| CryptoError::Decrypt)?;
        let mut out = Vec::with_capacity(HEADER_LEN + ct.len());
        out.push(VERSION);
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// The key id a ciphertext was made with (for rotation).
    ///
    /// # Errors
    /// When the value is not a Haven ciphertext.
    pub fn key_id_of(envelope: &[u8]) -> Result<u32, CryptoError> {
        if envelope.len() < HEADER_LEN + 16 || envelope[0] != VERSION {
            return Err(CryptoError::Malformed);
        }
        Ok(u32::from_be_bytes(
            envelope[1..5].try_into().expect("4 bytes"),
        ))
    }

    /// Decrypts a value stored at `at`.
    ///
    /// # Errors
    /// Malformed input, an unknown key, or a value altered or moved.
    pub fn decrypt(
        &self,
        envelope: &[u8],
        at: Binding<'_>,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let id = Self::key_id_of(envelope)?;
        let key = self.keys.get(&id).ok_or(CryptoError::UnknownKey(id))?;
        let nonce = &envelope[5..HEADER_LEN];
        key.cipher()
            .decrypt(
                &xnonce(nonce),
                Payload {
                    msg: &envelope[HEADER_LEN..],
                    aad: &at.aad(id),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Decrypt)
    }

    /// A blind index of `normalized` within `domain` (e.g. "person name+dob").
    /// Only for high-cardinality values: on a yes/no field it would reveal the
    /// value to anyone who can count.
    #[must_use]
    pub fn blind_index(&self, domain: &str, normalized: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(self.index_key.0.as_ref())
            .expect("any key length");
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(normalized.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A keyed MAC for other uses (the audit chain), derived for `purpose`.
    #[must_use]
    pub fn derived_key(master: &SecretKey, purpose: &str) -> SecretKey {
        master.derive(purpose.as_bytes())
    }
}

/// HMAC-SHA-256 with `key`.
#[must_use]
pub fn hmac_sha256(key: &SecretKey, parts: &[&[u8]]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key.0.as_ref()).expect("any key length");
    for p in parts {
        mac.update(&(p.len() as u64).to_be_bytes());
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// Constant-time equality of two byte strings.
#[must_use]
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> (SecretKey, Keyring) {
        let master = SecretKey::generate();
        let k1 = Keyring::wrap_new_key(&master, 1);
        (
            SecretKey::from_base64(&master.to_base64()).unwrap(),
            Keyring::open(&master, &[k1]).unwrap(),
        )
    }

    const AT: Binding<'static> = Binding {
        table: "persons",
        column: "name",
        row: "0190-abc",
    };

    #[test]
    fn round_trip_and_no_plaintext_in_the_envelope() {
        let (_, ring) = ring();
        let ct = ring.encrypt(b"Maria Canary-Person", AT).unwrap();
        assert!(!ct.windows(6).any(|w| w == b"Canary"));
        assert_eq!(ct[0], 1);
        assert_eq!(Keyring::key_id_of(&ct), Ok(1));
        assert_eq!(
            ring.decrypt(&ct, AT).unwrap().as_slice(),
            b"Maria Canary-Person"
        );
        let again = ring.encrypt(b"Maria Canary-Person", AT).unwrap();
        assert_ne!(ct, again, "fresh nonce each time");
    }

    #[test]
    fn a_value_moved_to_another_row_or_column_does_not_decrypt() {
        let (_, ring) = ring();
        let ct = ring.encrypt(b"secret", AT).unwrap();
        for other in [
            Binding {
                row: "0190-xyz",
                ..AT
            },
            Binding {
                column: "alias",
                ..AT
            },
            Binding {
                table: "users",
                ..AT
            },
        ] {
            assert_eq!(ring.decrypt(&ct, other).unwrap_err(), CryptoError::Decrypt);
        }
        let mut flipped = ct.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(
            ring.decrypt(&flipped, AT).unwrap_err(),
            CryptoError::Decrypt
        );
        assert_eq!(
            ring.decrypt(b"short", AT).unwrap_err(),
            CryptoError::Malformed
        );
    }

    #[test]
    fn the_wrong_master_key_unwraps_nothing() {
        let master = SecretKey::generate();
        let k1 = Keyring::wrap_new_key(&master, 1);
        assert_eq!(
            Keyring::open(&SecretKey::generate(), std::slice::from_ref(&k1)).unwrap_err(),
            CryptoError::Unwrap
        );
        let moved = WrappedKey { id: 2, ..k1 };
        assert_eq!(
            Keyring::open(&master, &[moved]).unwrap_err(),
            CryptoError::Unwrap,
            "id is bound"
        );
    }

    #[test]
    fn newer_keys_encrypt_and_older_keys_still_decrypt() {
        let master = SecretKey::generate();
        let k1 = Keyring::wrap_new_key(&master, 1);
        let old = Keyring::open(&master, std::slice::from_ref(&k1)).unwrap();
        let ct1 = old.encrypt(b"before rotation", AT).unwrap();
        let k2 = Keyring::wrap_new_key(&master, 2);
        let ring = Keyring::open(&master, &[k1, k2]).unwrap();
        assert_eq!(ring.active_key_id(), Some(2));
        assert_eq!(
            ring.decrypt(&ct1, AT).unwrap().as_slice(),
            b"before rotation"
        );
        assert_eq!(Keyring::key_id_of(&ring.encrypt(b"x", AT).unwrap()), Ok(2));
        assert_eq!(
            old.decrypt(&ring.encrypt(b"x", AT).unwrap(), AT)
                .unwrap_err(),
            CryptoError::UnknownKey(2)
        );
    }

    #[test]
    fn blind_indexes_are_deterministic_keyed_and_domain_separated() {
        let (master, ring) = ring();
        let a = ring.blind_index("name+dob", "maria lopez|1990-01-02");
        assert_eq!(a, ring.blind_index("name+dob", "maria lopez|1990-01-02"));
        assert_ne!(a, ring.blind_index("alias", "maria lopez|1990-01-02"));
        let same_master = Keyring::open(&master, &[]).unwrap();
        assert_eq!(
            a,
            same_master.blind_index("name+dob", "maria lopez|1990-01-02"),
            "index key comes from the master key"
        );
        let (_, other) = self::ring();
        assert_ne!(a, other.blind_index("name+dob", "maria lopez|1990-01-02"));
    }

    #[test]
    fn master_keys_parse_only_as_32_bytes_and_never_print() {
        assert_eq!(
            SecretKey::from_base64("c2hvcnQ=").unwrap_err(),
            CryptoError::BadMasterKey
        );
        assert_eq!(
            SecretKey::from_base64("not base64!").unwrap_err(),
            CryptoError::BadMasterKey
        );
        let k = SecretKey::generate();
        assert_eq!(format!("{k:?}"), "SecretKey(<redacted>)");
        assert!(!format!("{:?}", ring().1).contains("Zeroizing"));
    }

    #[test]
    fn hmac_length_prefixes_parts() {
        let k = SecretKey::generate();
        assert_ne!(
            hmac_sha256(&k, &[b"ab", b"c"]),
            hmac_sha256(&k, &[b"a", b"bc"])
        );
        assert!(ct_eq(b"same", b"same") && !ct_eq(b"same", b"diff"));
    }
}
