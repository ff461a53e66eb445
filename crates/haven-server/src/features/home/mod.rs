pub mod pages;

/// This feature's pages and API.
pub fn routes(_limits: &crate::web::Limits) -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use axum::routing::get;
    utoipa_axum::router::OpenApiRouter::new().route("/", get(pages::home))
}
