pub mod api;
pub mod pages;
pub mod service;

pub use service::*;

/// This feature's pages and API.
pub fn routes(_limits: &crate::web::Limits) -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use axum::routing::{get, post};
    utoipa_axum::router::OpenApiRouter::new()
        .route("/cases/{id}/referrals/new", get(pages::new_referral))
        .route("/cases/{id}/referrals", post(pages::send_referral))
        .route("/referrals", get(pages::incoming_page))
        .route("/referrals/stats", get(pages::stats_page))
        .route(
            "/referrals/{id}",
            get(pages::incoming_one).post(pages::respond),
        )
        .route("/referrals/{id}/withdraw", post(pages::withdraw_referral))
        .merge(api::routes())
}
