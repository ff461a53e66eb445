//! The server's one error type. It logs the cause and shows the user a safe,
//! structured message: `{status, code, field, message}`. Causes never hold
//! personal data (stores do not put row values in errors).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use haven_store::StoreError;
use serde::Serialize;

#[derive(Debug)]
pub enum AppError {
    NotFound,
    /// Input that breaks a rule: the field and the rule are named.
    Invalid {
        code: &'static str,
        field: Option<&'static str>,
        message: String,
    },
    Conflict {
        field: &'static str,
    },
    Unavailable(String),
    /// A fault in Haven, not in the request. The cause is logged under a
    /// reference that the user can quote.
    Internal(String),
}

#[derive(Serialize)]
pub struct ErrorBody {
    pub status: u16,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

impl AppError {
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The body shown to the client; logs the cause of server faults.
    #[must_use]
    pub fn body(&self) -> ErrorBody {
        let status = self.status().as_u16();
        let (code, field, message, reference) = match self {
            Self::NotFound => (
                "not_found",
                None,
                "There is nothing at this address.".to_owned(),
                None,
            ),
            Self::Invalid {
                code,
                field,
                message,
            } => (*code, *field, message.clone(), None),
            Self::Conflict { field } => (
                "conflict",
                Some(*field),
                format!("This {field} is already in use."),
                None,
            ),
            Self::Unavailable(cause) => {
                tracing::warn!(cause = %cause, "service unavailable");
                (
                    "unavailable",
                    None,
                    "Haven cannot reach its database right now. Try again shortly.".to_owned(),
                    None,
                )
            }
            Self::Internal(cause) => {
                let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
                tracing::error!(cause = %cause, reference = %reference, "internal error");
                (
                    "internal",
                    None,
                    "Haven could not finish this request. Nothing was changed.".to_owned(),
                    Some(reference),
                )
            }
        };
        ErrorBody {
            status,
            code,
            field,
            message,
            reference,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict { field } => Self::Conflict { field },
            StoreError::Unavailable(m) => Self::Unavailable(m),
            StoreError::Database(
                sqlx_err @ (haven_store::sqlx_error::PoolTimedOut
                | haven_store::sqlx_error::PoolClosed
                | haven_store::sqlx_error::Io(_)),
            ) => Self::Unavailable(sqlx_err.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.status(), Json(self.body())).into_response()
    }
}
