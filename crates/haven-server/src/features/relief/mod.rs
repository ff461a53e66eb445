pub mod api;
pub mod documents;
pub mod pages;
pub mod service;

pub use service::*;

/// This feature's pages and API.
pub fn routes(_limits: &crate::web::Limits) -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use axum::routing::{get, post};
    utoipa_axum::router::OpenApiRouter::new()
        .route("/cases/{id}/relief", get(pages::show))
        .route(
            "/cases/{id}/relief/facts/{section}",
            post(pages::save_section),
        )
        .route("/cases/{id}/relief/list/{list}", post(pages::change_list))
        .route("/cases/{id}/documents", post(pages::draft))
        .route("/documents/{id}", get(pages::document))
        .route("/documents/{id}/{action}", post(pages::document_action))
        .route("/relief/deadlines", get(pages::deadlines))
        .route("/notifications/{id}/read", post(pages::read_notification))
        .merge(api::routes())
}
