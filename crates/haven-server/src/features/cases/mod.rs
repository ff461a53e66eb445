pub mod api;
pub mod caseload;
pub mod consents;
pub mod forms;
pub mod intake;
pub mod pages;

/// This feature's pages and API.
pub fn routes(limits: &crate::web::Limits) -> utoipa_axum::router::OpenApiRouter<crate::AppState> {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    utoipa_axum::router::OpenApiRouter::new()
        .route("/cases", get(caseload::caseload).post(intake::create_case))
        .route("/cases/new", get(intake::new_case))
        .route("/cases/drafts/{id}/delete", post(intake::delete_draft))
        .route("/cases/{id}", get(pages::case))
        .route("/cases/{id}/entries", post(forms::add_entry))
        .route("/cases/{id}/entries/update", post(forms::update_entry))
        .route("/cases/{id}/stage", post(forms::change_stage))
        .route("/cases/{id}/cooperation", post(forms::set_cooperation))
        .route("/cases/{id}/hhs-notified", post(forms::hhs_notified))
        .route(
            "/cases/{id}/team",
            get(crate::features::record::pages::team_page).post(forms::change_team),
        )
        .route("/cases/{id}/fund-requests", post(forms::request_funds))
        .route(
            "/cases/{id}/attachments",
            post(forms::upload_attachment).layer(DefaultBodyLimit::max(limits.upload)),
        )
        .route(
            "/cases/{id}/attachments/{attachment}",
            get(forms::download_attachment),
        )
        .route("/cases/{id}/emergency", post(pages::emergency))
        .route("/cases/{id}/consents", post(pages::record_consent))
        .route(
            "/cases/{id}/consents/{consent_id}/revoke",
            post(pages::revoke_consent),
        )
        .route("/review/emergency", get(pages::review))
        .route("/review/emergency/{id}", post(pages::mark_reviewed))
        .merge(api::routes())
        .merge(consents::routes())
}
