pub mod api;
pub mod delivery;
pub mod pages;
pub mod service;

pub use service::*;

/// This feature's pages and API.
pub fn routes(_limits: &crate::web::Limits) -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use axum::routing::{get, post};
    utoipa_axum::router::OpenApiRouter::new()
        .route("/cases/{id}/notices", post(pages::notify))
        .route("/cases/{id}/opt-outs", post(pages::opt_out))
        .route(
            "/account/notifications",
            get(pages::settings).post(pages::save_settings),
        )
        .route(
            "/admin/templates",
            get(pages::templates).post(pages::save_template),
        )
        .merge(api::routes())
}
