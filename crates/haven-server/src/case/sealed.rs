//! Personal data in and out of its ciphertext: every value is bound to its
//! table, column and row, so a value moved elsewhere does not decrypt.

use crate::AppState;
use crate::web::error::AppError;
use haven_crypto::Binding;
use serde::{Serialize, de::DeserializeOwned};

pub const DATE: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

// ---------------------------------------------------------------- crypto

fn binding<'a>(table: &'static str, column: &'static str, row: &'a str) -> Binding<'a> {
    Binding { table, column, row }
}

/// Encrypts `plain` for `table.column` of row `row`.
///
/// # Errors
/// When no key is loaded.
pub fn seal(
    state: &AppState,
    table: &'static str,
    column: &'static str,
    row: &str,
    plain: &[u8],
) -> Result<Vec<u8>, AppError> {
    state
        .keyring
        .encrypt(plain, binding(table, column, row))
        .map_err(|e| AppError::Internal(format!("encrypt {table}.{column}: {e}")))
}

/// Decrypts a value sealed by [`seal`].
///
/// # Errors
/// When the value does not decrypt (wrong row, tampering, missing key).
pub async fn unseal(
    state: &AppState,
    table: &'static str,
    column: &'static str,
    row: &str,
    bytes: &[u8],
) -> Result<Vec<u8>, AppError> {
    state
        .keyring
        .decrypt(&state.store, bytes, binding(table, column, row))
        .await
        .map(|z| z.to_vec())
        .map_err(|e| AppError::Internal(format!("decrypt {table}.{column}: {e}")))
}

/// Encrypts a value as JSON.
///
/// # Errors
/// As [`seal`].
pub fn seal_json<T: Serialize>(
    state: &AppState,
    table: &'static str,
    column: &'static str,
    row: &str,
    value: &T,
) -> Result<Vec<u8>, AppError> {
    let json = serde_json::to_vec(value).map_err(|e| AppError::Internal(e.to_string()))?;
    seal(state, table, column, row, &json)
}

/// Decrypts a JSON value sealed by [`seal_json`].
///
/// # Errors
/// As [`unseal`], or when the JSON does not match `T`.
pub async fn unseal_json<T: DeserializeOwned>(
    state: &AppState,
    table: &'static str,
    column: &'static str,
    row: &str,
    bytes: &[u8],
) -> Result<T, AppError> {
    let plain = unseal(state, table, column, row, bytes).await?;
    serde_json::from_slice(&plain)
        .map_err(|e| AppError::Internal(format!("{table}.{column} is not the expected JSON: {e}")))
}

pub async fn unseal_text(
    state: &AppState,
    table: &'static str,
    column: &'static str,
    row: &str,
    bytes: &[u8],
) -> Result<String, AppError> {
    String::from_utf8(unseal(state, table, column, row, bytes).await?)
        .map_err(|_| AppError::Internal(format!("{table}.{column} is not text")))
}
