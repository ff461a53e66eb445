pub mod api;
pub mod hotlines;
pub mod import;
pub mod package;
pub mod pages;
pub mod service;

pub use service::*;

/// This feature's pages and API.
pub fn routes(limits: &crate::web::Limits) -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    utoipa_axum::router::OpenApiRouter::new()
        .route("/directory", get(pages::search_page))
        .route("/directory/services/{id}", get(pages::service_page))
        .route(
            "/directory/services/{id}/capacity",
            post(pages::update_capacity),
        )
        .route("/directory/manage", get(pages::manage))
        .route(
            "/directory/import",
            post(pages::import_upload).layer(DefaultBodyLimit::max(limits.upload)),
        )
        .route("/directory/organizations/{id}/link", post(pages::link_org))
        .route(
            "/hotlines",
            get(hotlines::hotlines).post(hotlines::save_hotline),
        )
        .route("/hotlines/print", get(hotlines::hotlines_print))
        .route("/hotlines/{id}", post(hotlines::save_hotline))
        .route("/hotlines/{id}/delete", post(hotlines::delete_hotline))
        .merge(api::routes(limits.upload))
}
