//! Haven's web server: pages, the JSON API, sessions and security headers.
//!
//! The server is started from a listener and a shutdown future, so tests run
//! it in-process on a random port and the binary runs it on the configured one.

mod admin_pages;
pub mod api;
mod api_directory;
mod api_interviews;
mod api_record;
mod api_relief;
pub mod audit;
pub mod cases;
pub mod delivery;
pub mod directory;
mod directory_pages;
pub mod durable_file;
pub mod error;
mod form;
mod fund_pages;
pub mod funds;
mod health;
pub mod i18n;
mod intake;
pub mod interview_pages;
pub mod interviews;
pub mod keys;
pub mod mfa;
mod mfa_pages;
pub mod notices;
mod pages;
pub mod password;
pub mod record;
pub mod record_pages;
pub mod referrals;
pub mod relief;
mod relief_pages;
mod security;
pub mod session;
pub mod shared_lists;
pub mod throttle;
pub mod token_pages;

use audit::AuditChain;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, header};
use axum::routing::{get, post};
use haven_store::DynStore;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::csrf::CsrfLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::sensitive_headers::SetSensitiveHeadersLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use keys::{KeyError, KeyringHandle};
pub use password::{HashCost, Hasher};
pub use security::CONTENT_SECURITY_POLICY;
pub use session::SessionPolicy;
pub use throttle::ThrottlePolicy;

