pub mod mfa;
pub mod mfa_pages;
pub mod pages;
pub mod password;
pub mod throttle;
pub mod tokens;

/// This feature's pages and API.
pub fn routes(_limits: &crate::web::Limits) -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use axum::routing::{get, post};
    utoipa_axum::router::OpenApiRouter::new()
        .route("/sign-in", get(pages::sign_in_form).post(pages::sign_in))
        .route("/sign-out", post(pages::sign_out))
        .route(
            "/sign-in/mfa",
            get(mfa_pages::challenge_form).post(mfa_pages::challenge_submit),
        )
        .route(
            "/mfa/setup",
            get(mfa_pages::setup_form).post(mfa_pages::setup_submit),
        )
        .route("/account/tokens", get(tokens::list).post(tokens::create))
        .route("/account/tokens/{id}/revoke", post(tokens::revoke))
}
