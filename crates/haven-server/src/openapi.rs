//! The OpenAPI document of the JSON API: what is said once for the whole
//! API (title, security, tags) here; each path and its schemas come from the
//! routes a feature registers with `routes!`.

use crate::AppState;
use axum::Router;
use axum::response::IntoResponse;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token made on the Account > API tokens page."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "sms_provider",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The SMS provider's token (sms_inbound_token_file), for its reply webhook only."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Haven API", description = "Victim-centered case management and referrals. Every call is authorized by one policy and audited."),
    modifiers(&Security),
    security(("token" = [])),
    tags((name = "account"), (name = "administration"), (name = "cases"), (name = "funds"), (name = "relief"),
        (name = "directory"), (name = "referrals"),
        (name = "interviews", description = "Forensic interviews: requests, scheduling, the record, files and their chain of custody"),
        (name = "notices", description = "Notices to victims through their safe channel (R-2), opt-outs, staff notification settings, templates"), (name = "hsds", description = "Open Referral HSDS 3.0 read API for partners (API token with directory:read)"))
)]
pub struct ApiDoc;

/// Every feature's pages and API merged into one router, and the OpenAPI
/// document assembled from the API routes' own descriptions, served at
/// `/api/openapi.json`.
pub fn assemble(features: OpenApiRouter<AppState>) -> Router<AppState> {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(features)
        .split_for_parts();
    // Written once: the document does not change while Haven runs.
    let body: Arc<str> = doc.to_json().unwrap_or_default().into();
    router.route(
        "/api/openapi.json",
        axum::routing::get(move || {
            let body = Arc::clone(&body);
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    body.to_string(),
                )
                    .into_response()
            }
        }),
    )
}
