//! Liveness and readiness for load balancers and orchestrators.

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Alive: the process answers. Touches nothing else.
pub async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

/// Ready: the database answers and its schema is the one this binary expects.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let not_ready = |reason: &str| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not_ready", "reason": reason})),
        )
            .into_response()
    };
    if let Err(e) = state.store.ping().await {
        tracing::warn!(error = %e, "readiness: database unreachable");
        return not_ready("database unreachable");
    }
    match state.store.schema_status().await {
        Ok(s) if s.is_current() => Json(json!({
            "status": "ready",
            "backend": state.store.backend().as_str(),
            "schema_version": s.applied.last(),
        }))
        .into_response(),
        Ok(_) => not_ready("migrations not current"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: schema check failed");
            not_ready("database unreachable")
        }
    }
}
