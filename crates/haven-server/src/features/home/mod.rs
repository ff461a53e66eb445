pub mod pages;

/// This feature's pages and API.
pub fn routes(_limits: &crate::web::Limits) -> axum::Router<crate::AppState> {
    use axum::routing::get;
    axum::Router::new().route("/", get(pages::home))
}
