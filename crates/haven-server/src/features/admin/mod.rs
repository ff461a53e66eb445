pub mod api;
pub mod pages;

/// This feature's pages and API.
pub fn routes(_limits: &crate::web::Limits) -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use axum::routing::{get, post};
    utoipa_axum::router::OpenApiRouter::new()
        .route("/admin/users", get(pages::users).post(pages::create_user))
        .route("/access", get(pages::access))
        .route("/admin/users/{id}", get(pages::user))
        .route("/admin/users/{id}/reset-mfa", post(pages::reset_mfa))
        .route("/admin/users/{id}/end-sessions", post(pages::end_sessions))
        .route("/admin/users/{id}/access", post(pages::update_access))
        .route(
            "/admin/organizations",
            get(pages::organizations).post(pages::create_organization),
        )
        .route(
            "/account/sign-out-everywhere",
            post(pages::sign_out_everywhere),
        )
        .merge(api::routes())
}
