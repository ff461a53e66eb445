//! Configuration: one TOML file plus environment overrides, then flags.
//!
//! Precedence, highest first: command-line flag, environment variable
//! (`HAVEN_*`), configuration file, built-in default. Secrets may be given as
//! files (`database_url_file`, `HAVEN_DATABASE_URL_FILE`) so they never sit
//! in the environment or the config file. Every error names the key and where
//! it came from.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The configuration file as written by an operator.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub database_url_file: Option<PathBuf>,
    pub master_key_file: Option<PathBuf>,
    pub listen: Option<String>,
    pub metrics_listen: Option<String>,
    pub public_url: Option<String>,
    pub quick_exit_url: Option<String>,
    pub log_level: Option<String>,
    pub log_format: Option<String>,
    pub attachment_max_mib: Option<u32>,
    pub reminder_days_ahead: Option<u32>,
    pub referral_reminder_hours: Option<u32>,
    pub recording_max_mib: Option<u32>,
    pub smtp_url: Option<String>,
    pub smtp_password_file: Option<PathBuf>,
    pub mail_from: Option<String>,
    pub sms_url: Option<String>,
    pub sms_token_file: Option<PathBuf>,
    pub sms_inbound_token_file: Option<PathBuf>,
    pub sms_from: Option<String>,
    pub trusted_proxies: Option<Vec<String>>,
    pub audit_checkpoint_file: Option<PathBuf>,
    #[serde(default)]
    pub session: SessionFile,
    #[serde(default)]
    pub database: DatabaseFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFile {
    pub idle_timeout_minutes: Option<u32>,
    pub absolute_timeout_hours: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseFile {
    pub max_connections: Option<u32>,
    pub sqlite_readers: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The resolved configuration every command uses.
#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    /// May hold a password: never log it (use `DatabaseTarget`'s Display).
    pub database_url: Option<String>,
    /// The master key: wraps the data keys and keys the audit chain.
    pub master_key_file: PathBuf,
    pub listen: SocketAddr,
    pub metrics_listen: Option<SocketAddr>,
    pub public_url: Option<url::Url>,
    pub quick_exit_url: String,
    pub log_level: String,
    pub log_format: LogFormat,
    pub idle_timeout_minutes: u32,
    pub absolute_timeout_hours: u32,
    pub max_connections: u32,
    /// SQLite reader connections (each on a thread of its own).
    pub sqlite_readers: u32,
    /// Largest file attached to a case, in MiB.
    pub attachment_max_mib: u32,
    /// Days before a relief deadline that the case team is reminded.
    pub reminder_days_ahead: u32,
    /// Hours a referral may wait for an answer before both sides are reminded.
    pub referral_reminder_hours: u32,
    /// Largest interview recording or document, in MiB.
    pub recording_max_mib: u32,
    /// E-mail out (SMTP); none: e-mail waits, with the reason recorded.
    pub mail: Option<haven_server::features::notices::delivery::MailConfig>,
    /// SMS out (the provider's HTTP endpoint).
    pub sms: Option<haven_server::features::notices::delivery::SmsConfig>,
    /// The SMS provider's token for its reply webhook (`POST /api/v1/sms/inbound`).
    pub sms_inbound_token: Option<haven_server::features::notices::delivery::WebhookToken>,
    /// Proxies whose forwarding headers name the client (sign-in throttling).
    pub trusted_proxies: Vec<haven_server::features::account::throttle::IpNet>,
    /// Where the audit chain's head is kept outside the database (default:
    /// beside the master key).
    pub audit_checkpoint: Option<PathBuf>,
}

/// Values given on the command line (they win over everything else).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub metrics_listen: Option<String>,
}

/// Where a value came from, for error messages.
fn env(key: &str) -> Option<(String, String)> {
    std::env::var(key)
        .ok()
        .filter(|v| !v.is_empty())
        .map(|v| (v, format!("environment variable {key}")))
}

fn read_secret(path: &Path, what: &str) -> Result<String> {
    let s = std::fs::read_to_string(path)
        .with_context(|| format!("{what}: cannot read {}", path.display()))?;
    let s = s.trim().to_owned();
    if s.is_empty() {
        bail!("{what}: {} is empty", path.display());
    }
    Ok(s)
}

impl Config {
    /// The audit checkpoint file: configured, or `audit-checkpoint.json`
    /// beside the master key (outside the database, like the key).
    #[must_use]
    pub fn audit_checkpoint_file(&self) -> PathBuf {
        self.audit_checkpoint.clone().unwrap_or_else(|| {
            self.master_key_file
                .parent()
                .unwrap_or(Path::new("."))
                .join("audit-checkpoint.json")
        })
    }

