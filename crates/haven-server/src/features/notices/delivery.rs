//! Delivery of messages that leave Haven: e-mail over SMTP (lettre, rustls)
//! and SMS through a provider's HTTP endpoint.
//!
//! Messages are claimed under a lease (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL), so with several instances each is attempted by one of them;
//! the claim re-checks opt-outs, so a "stop" takes effect at once. A failed
//! attempt is retried with back-off (30 s doubling, at most an hour) up to
//! [`notice::MAX_ATTEMPTS`]; a permanent refusal (an SMTP 5xx, an HTTP 4xx)
//! fails at once. Every message carries its delivery id (the e-mail
//! `Message-ID`, the SMS request's `id`) so that a provider can drop a
//! repeat if an instance dies between sending and recording it.
//!
//! Errors are recorded as codes ("SMTP 550", "HTTP 503", "timeout"), never
//! with the provider's text, which may quote the address.

use crate::AppState;
use crate::case::sealed::unseal_text;
use crate::web::error::AppError;
use axum::body::Bytes;
use haven_domain::notice;
use haven_store::{DeliveryOutcome, DeliveryRow};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration as StdDuration;
use time::{Duration, OffsetDateTime};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// How many messages one instance claims at a time (sent concurrently).
const BATCH: u32 = 100;
/// How long a claim lasts before another instance may take the message.
const LEASE: Duration = Duration::minutes(2);
const SEND_TIMEOUT: StdDuration = StdDuration::from_secs(20);

/// SMTP settings.
#[derive(Clone)]
pub struct MailConfig {
    /// `smtp://host:port` (plain), `smtp://host:587?tls=required`
    /// (STARTTLS) or `smtps://host:465`; a user name may be in the URL.
    pub url: String,
    pub password: Option<String>,
    /// The sender, e.g. `Haven <notices@example.org>`.
    pub from: String,
}

/// SMS provider settings.
#[derive(Clone)]
pub struct SmsConfig {
    /// The provider's endpoint (`http://` or `https://`); Haven POSTs
    /// `{"id", "to", "from", "body"}` as JSON.
    pub url: String,
    pub token: Option<String>,
    pub from: String,
}

/// The token the SMS provider sends with replies (the webhook). Compared
/// in constant time, as digests so that its length does not show either.
#[derive(Clone)]
pub struct WebhookToken(String);

impl WebhookToken {
    #[must_use]
    pub fn new(token: String) -> Self {
        Self(token)
    }

    #[must_use]
    pub fn matches(&self, given: &str) -> bool {
        use sha2::{Digest, Sha256};
        use subtle::ConstantTimeEq;
        let a = Sha256::digest(self.0.as_bytes());
        let b = Sha256::digest(given.as_bytes());
        !given.is_empty() && bool::from(a.ct_eq(&b))
    }
}

impl std::fmt::Debug for WebhookToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookToken(..)")
    }
}

/// Secrets stay out of logs: the URL may carry a user name, never shown.
impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsConfig").finish_non_exhaustive()
    }
}

struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

struct Sms {
    url: url::Url,
    token: Option<String>,
    from: String,
    tls: TlsConnector,
}

/// The configured ways out. Either may be missing: messages for it wait
/// (and are retried) with the reason recorded.
#[derive(Clone, Default)]
pub struct Transports {
    smtp: Option<Arc<Smtp>>,
    sms: Option<Arc<Sms>>,
}

