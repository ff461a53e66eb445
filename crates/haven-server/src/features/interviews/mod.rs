pub mod api;
pub mod pages;
pub mod service;

pub use service::*;

/// This feature's pages and API.
pub fn routes(_limits: &crate::web::Limits) -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    utoipa_axum::router::OpenApiRouter::new()
        .route("/interviews", get(pages::queue))
        .route("/interviews/{id}", get(pages::detail))
        .route("/interviews/{id}/schedule", post(pages::schedule))
        .route(
            "/interviews/{id}/files",
            post(pages::upload).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/interviews/{id}/files/{file}/{action}",
            post(pages::file_action),
        )
        .route("/interviews/{id}/{action}", post(pages::action))
        .route("/interview-files/{id}", get(pages::download))
        .route("/cases/{id}/interviews/new", get(pages::new_request))
        .route("/cases/{id}/interviews", post(pages::create_request))
        .route(
            "/cases/{id}/interviews/{interview}/observe",
            post(pages::observe),
        )
        .merge(api::routes())
}
