pub mod api;
pub mod pages;
pub mod service;

pub use service::*;

/// This feature's pages and API.
pub fn routes(_limits: &crate::web::Limits) -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use axum::routing::{get, post};
    utoipa_axum::router::OpenApiRouter::new()
        .route("/funds", get(pages::list).post(pages::create))
        .route("/funds/{id}/add", post(pages::add))
        .route("/fund-requests/{id}/decide", post(pages::decide))
        .route("/fund-requests/{id}/disburse", post(pages::disburse))
        .merge(api::routes())
}