impl Transports {
    /// # Errors
    /// An unreadable URL or sender address.
    pub fn new(mail: Option<MailConfig>, sms: Option<SmsConfig>) -> Result<Self, String> {
        let smtp = match mail {
            Some(m) => {
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&m.url)
                    .map_err(|e| format!("smtp_url: {e}"))?
                    .timeout(Some(SEND_TIMEOUT));
                if let Some(p) = m.password {
                    let user = url::Url::parse(&m.url)
                        .map(|u| u.username().to_owned())
                        .unwrap_or_default();
                    builder = builder.credentials(Credentials::new(user, p));
                }
                let from: Mailbox = m
                    .from
                    .parse()
                    .map_err(|e| format!("mail_from: not an address ({e})"))?;
                Some(Arc::new(Smtp {
                    transport: builder.build(),
                    from,
                }))
            }
            None => None,
        };
        let sms = match sms {
            Some(s) => {
                let url = url::Url::parse(&s.url).map_err(|e| format!("sms_url: {e}"))?;
                if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                    return Err("sms_url: must be an http:// or https:// URL".into());
                }
                Some(Arc::new(Sms {
                    url,
                    token: s.token,
                    from: s.from,
                    tls: tls_connector()?,
                }))
            }
            None => None,
        };
        Ok(Self { smtp, sms })
    }
}

fn tls_connector() -> Result<TlsConnector, String> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("tls: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// Why an attempt failed: try again later, or never.
#[derive(Debug)]
enum SendError {
    Retry(String),
    Permanent(String),
}

impl Smtp {
    async fn send(
        &self,
        id: &str,
        to: &str,
        subject: &str,
        body: &str,
    ) -> Result<Option<String>, SendError> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| SendError::Permanent("not an e-mail address".into()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{id}@haven.invalid>")))
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|_| SendError::Permanent("message could not be built".into()))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(None),
            Err(e) => {
                let code = e
                    .status()
                    .map_or_else(|| "SMTP connection".to_owned(), |c| format!("SMTP {c}"));
                if e.is_permanent() {
                    Err(SendError::Permanent(code))
                } else {
                    Err(SendError::Retry(code))
                }
            }
        }
    }
}

async fn post_over<IO>(io: IO, req: hyper::Request<Full<Bytes>>) -> Result<(u16, Bytes), SendError>
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|_| SendError::Retry("HTTP handshake".into()))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let resp = sender
        .send_request(req)
        .await
        .map_err(|_| SendError::Retry("HTTP request".into()))?;
    let status = resp.status().as_u16();
    let body = Limited::new(resp.into_body(), 64 * 1024)
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    Ok((status, body))
}

impl Sms {
    async fn send(&self, id: &str, to: &str, body: &str) -> Result<Option<String>, SendError> {
        let host = self.url.host_str().unwrap_or_default().to_owned();
        let port = self.url.port_or_known_default().unwrap_or(80);
        // Providers want E.164; the record keeps the number as it was told.
        let to =
            notice::e164(to).ok_or_else(|| SendError::Permanent("not a phone number".into()))?;
        let payload = serde_json::json!({"id": id, "to": to, "from": self.from, "body": body});
        let path = match self.url.query() {
            Some(q) => format!("{}?{q}", self.url.path()),
            None => self.url.path().to_owned(),
        };
        let mut req = hyper::Request::post(path)
            .header(hyper::header::HOST, &host)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", id);
        if let Some(t) = &self.token {
            req = req.header(hyper::header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = req
            .body(Full::new(Bytes::from(payload.to_string())))
            .map_err(|_| SendError::Permanent("request could not be built".into()))?;
        let tcp = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|_| SendError::Retry("SMS provider unreachable".into()))?;
        let (status, reply) = if self.url.scheme() == "https" {
            let name = ServerName::try_from(host.clone())
                .map_err(|_| SendError::Permanent("sms_url host".into()))?;
            let tls = self
                .tls
                .connect(name, tcp)
                .await
                .map_err(|_| SendError::Retry("TLS handshake".into()))?;
            post_over(TokioIo::new(tls), req).await?
        } else {
            post_over(TokioIo::new(tcp), req).await?
        };
        match status {
            200..=299 => Ok(serde_json::from_slice::<serde_json::Value>(&reply)
                .ok()
                .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_owned))),
            408 | 429 => Err(SendError::Retry(format!("HTTP {status}"))),
            400..=499 => Err(SendError::Permanent(format!("HTTP {status}"))),
            _ => Err(SendError::Retry(format!("HTTP {status}"))),
        }
    }
}