    /// Loads the configuration file (from the flag, `HAVEN_CONFIG`, or
    /// `./haven.toml` when present), applies the environment and the flags.
    ///
    /// # Errors
    /// A file that cannot be read or parsed, or a value that is not valid;
    /// the message names the key and its source.
    pub fn load(flags: &Overrides) -> Result<Self> {
        let explicit = flags
            .config_file
            .clone()
            .or_else(|| std::env::var_os("HAVEN_CONFIG").map(PathBuf::from));
        let (file, file_name) = match explicit {
            Some(path) => (Some(read_file(&path)?), path.display().to_string()),
            None if Path::new("haven.toml").exists() => (
                Some(read_file(Path::new("haven.toml"))?),
                "haven.toml".to_owned(),
            ),
            None => (None, "defaults".to_owned()),
        };
        let file = file.unwrap_or_default();
        let from_file = |key: &str| format!("{key} in {file_name}");

        // Pick the first of flag, environment, file; remember the source.
        let pick = |flag: Option<String>, env_key: &str, file_val: Option<String>, key: &str| {
            flag.map(|v| (v, format!("command-line flag --{}", key.replace('_', "-"))))
                .or_else(|| env(env_key))
                .or_else(|| file_val.map(|v| (v, from_file(key))))
        };

        let data_dir = flags
            .data_dir
            .clone()
            .or_else(|| std::env::var_os("HAVEN_DATA_DIR").map(PathBuf::from))
            .or(file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("haven-data"));

        let database_url = match pick(
            flags.database_url.clone(),
            "HAVEN_DATABASE_URL",
            file.database_url.clone(),
            "database_url",
        ) {
            Some((v, _)) => Some(v),
            None => match std::env::var_os("HAVEN_DATABASE_URL_FILE") {
                Some(p) => Some(read_secret(Path::new(&p), "HAVEN_DATABASE_URL_FILE")?),
                None => match &file.database_url_file {
                    Some(p) => Some(read_secret(p, &from_file("database_url_file"))?),
                    None => None,
                },
            },
        };

        let master_key_file = std::env::var_os("HAVEN_MASTER_KEY_FILE")
            .map(PathBuf::from)
            .or(file.master_key_file.clone())
            .unwrap_or_else(|| data_dir.join("master.key"));

        let listen = match pick(
            flags.listen.clone(),
            "HAVEN_LISTEN",
            file.listen.clone(),
            "listen",
        ) {
            Some((v, src)) => parse_addr(&v, &src)?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let metrics_listen = pick(
            flags.metrics_listen.clone(),
            "HAVEN_METRICS_LISTEN",
            file.metrics_listen.clone(),
            "metrics_listen",
        )
        .map(|(v, src)| parse_addr(&v, &src))
        .transpose()?;
        let public_url = pick(
            None,
            "HAVEN_PUBLIC_URL",
            file.public_url.clone(),
            "public_url",
        )
        .map(|(v, src)| parse_url(&v, &src))
        .transpose()?;
        let quick_exit_url = match pick(
            None,
            "HAVEN_QUICK_EXIT_URL",
            file.quick_exit_url.clone(),
            "quick_exit_url",
        ) {
            Some((v, src)) => parse_url(&v, &src)?.to_string(),
            None => haven_server::Settings::default().quick_exit_url,
        };
        let log_level = pick(None, "HAVEN_LOG_LEVEL", file.log_level.clone(), "log_level")
            .map(|(v, src)| {
                tracing_subscriber::EnvFilter::try_new(&v)
                    .map(|_| v.clone())
                    .with_context(|| {
                        format!("{src}: \"{v}\" is not a log level (try info, debug or warn)")
                    })
            })
            .transpose()?
            .unwrap_or_else(|| "info".to_owned());
        let log_format = match pick(
            None,
            "HAVEN_LOG_FORMAT",
            file.log_format.clone(),
            "log_format",
        ) {
            None => LogFormat::Text,
            Some((v, src)) => match v.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => bail!("{src}: \"{v}\" is not a log format; use text or json"),
            },
        };
        let number = |env_key: &str,
                      file_val: Option<u32>,
                      key: &str,
                      default: u32,
                      max: u32|
         -> Result<u32> {
            let (v, src) = match env(env_key) {
                Some((v, src)) => (
                    v.parse::<u32>()
                        .with_context(|| format!("{src}: \"{v}\" is not a whole number"))?,
                    src,
                ),
                None => match file_val {
                    Some(v) => (v, from_file(key)),
                    None => return Ok(default),
                },
            };
            if v == 0 || v > max {
                bail!("{src}: {v} is out of range (1 to {max})");
            }
            Ok(v)
        };
        let secret_file =
            |env_key: &str, file_val: Option<PathBuf>, key: &str| -> Result<Option<String>> {
                match std::env::var_os(env_key).filter(|v| !v.is_empty()) {
                    Some(p) => Ok(Some(read_secret(Path::new(&p), env_key)?)),
                    None => match file_val {
                        Some(p) => Ok(Some(read_secret(&p, &from_file(key))?)),
                        None => Ok(None),
                    },
                }
            };
        let mail = match pick(None, "HAVEN_SMTP_URL", file.smtp_url.clone(), "smtp_url") {
            Some((url, _)) => Some(haven_server::features::notices::delivery::MailConfig {
                url,
                password: secret_file(
                    "HAVEN_SMTP_PASSWORD_FILE",
                    file.smtp_password_file.clone(),
                    "smtp_password_file",
                )?,
                from: pick(None, "HAVEN_MAIL_FROM", file.mail_from.clone(), "mail_from")
                    .map_or_else(|| "Haven <notices@haven.invalid>".to_owned(), |v| v.0),
            }),
            None => None,
        };
        let sms = match pick(None, "HAVEN_SMS_URL", file.sms_url.clone(), "sms_url") {
            Some((url, _)) => Some(haven_server::features::notices::delivery::SmsConfig {
                url,
                token: secret_file(
                    "HAVEN_SMS_TOKEN_FILE",
                    file.sms_token_file.clone(),
                    "sms_token_file",
                )?,
                from: pick(None, "HAVEN_SMS_FROM", file.sms_from.clone(), "sms_from")
                    .map(|v| v.0)
                    .unwrap_or_default(),
            }),
            None => None,
        };
        let sms_inbound_token = secret_file(
            "HAVEN_SMS_INBOUND_TOKEN_FILE",
            file.sms_inbound_token_file.clone(),
            "sms_inbound_token_file",
        )?
        .map(haven_server::features::notices::delivery::WebhookToken::new);
        let trusted_proxies = match env("HAVEN_TRUSTED_PROXIES") {
            Some((v, src)) => v
                .split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| {
                    haven_server::features::account::throttle::IpNet::parse(p)
                        .map_err(|e| anyhow::anyhow!("{src}: {e}"))
                })
                .collect::<Result<Vec<_>>>()?,
            None => file
                .trusted_proxies
                .iter()
                .flatten()
                .map(|p| {
                    haven_server::features::account::throttle::IpNet::parse(p)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", from_file("trusted_proxies")))
                })
                .collect::<Result<Vec<_>>>()?,
        };
        // Refuse an unreadable SMTP or SMS setting at start-up, not at the
        // first message.
        haven_server::features::notices::delivery::Transports::new(mail.clone(), sms.clone())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let audit_checkpoint = std::env::var_os("HAVEN_AUDIT_CHECKPOINT_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or(file.audit_checkpoint_file.clone());
        Ok(Self {
            mail,
            sms,
            sms_inbound_token,
            trusted_proxies,
            audit_checkpoint,
            recording_max_mib: number(
                "HAVEN_RECORDING_MAX_MIB",
                file.recording_max_mib,
                "recording_max_mib",
                2048,
                64 * 1024,
            )?,
            data_dir,
            database_url,
            master_key_file,
            listen,
            metrics_listen,
            public_url,
            quick_exit_url,
            log_level,
            log_format,
            idle_timeout_minutes: number(
                "HAVEN_SESSION_IDLE_TIMEOUT_MINUTES",
                file.session.idle_timeout_minutes,
                "session.idle_timeout_minutes",
                30,
                24 * 60,
            )?,
            absolute_timeout_hours: number(
                "HAVEN_SESSION_ABSOLUTE_TIMEOUT_HOURS",
                file.session.absolute_timeout_hours,
                "session.absolute_timeout_hours",
                12,
                24 * 7,
            )?,
            max_connections: number(
                "HAVEN_DATABASE_MAX_CONNECTIONS",
                file.database.max_connections,
                "database.max_connections",
                16,
                1000,
            )?,
            sqlite_readers: number(
                "HAVEN_DATABASE_SQLITE_READERS",
                file.database.sqlite_readers,
                "database.sqlite_readers",
                4,
                64,
            )?,
            attachment_max_mib: number(
                "HAVEN_ATTACHMENT_MAX_MIB",
                file.attachment_max_mib,
                "attachment_max_mib",
                10,
                1024,
            )?,
            reminder_days_ahead: number(
                "HAVEN_REMINDER_DAYS_AHEAD",
                file.reminder_days_ahead,
                "reminder_days_ahead",
                14,
                365,
            )?,
            referral_reminder_hours: number(
                "HAVEN_REFERRAL_REMINDER_HOURS",
                file.referral_reminder_hours,
                "referral_reminder_hours",
                48,
                720,
            )?,
        })
    }

    /// Served over TLS (directly or behind a TLS-terminating proxy).
    #[must_use]
    pub fn tls(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https")
    }
}

fn read_file(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end()))
}

fn parse_addr(v: &str, src: &str) -> Result<SocketAddr> {
    v.parse()
        .with_context(|| format!("{src}: \"{v}\" is not an address and port like 127.0.0.1:8080"))
}

fn parse_url(v: &str, src: &str) -> Result<url::Url> {
    let u = url::Url::parse(v).with_context(|| format!("{src}: \"{v}\" is not a URL"))?;
    if !matches!(u.scheme(), "http" | "https") {
        bail!("{src}: \"{v}\" must start with http:// or https://");
    }
    Ok(u)
}
