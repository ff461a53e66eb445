//! The OpenAPI document of the JSON API, assembled from every feature's
//! handlers, and the API routes merged from every feature.

use crate::AppState;
use crate::web::error::ErrorBody;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use utoipa::OpenApi;

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
    paths(crate::features::admin::api::me, crate::features::admin::api::list_organizations, crate::features::admin::api::create_organization, crate::features::admin::api::list_users, crate::features::admin::api::create_user, crate::features::admin::api::get_user, crate::features::admin::api::update_user, crate::features::admin::api::reset_mfa, crate::features::admin::api::end_sessions,
        crate::features::cases::consents::create_consent, crate::features::cases::consents::list_consents, crate::features::cases::consents::revoke_consent,
        crate::features::cases::api::caseload, crate::features::cases::api::create_case, crate::features::record::api::get_case,
        crate::features::record::api::add_entry, crate::features::record::api::update_entry, crate::features::record::api::change_stage,
        crate::features::record::api::set_cooperation, crate::features::record::api::hhs_notified, crate::features::record::api::change_team,
        crate::features::record::api::upload_attachment, crate::features::record::api::download_attachment,
        crate::features::funds::api::list_funds, crate::features::funds::api::create_fund, crate::features::funds::api::spending,
        crate::features::funds::api::case_fund_requests, crate::features::funds::api::request_funds, crate::features::funds::api::pending_requests,
        crate::features::funds::api::decide, crate::features::funds::api::disburse,
        crate::features::cases::api::create_draft, crate::features::cases::api::put_draft, crate::features::cases::api::get_draft,
        crate::features::relief::api::get_relief, crate::features::relief::api::put_facts, crate::features::relief::api::evaluate, crate::features::relief::api::deadlines,
        crate::features::relief::api::create_document, crate::features::relief::api::get_document, crate::features::relief::api::put_document,
        crate::features::relief::api::sign, crate::features::relief::api::withdraw, crate::features::relief::api::notifications, crate::features::relief::api::read,
        crate::features::directory::api::search, crate::features::directory::api::get_service, crate::features::directory::api::import, crate::features::directory::api::link,
        crate::features::directory::api::capacity, crate::features::referrals::api::send, crate::features::referrals::api::case_referrals, crate::features::referrals::api::withdraw,
        crate::features::referrals::api::incoming, crate::features::referrals::api::incoming_one, crate::features::referrals::api::respond, crate::features::referrals::api::stats,
        crate::features::directory::api::hotlines, crate::features::directory::api::add_hotline, crate::features::directory::api::put_hotline, crate::features::directory::api::delete_hotline,
        crate::features::directory::api::hsds_root, crate::features::directory::api::hsds_services, crate::features::directory::api::hsds_service,
        crate::features::directory::api::hsds_organizations, crate::features::directory::api::hsds_organization,
        crate::features::directory::api::hsds_service_at_locations, crate::features::directory::api::hsds_taxonomy_terms,
        crate::features::interviews::api::queue, crate::features::interviews::api::case_interviews, crate::features::interviews::api::request,
        crate::features::interviews::api::observe, crate::features::interviews::api::get_interview, crate::features::interviews::api::schedule,
        crate::features::interviews::api::cancel, crate::features::interviews::api::record, crate::features::interviews::api::upload,
        crate::features::interviews::api::download, crate::features::interviews::api::transfer, crate::features::interviews::api::verify,
        crate::features::notices::api::case_notices, crate::features::notices::api::notify, crate::features::notices::api::stop,
        crate::features::notices::api::resume, crate::features::notices::api::get_settings, crate::features::notices::api::put_settings,
        crate::features::notices::api::templates, crate::features::notices::api::put_template, crate::features::notices::api::delete_template,
        crate::features::notices::api::inbound_sms),
    components(schemas(ErrorBody, crate::web::error::FieldError, crate::features::admin::api::MeBody, crate::features::admin::api::OrganizationBody, crate::features::admin::api::UserBody, crate::features::admin::api::NewOrganization, crate::features::admin::api::NewUserBody, crate::features::admin::api::RoleName, crate::features::admin::api::AccessChange, crate::features::cases::consents::NewConsent, crate::features::cases::consents::PartyBody, crate::features::cases::consents::ConsentBody,
        crate::features::record::api::CaseBody, crate::features::record::api::EntryBody, crate::features::record::api::AttachmentBody, crate::features::cases::api::CaseloadBody,
        crate::features::cases::api::CaseloadLine, crate::web::api::Created, crate::features::cases::api::PossibleDuplicates,
        crate::features::record::IntakeInput, crate::features::record::ScreeningAnswer, crate::features::record::EntryInput, crate::features::record::EntryPatch,
        crate::features::record::api::StageChange, crate::features::record::api::CooperationBody, crate::features::record::api::TeamChange,
        crate::features::funds::api::FundBody, crate::features::funds::api::NewFund, crate::features::funds::api::SpendingBody, crate::features::funds::api::FundRequestBody,
        crate::features::funds::FundRequestInput, crate::features::funds::api::Decision, crate::features::funds::api::Disbursement, crate::features::cases::api::DraftBody,
        crate::features::relief::api::ReliefBody, crate::features::relief::api::DocumentSummary, crate::features::relief::api::DeadlineLine, crate::features::relief::api::NewDocument,
        crate::features::relief::api::CreatedDocument, crate::features::relief::api::DocumentBody, crate::features::relief::api::Signed, crate::features::relief::api::Withdrawal,
        crate::features::relief::api::NotificationBody,
        crate::features::directory::SearchResult, crate::features::directory::Hit, crate::features::directory::ImportReport, crate::features::directory::HotlineInput,
        crate::features::directory::api::Link, crate::features::directory::api::CapacityBody,
        crate::features::referrals::api::StatsBody, crate::features::directory::api::HotlineBody, crate::features::directory::api::Page,
        crate::features::referrals::SendInput, crate::features::referrals::CaseReferral, crate::features::referrals::EventView, crate::features::referrals::Incoming,
        crate::features::referrals::PersonalDetails, crate::features::referrals::Response,
        crate::features::interviews::api::CaseInterviews, crate::features::interviews::api::RecordBody, crate::features::interviews::api::TransferBody,
        crate::features::interviews::api::Verification, crate::features::notices::api::CaseNotices, crate::features::notices::api::NotificationSettings,
        crate::features::notices::api::TemplateBody, crate::features::notices::api::InboundSms, crate::features::notices::api::InboundResult,
        crate::features::interviews::RequestInput, crate::features::interviews::RequestDetails, crate::features::interviews::ScheduleInput,
        crate::features::interviews::ScheduleDetails, crate::features::interviews::EarlierInterview, crate::features::interviews::InterviewView,
        crate::features::interviews::FileView, crate::features::interviews::CustodyView, crate::features::interviews::InterviewLine, crate::features::interviews::Scheduled,
        crate::features::notices::NoticeInput, crate::features::notices::NoticeQueued, crate::features::notices::NoticeView, crate::features::notices::ChannelState,
        crate::features::notices::TemplateView)),
    modifiers(&Security),
    security(("token" = [])),
    tags((name = "account"), (name = "administration"), (name = "cases"), (name = "funds"), (name = "relief"),
        (name = "directory"), (name = "referrals"),
        (name = "interviews", description = "Forensic interviews: requests, scheduling, the record, files and their chain of custody"),
        (name = "notices", description = "Notices to victims through their safe channel (R-2), opt-outs, staff notification settings, templates"), (name = "hsds", description = "Open Referral HSDS 3.0 read API for partners (API token with directory:read)"))
)]
pub struct ApiDoc;

/// The OpenAPI document.
pub async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

/// The OpenAPI document's route (each feature serves its own API routes).
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/openapi.json", axum::routing::get(openapi))
}