/// Server behaviour chosen by configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    pub session: SessionPolicy,
    pub throttle: ThrottlePolicy,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` headers name the client
    /// (`trusted_proxies`); none: the connection's address is the client's.
    pub trusted_proxies: Vec<throttle::IpNet>,
    /// Send `Strict-Transport-Security` (Haven is reached over TLS).
    pub hsts: bool,
    /// Show the "demonstration system" banner.
    pub demo: bool,
    /// Every role that sees personal data must use a second factor. Only the
    /// demo turns this off, so that newcomers can look around.
    pub require_mfa: bool,
    /// Where the quick-exit button goes: a neutral page.
    pub quick_exit_url: String,
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
    /// Largest attachment accepted on a case.
    pub attachment_limit_bytes: usize,
    /// How many days before a relief deadline the case team is reminded.
    pub reminder_days_ahead: u32,
    /// Hours a referral may wait for the provider's answer before the
    /// provider and the specialist are reminded.
    pub referral_reminder_hours: u32,
    /// UTC offset (minutes) of directory schedules that do not state one.
    pub directory_utc_offset_minutes: i16,
    /// UTC offset (minutes) of the people served: safe hours for notices and
    /// interview times are read in it.
    pub local_utc_offset_minutes: i16,
    /// Largest interview recording or document accepted (streamed).
    pub recording_limit_bytes: u64,
    /// The SMS provider's token for its reply webhook; none: no webhook.
    pub sms_inbound_token: Option<delivery::WebhookToken>,
    /// Only for the read benchmark's baseline (`benches/case_read.rs`): never
    /// settable from configuration, and `true` everywhere else.
    #[doc(hidden)]
    pub audit_reads: bool,
}

impl Settings {
    /// The UTC offset of the people served (`local_utc_offset_minutes`).
    #[must_use]
    pub fn local_offset(&self) -> time::UtcOffset {
        time::UtcOffset::from_whole_seconds(i32::from(self.local_utc_offset_minutes) * 60)
            .unwrap_or(time::UtcOffset::UTC)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session: SessionPolicy::default(),
            throttle: ThrottlePolicy::default(),
            trusted_proxies: Vec::new(),
            hsts: false,
            demo: false,
            require_mfa: true,
            quick_exit_url: "https://www.weather.gov/".to_owned(),
            request_timeout: Duration::from_secs(30),
            body_limit_bytes: 1024 * 1024,
            attachment_limit_bytes: 10 * 1024 * 1024,
            reminder_days_ahead: 14,
            referral_reminder_hours: 48,
            directory_utc_offset_minutes: -300,
            local_utc_offset_minutes: -300,
            recording_limit_bytes: 2 * 1024 * 1024 * 1024,
            sms_inbound_token: None,
            audit_reads: true,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: DynStore,
    pub settings: Arc<Settings>,
    pub hasher: Hasher,
    /// Data keys for field encryption, reloaded as they rotate.
    pub keyring: Arc<KeyringHandle>,
    pub audit: AuditChain,
    /// Group commit for audit entries of reads.
    pub audit_writer: audit::AuditWriter,
    /// Organizations and hotlines, kept for a few seconds.
    pub lists: Arc<shared_lists::SharedLists>,
}

impl AppState {
    #[must_use]
    pub fn new(
        store: DynStore,
        settings: Settings,
        hash_cost: HashCost,
        keys: KeyringHandle,
    ) -> Self {
        let audit = AuditChain::new(keys.master());
        Self {
            audit_writer: audit::AuditWriter::spawn(store.clone(), audit.clone(), 512),
            store,
            settings: Arc::new(settings),
            hasher: Hasher::new(hash_cost),
            audit,
            keyring: Arc::new(keys),
            lists: Arc::default(),
        }
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application, with its middleware.
pub fn router(state: AppState) -> Router {
    let body_limit = state.settings.body_limit_bytes;
    // Attachments may be larger than any other body; everything else keeps
    // the small limit through the extractors' default.
    let upload_limit = state.settings.attachment_limit_bytes + 64 * 1024;
    Router::new()
        .route("/", get(pages::home))
        .route("/sign-in", get(pages::sign_in_form).post(pages::sign_in))
        .route("/sign-out", post(pages::sign_out))
        .route("/sign-in/mfa", get(mfa_pages::challenge_form).post(mfa_pages::challenge_submit))
        .route("/mfa/setup", get(mfa_pages::setup_form).post(mfa_pages::setup_submit))
        .route("/admin/users", get(admin_pages::users).post(admin_pages::create_user))
        .route("/access", get(admin_pages::access))
        .route("/admin/users/{id}", get(admin_pages::user))
        .route("/admin/users/{id}/reset-mfa", post(admin_pages::reset_mfa))
        .route("/admin/users/{id}/end-sessions", post(admin_pages::end_sessions))
        .route("/admin/users/{id}/access", post(admin_pages::update_access))
        .route("/admin/organizations", get(admin_pages::organizations).post(admin_pages::create_organization))
        .route("/account/sign-out-everywhere", post(admin_pages::sign_out_everywhere))
        .route("/account/tokens", get(token_pages::list).post(token_pages::create))
        .route("/account/tokens/{id}/revoke", post(token_pages::revoke))
        .route("/cases", get(cases::caseload).post(intake::create_case))
        .route("/cases/new", get(intake::new_case))
        .route("/cases/drafts/{id}/delete", post(intake::delete_draft))
        .route("/cases/{id}", get(cases::case))
        .route("/cases/{id}/entries", post(record_pages::add_entry))
        .route("/cases/{id}/entries/update", post(record_pages::update_entry))
        .route("/cases/{id}/stage", post(record_pages::change_stage))
        .route("/cases/{id}/cooperation", post(record_pages::set_cooperation))
        .route("/cases/{id}/hhs-notified", post(record_pages::hhs_notified))
        .route("/cases/{id}/team", get(record_pages::team_page).post(record_pages::change_team))
        .route("/cases/{id}/fund-requests", post(record_pages::request_funds))
        .route(
            "/cases/{id}/attachments",
            post(record_pages::upload_attachment).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/cases/{id}/attachments/{attachment}", get(record_pages::download_attachment))
        .route("/interviews", get(interview_pages::queue))
        .route("/interviews/{id}", get(interview_pages::detail))
        .route("/interviews/{id}/schedule", post(interview_pages::schedule))
        .route(
            "/interviews/{id}/files",
            post(interview_pages::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/interviews/{id}/files/{file}/{action}", post(interview_pages::file_action))
        .route("/interviews/{id}/{action}", post(interview_pages::action))
        .route("/interview-files/{id}", get(interview_pages::download))
        .route("/cases/{id}/interviews/new", get(interview_pages::new_request))
        .route("/cases/{id}/interviews", post(interview_pages::create_request))
        .route("/cases/{id}/interviews/{interview}/observe", post(interview_pages::observe))
        .route("/cases/{id}/notices", post(interview_pages::notify))
        .route("/cases/{id}/opt-outs", post(interview_pages::opt_out))
        .route("/account/notifications", get(interview_pages::settings).post(interview_pages::save_settings))
        .route("/admin/templates", get(interview_pages::templates).post(interview_pages::save_template))
        .route("/funds", get(fund_pages::list).post(fund_pages::create))
        .route("/funds/{id}/add", post(fund_pages::add))
        .route("/fund-requests/{id}/decide", post(fund_pages::decide))
        .route("/fund-requests/{id}/disburse", post(fund_pages::disburse))
        .route("/rights-notice", get(record_pages::rights_notice))
        .route("/cases/{id}/relief", get(relief_pages::show))
        .route("/cases/{id}/relief/facts/{section}", post(relief_pages::save_section))
        .route("/cases/{id}/relief/list/{list}", post(relief_pages::change_list))
        .route("/cases/{id}/documents", post(relief_pages::draft))
        .route("/documents/{id}", get(relief_pages::document))
        .route("/documents/{id}/{action}", post(relief_pages::document_action))
        .route("/relief/deadlines", get(relief_pages::deadlines))
        .route("/notifications/{id}/read", post(relief_pages::read_notification))
        .route("/directory", get(directory_pages::search_page))
        .route("/directory/services/{id}", get(directory_pages::service_page))
        .route("/directory/services/{id}/capacity", post(directory_pages::update_capacity))
        .route("/directory/manage", get(directory_pages::manage))
        .route(
            "/directory/import",
            post(directory_pages::import_upload).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/directory/organizations/{id}/link", post(directory_pages::link_org))
        .route("/cases/{id}/referrals/new", get(directory_pages::new_referral))
        .route("/cases/{id}/referrals", post(directory_pages::send_referral))
        .route("/referrals", get(directory_pages::incoming_page))
        .route("/referrals/stats", get(directory_pages::stats_page))
        .route("/referrals/{id}", get(directory_pages::incoming_one).post(directory_pages::respond))
        .route("/referrals/{id}/withdraw", post(directory_pages::withdraw_referral))
        .route("/hotlines", get(directory_pages::hotlines).post(directory_pages::save_hotline))
        .route("/hotlines/print", get(directory_pages::hotlines_print))
        .route("/hotlines/{id}", post(directory_pages::save_hotline))
        .route("/hotlines/{id}/delete", post(directory_pages::delete_hotline))
        .route("/cases/{id}/emergency", post(cases::emergency))
        .route("/cases/{id}/consents", post(cases::record_consent))
        .route("/cases/{id}/consents/{consent_id}/revoke", post(cases::revoke_consent))
        .route("/review/emergency", get(cases::review))
        .route("/review/emergency/{id}", post(cases::mark_reviewed))
        .route("/language/{code}", get(pages::set_language))
        .route("/static/{name}", get(pages::static_file))
        .merge(api::routes(upload_limit))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(security::metrics))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::headers))
        // Cross-site form posts are refused before any handler runs; signed-in
        // forms also carry a per-session token.
        .layer(CsrfLayer::new())
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyLimitLayer::new(body_limit.max(upload_limit).max(
            usize::try_from(state.settings.recording_limit_bytes.saturating_add(64 * 1024))
                .unwrap_or(usize::MAX),
        )))
        .layer(axum::middleware::from_fn_with_state(state.clone(), time_limit))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            // Logs name the route template, method, status and latency: never
            // the raw path or query (which may hold ids), never bodies.
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req
                        .extensions()
                        .get::<RequestId>()
                        .and_then(|id| id.header_value().to_str().ok())
                        .unwrap_or("-")
                        .to_owned();
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", MatchedPath::as_str)
                        .to_owned();
                    tracing::info_span!("request", request_id = %id, method = %req.method(), route = %route)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        // A client's own request id reaches the logs and the audit log only
        // when it is a short token; anything else is replaced by a new one.
        .layer(axum::middleware::from_fn(security::plain_request_id))
        .layer(SetSensitiveHeadersLayer::new([header::COOKIE, header::SET_COOKIE, header::AUTHORIZATION]))
        .with_state(state)
}

/// Every request must be answered within `request_timeout` (503), except
/// interview file uploads: a recording may take as long as it needs while
/// its bytes keep coming (`interviews::store_file` stops one that stalls).
async fn time_limit(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let streaming = req
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|p| p.as_str().ends_with("/interviews/{id}/files"));
    if streaming {
        return next.run(req).await;
    }
    match tokio::time::timeout(state.settings.request_timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            // Inside the request's span: the route template and request id.
            tracing::warn!(
                limit_s = state.settings.request_timeout.as_secs(),
                "no answer within the request time limit: 503"
            );
            axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
///
/// # Errors
/// When accepting connections fails.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
