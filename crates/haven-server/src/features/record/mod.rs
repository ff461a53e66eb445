pub mod api;
pub mod pages;
pub mod service;

pub use service::*;

/// This feature's pages and API.
pub fn routes(limits: &crate::web::Limits) -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use axum::routing::get;
    utoipa_axum::router::OpenApiRouter::new()
        .route("/rights-notice", get(pages::rights_notice))
        .merge(api::routes(limits.upload))
}
