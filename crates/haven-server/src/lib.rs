//! Haven's web server: pages, the JSON API, sessions and security headers.
//!
//! The server is started from a listener and a shutdown future, so tests run
//! it in-process on a random port and the binary runs it on the configured one.

pub mod audit;
pub mod case;
pub mod durable_file;
pub mod features;
pub mod keys;
pub mod openapi;
pub mod web;

use audit::AuditChain;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, header};
use axum::routing::get;
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

pub use features::account::password::{HashCost, Hasher};
pub use features::account::throttle::ThrottlePolicy;
pub use keys::{KeyError, KeyringHandle};
pub use web::security::CONTENT_SECURITY_POLICY;
pub use web::session::SessionPolicy;

/// Server behaviour chosen by configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    pub session: SessionPolicy,
    pub throttle: ThrottlePolicy,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` headers name the client
    /// (`trusted_proxies`); none: the connection's address is the client's.
    pub trusted_proxies: Vec<features::account::throttle::IpNet>,
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
    pub sms_inbound_token: Option<features::notices::delivery::WebhookToken>,
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
    pub lists: Arc<web::shared_lists::SharedLists>,
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
    let limits = web::Limits {
        upload: upload_limit,
    };
    let features = utoipa_axum::router::OpenApiRouter::new()
        .merge(features::home::routes(&limits))
        .merge(features::account::routes(&limits))
        .merge(features::admin::routes(&limits))
        .merge(features::cases::routes(&limits))
        .merge(features::interviews::routes(&limits))
        .merge(features::notices::routes(&limits))
        .merge(features::funds::routes(&limits))
        .merge(features::record::routes(&limits))
        .merge(features::relief::routes(&limits))
        .merge(features::directory::routes(&limits))
        .merge(features::referrals::routes(&limits));
    openapi::assemble(features)
        .route("/language/{code}", get(web::pages::set_language))
        .route("/static/{name}", get(web::pages::static_file))
        .route("/healthz", get(web::health::healthz))
        .route("/readyz", get(web::health::readyz))
        .fallback(web::pages::not_found)
        // A page handler's error becomes the error page in the reader's language.
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::pages::page_errors))
        .layer(axum::middleware::from_fn(web::security::metrics))
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::security::headers))
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
        .layer(axum::middleware::from_fn(web::security::plain_request_id))
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
