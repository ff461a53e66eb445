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

/// Ready: within a second, whether this instance can serve: the database
/// answers, its schema is the one this binary expects, the disk has room, and
/// the audit log is being written and chained. Any of these failing is 503
/// with the reason, so a load balancer sends people elsewhere.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let not_ready = |reason: &str| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not_ready", "reason": reason})),
        )
            .into_response()
    };
    if state.store.disk_full() {
        return not_ready("disk full: data writes are refused");
    }
    if state
        .audit_writer
        .stats()
        .failing
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        return not_ready("audit log: entries cannot be written");
    }
    if state.audit.sealer_failing() {
        return not_ready("audit log: entries cannot be chained");
    }
    let checks = async {
        state.store.ping().await?;
        state.store.schema_status().await
    };
    match tokio::time::timeout(std::time::Duration::from_millis(900), checks).await {
        Ok(Ok(s)) if s.is_current() => Json(json!({
            "status": "ready",
            "backend": state.store.backend().as_str(),
            "schema_version": s.applied.last(),
        }))
        .into_response(),
        Ok(Ok(_)) => not_ready("migrations not current"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database unreachable");
            not_ready("database unreachable")
        }
        Err(_) => not_ready("database unreachable: no answer within a second"),
    }
}