async fn attempt(
    state: &AppState,
    transports: &Transports,
    d: &DeliveryRow,
) -> Result<Result<Option<String>, SendError>, AppError> {
    let row = d.id.to_string();
    let to = unseal_text(state, "deliveries", "destination", &row, &d.destination).await?;
    let body = unseal_text(state, "deliveries", "body", &row, &d.body).await?;
    let sent = match d.channel.as_str() {
        "email" => {
            let subject = match &d.subject {
                Some(s) => unseal_text(state, "deliveries", "subject", &row, s).await?,
                None => String::new(),
            };
            match &transports.smtp {
                Some(smtp) => {
                    tokio::time::timeout(SEND_TIMEOUT, smtp.send(&row, &to, &subject, &body))
                        .await
                        .unwrap_or_else(|_| Err(SendError::Retry("timeout".into())))
                }
                None => Err(SendError::Retry(
                    "no e-mail server is configured (smtp_url)".into(),
                )),
            }
        }
        "sms" => match &transports.sms {
            Some(sms) => tokio::time::timeout(SEND_TIMEOUT, sms.send(&row, &to, &body))
                .await
                .unwrap_or_else(|_| Err(SendError::Retry("timeout".into()))),
            None => Err(SendError::Retry(
                "no SMS provider is configured (sms_url)".into(),
            )),
        },
        other => Err(SendError::Permanent(format!("unknown channel {other}"))),
    };
    Ok(sent)
}

async fn deliver_one(
    state: AppState,
    transports: Transports,
    owner: String,
    d: DeliveryRow,
) -> Result<bool, AppError> {
    let now = haven_domain::now();
    // An opt-out recorded after the claim still stops this message.
    let outcome = if state
        .store
        .is_opted_out(&d.destination_key, &d.channel)
        .await?
    {
        DeliveryOutcome::OptedOut
    } else {
        match attempt(&state, &transports, &d).await? {
            Ok(provider_id) => DeliveryOutcome::Sent { provider_id },
            Err(SendError::Permanent(error)) => DeliveryOutcome::Failed { error },
            Err(SendError::Retry(error)) if d.attempts >= notice::MAX_ATTEMPTS => {
                DeliveryOutcome::Failed { error }
            }
            Err(SendError::Retry(error)) => DeliveryOutcome::Retry {
                error,
                at: now + notice::retry_after(d.attempts),
            },
        }
    };
    let sent = matches!(outcome, DeliveryOutcome::Sent { .. });
    if !state
        .store
        .finish_delivery(d.id, &owner, &outcome, haven_domain::now())
        .await?
    {
        tracing::warn!(delivery = %d.id, "delivery lease lost before the outcome was recorded");
    }
    Ok(sent)
}

/// Claims due messages and sends them concurrently. Returns how many were
/// claimed and how many were sent.
///
/// # Errors
/// Store failures while claiming.
pub async fn deliver_due(
    state: &AppState,
    transports: &Transports,
    owner: &str,
    now: OffsetDateTime,
) -> Result<(usize, usize), AppError> {
    let claimed = state
        .store
        .claim_deliveries(owner, now, now + LEASE, BATCH)
        .await?;
    let n = claimed.len();
    let mut tasks = tokio::task::JoinSet::new();
    for d in claimed {
        tasks.spawn(deliver_one(
            state.clone(),
            transports.clone(),
            owner.to_owned(),
            d,
        ));
    }
    let mut sent = 0;
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok(Ok(true)) => sent += 1,
            Ok(Ok(false)) => {}
            Ok(Err(e)) => tracing::warn!(error = ?e.body().message, "delivery failed to record"),
            Err(e) => tracing::warn!(error = %e, "delivery task failed"),
        }
    }
    if n > 0 {
        tracing::debug!(owner, claimed = n, sent, "delivery batch");
    }
    Ok((n, sent))
}
