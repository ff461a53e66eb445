//! TOTP second factor (RFC 6238: SHA-1, 6 digits, 30-second steps, one step
//! of clock skew each way) and one-time recovery codes.
//!
//! Secrets are encrypted at rest with the keyring. Each accepted code's time
//! step is remembered, so a code cannot be used twice (the store refuses any
//! step not later than the last one accepted).

use crate::AppState;
use crate::web::error::AppError;
use base64::Engine;
use haven_crypto::Binding;
use haven_domain::UserId;
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Secret, Totp};

const STEP_SECONDS: u64 = 30;
/// How many recovery codes a person gets at enrolment.
pub const RECOVERY_CODES: usize = 10;
const CODE_ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789_";

fn binding(user: &str) -> Binding<'_> {
    Binding {
        table: "user_mfa",
        column: "secret",
        row: user,
    }
}

fn totp(secret: &[u8], label: Option<&str>) -> Result<Totp, AppError> {
    let mut b = Builder::new()
        .with_secret(Secret::from(secret.to_vec()))
        .with_step_duration(STEP_SECONDS)
        .with_skew(1);
    if let Some(label) = label {
        // ':' separates issuer and account in otpauth labels.
        b = b
            .with_issuer(Some("Haven"))
            .with_account_name(label.replace(':', "_"));
    }
    b.build()
        .map_err(|e| AppError::Internal(format!("totp: {e}")))
}

/// A new random 160-bit secret.
#[must_use]
pub fn new_secret() -> Vec<u8> {
    crate::web::session::random_bytes()[..20].to_vec()
}

/// The secret in base32, for people who type it instead of scanning.
#[must_use]
pub fn secret_base32(secret: &[u8]) -> String {
    Secret::from(secret.to_vec()).to_base32()
}

/// The `otpauth://` URI that authenticator apps read from the QR code.
///
/// # Errors
/// Only for an invalid secret.
pub fn otpauth_uri(secret: &[u8], login: &str) -> Result<String, AppError> {
    totp(secret, Some(login))?
        .to_url()
        .map_err(|e| AppError::Internal(format!("otpauth: {e}")))
}

/// The code for `unix_time` (for tests and the demo).
///
/// # Errors
/// Only for an invalid secret.
pub fn code_at(secret: &[u8], unix_time: u64) -> Result<String, AppError> {
    Ok(totp(secret, None)?.generate(unix_time).to_string())
}

/// The time step `code` belongs to, if it is valid within one step of now.
///
/// # Errors
/// Only for an invalid secret.
pub fn matching_step(secret: &[u8], code: &str, unix_time: u64) -> Result<Option<i64>, AppError> {
    let code: String = code.chars().filter(char::is_ascii_digit).collect();
    if code.len() != 6 {
        return Ok(None);
    }
    Ok(totp(secret, None)?
        .check(&code, unix_time)
        .and_then(|step| i64::try_from(step).ok()))
}

#[must_use]
pub fn now_unix() -> u64 {
    u64::try_from(haven_domain::now().unix_timestamp()).unwrap_or_default()
}

/// Encrypts a secret for `user`'s row.
///
/// # Errors
/// When the keyring has no key.
pub fn seal_secret(state: &AppState, user: UserId, secret: &[u8]) -> Result<Vec<u8>, AppError> {
    state
        .keyring
        .encrypt(secret, binding(&user.to_string()))
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Decrypts `user`'s stored secret.
///
/// # Errors
/// When the ciphertext does not decrypt (wrong key, or moved from another row).
pub async fn open_secret(
    state: &AppState,
    user: UserId,
    sealed: &[u8],
) -> Result<Vec<u8>, AppError> {
    state
        .keyring
        .decrypt(&state.store, sealed, binding(&user.to_string()))
        .await
        .map(|p| p.to_vec())
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Fresh recovery codes (shown once) and the hashes to store.
#[must_use]
pub fn recovery_codes() -> (Vec<String>, Vec<[u8; 32]>) {
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    let mut hashes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let bytes = crate::web::session::random_bytes();
        // 10 characters from a 32-letter alphabet: 50 bits each.
        let raw: String = bytes[..10]
            .iter()
            .map(|b| CODE_ALPHABET[usize::from(b & 31)] as char)
            .collect();
        let code = format!("{}-{}", &raw[..5], &raw[5..]);
        hashes.push(recovery_hash(&code));
        codes.push(code);
    }
    (codes, hashes)
}

/// The stored form of a recovery code: SHA-256 of its normalized text.
#[must_use]
pub fn recovery_hash(code: &str) -> [u8; 32] {
    let normalized: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .chain(code.chars().filter(|c| *c == '_'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(normalized.as_bytes()).into()
}

/// A QR code of `text` as an inline SVG (no script, no external image).
#[must_use]
pub fn qr_svg(text: &str) -> String {
    use qrcodegen::{QrCode, QrCodeEcc};
    let Ok(qr) = QrCode::encode_text(text, QrCodeEcc::Medium) else {
        return String::new();
    };
    let border = 4;
    let size = qr.size() + border * 2;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" width=\"240\" height=\"240\" \
         role=\"img\" aria-labelledby=\"qr-title\"><title id=\"qr-title\">QR code for your authenticator app</title>\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\" shape-rendering=\"crispEdges\"/></svg>"
    )
}

/// An opaque, URL-safe form of bytes (for hidden form fields).
#[must_use]
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1, truncated to 6 digits.
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(secret, t).unwrap(), code, "t={t}");
        }
    }

    #[test]
    fn codes_match_within_one_step_and_report_it() {
        let s = new_secret();
        let t = 1_800_000_000;
        let code = code_at(&s, t).unwrap();
        let step = i64::try_from(t / STEP_SECONDS).unwrap();
        assert_eq!(matching_step(&s, &code, t).unwrap(), Some(step));
        assert_eq!(
            matching_step(&s, &code, t + 30).unwrap(),
            Some(step),
            "one step late is fine"
        );
        assert_eq!(
            matching_step(&s, &code, t + 90).unwrap(),
            None,
            "three steps late is not"
        );
        assert_eq!(
            matching_step(&s, &format!("{} {}", &code[..3], &code[3..]), t).unwrap(),
            Some(step),
            "spaces ignored"
        );
        assert_eq!(matching_step(&s, "12345", t).unwrap(), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_loosely() {
        let (codes, hashes) = recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let unique: std::collections::HashSet<_> = hashes.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODES);
        assert_eq!(recovery_hash(&codes[0]), hashes[0]);
        assert_eq!(
            recovery_hash(&codes[0].to_uppercase().replace('-', " ")),
            hashes[0]
        );
    }

    #[test]
    fn otpauth_uri_names_haven_and_the_account() {
        let uri = otpauth_uri(&new_secret(), "ana@example.org").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/Haven:ana%40example.org?"),
            "{uri}"
        );
        assert!(uri.contains("issuer=Haven"));
        assert!(qr_svg(&uri).starts_with("<svg"));
    }
}
