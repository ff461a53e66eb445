pub mod api;
pub mod pages;
pub mod service;

pub use service::*;

/// This feature's pages and API.
pub fn routes(limits: &crate::web::Limits) -> axum::Router<crate::AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/rights-notice", get(pages::rights_notice))
        .merge(api::routes(limits.upload))
}
