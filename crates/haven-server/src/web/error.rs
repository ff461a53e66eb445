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
    /// Several broken rules; the first is also given at the top level.
    InvalidMany(Box<AppError>, Vec<FieldError>),
    /// A broken rule inside a structured document (a relief facts file),
    /// named by its path, e.g. `t_application.approved_on`.
    InvalidAt {
        code: &'static str,
        path: String,
        message: String,
    },
    Conflict {
        field: &'static str,
    },
    /// Allowed to see, not to do this; the message says why.
    Forbidden(String),
    /// Haven cannot do this now; what is out, and the cause (logged only).
    Unavailable(Outage, String),
    /// A fault in Haven, not in the request. The cause is logged under a
    /// reference that the user can quote.
    Internal(String),
}

/// What is out when Haven answers 503: the answer says which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outage {
    /// The database cannot be reached.
    Database,
    /// The disk is full: nothing was saved.
    Disk,
    /// Entries cannot be written to the audit log, or it cannot be trusted:
    /// no record leaves unaudited.
    AuditLog,
}

impl Outage {
    const fn code(self) -> &'static str {
        match self {
            Self::Database => "database_unavailable",
            Self::Disk => "disk_full",
            Self::AuditLog => "audit_log_unavailable",
        }
    }

    const fn message(self) -> &'static str {
        match self {
            Self::Database => {
                "Haven cannot reach its database right now. Nothing was changed. Try again shortly."
            }
            Self::Disk => {
                "The server's disk is full: nothing was saved. Reading still works; an administrator must free space."
            }
            Self::AuditLog => {
                "Haven cannot write its audit log right now, so it shows no records. Nothing was changed. Try again shortly."
            }
        }
    }
}

/// The body of every error answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub status: u16,
    /// A stable, machine-readable code, e.g. `not_found`, `too_short`.
    pub code: &'static str,
    /// The input field at fault, when there is one (a path inside a
    /// structured document, e.g. `family[1].id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<std::borrow::Cow<'static, str>>,
    pub message: String,
    /// Quote this to an administrator: it finds the logged cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Every broken rule, when there are several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One broken input rule.
#[derive(Serialize, utoipa::ToSchema, Clone, Debug)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl AppError {
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Invalid { .. } | Self::InvalidMany(..) | Self::InvalidAt { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Unavailable(..) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Adds the full list of broken rules.
    #[must_use]
    pub fn with_errors(self, errors: Vec<FieldError>) -> Self {
        Self::InvalidMany(Box::new(self), errors)
    }

    /// The body shown to the client; logs the cause of server faults.
    #[must_use]
    pub fn body(&self) -> ErrorBody {
        if let Self::InvalidMany(first, errors) = self {
            let mut body = first.body();
            body.errors.clone_from(errors);
            return body;
        }
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
            } => (
                *code,
                field.map(std::borrow::Cow::Borrowed),
                message.clone(),
                None,
            ),
            Self::InvalidAt {
                code,
                path,
                message,
            } => (
                *code,
                Some(std::borrow::Cow::Owned(path.clone())),
                message.clone(),
                None,
            ),
            Self::Conflict { field } => (
                "conflict",
                Some(std::borrow::Cow::Borrowed(*field)),
                format!("This {field} is already in use."),
                None,
            ),
            Self::Forbidden(message) => ("forbidden", None, message.clone(), None),
            Self::Unavailable(outage, cause) => {
                tracing::warn!(cause = %cause, outage = outage.code(), "service unavailable");
                (outage.code(), None, outage.message().to_owned(), None)
            }
            Self::InvalidMany(..) => unreachable!("handled above"),
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
            errors: Vec::new(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict { field } => Self::Conflict { field },
            StoreError::Unavailable(m) => Self::Unavailable(Outage::Database, m),
            StoreError::Full => Self::Unavailable(Outage::Disk, "disk full".into()),
            StoreError::AuditTampered(m) => Self::Unavailable(Outage::AuditLog, m),
            StoreError::Timeout(m) => Self::Unavailable(Outage::Database, m),
            // Fields validate text first; this is the net.
            StoreError::BadInput(_) => Self::Invalid {
                code: "bad_text",
                field: None,
                message: "Text may not contain NUL characters.".into(),
            },
            other => Self::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.status(), Json(self.body())).into_response()
    }
}
