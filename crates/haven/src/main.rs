//! The `haven` command: one binary for serving, the demo, and maintenance.

mod config;
mod demo;
mod directory;
mod generate;
mod keys;
mod outbox;
mod relief;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use config::{Config, LogFormat, Overrides};
use haven_domain::{
    AuditAction, AuditEntry, LoginName, OrgKind, Organization, OrganizationId, Role, User, UserId,
};
use haven_server::{AppState, HashCost, SessionPolicy, Settings};
use haven_store::{DatabaseTarget, DynStore, OpenOptions};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use tokio::net::TcpListener;

// mimalloc for every allocation, the bundled SQLite's too (feature
// `override`): glibc's malloc and free were about a tenth of the CPU of a
// loaded server (BENCHMARKS.md, ninth pass).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Haven: victim-centered case management and referrals for human-trafficking response.
///
/// Runs on an embedded SQLite database in a data directory by default, or on
/// PostgreSQL when given a postgres:// URL. Configuration comes from a TOML
/// file (--config, HAVEN_CONFIG, or ./haven.toml), then HAVEN_* environment
/// variables, then these flags; see the README for every key.
#[derive(Parser, Debug)]
#[command(name = "haven", version, about, long_about, max_term_width = 100)]
struct Cli {
    /// Configuration file (TOML).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory for the embedded SQLite database [default: ./haven-data].
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite:PATH or postgres://USER@HOST/DB. Prefer
    /// HAVEN_DATABASE_URL_FILE for URLs that hold a password.
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the web server (migrates the database first).
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Serve Prometheus metrics at /metrics on this separate address.
        #[arg(long, value_name = "ADDR")]
        metrics_listen: Option<String>,
    },
    /// Run the server with a fictional demo data set and print the demo accounts.
    ///
    /// Uses ./haven-demo-data unless --data-dir or --database-url says
    /// otherwise, and refuses a database that holds anything but demo data.
    Demo {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Write a consistent copy of the SQLite database while Haven runs.
    Backup {
        /// The new file to write (must not exist).
        dest: PathBuf,
    },
    /// Replace the SQLite database with a backup. Haven must be stopped.
    Restore {
        /// The backup file to restore.
        source: PathBuf,
        /// Replace an existing database without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Manage the master key and data keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Check the tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// API tokens for programs (an integration, a script).
    #[command(subcommand)]
    Token(TokenCommand),
    /// The immigration-relief and benefits rules engine (no database needed).
    #[command(subcommand)]
    Relief(relief::ReliefCommand),
    /// The service directory (Open Referral HSDS).
    #[command(subcommand)]
    Directory(directory::DirectoryCommand),
    /// Messages waiting to leave Haven (e-mail, SMS).
    #[command(subcommand)]
    Outbox(outbox::OutboxCommand),
    /// Add an organization.
    AddOrg {
        /// Its name.
        name: String,
        /// law_enforcement, ngo or service_provider.
        #[arg(long)]
        kind: String,
    },
    /// Add a staff user; the password is read from standard input.
    AddUser {
        /// Sign-in name (usually an e-mail address).
        login: String,
        /// Name shown to colleagues.
        #[arg(long)]
        name: String,
        /// Organization id (see add-org's output).
        #[arg(long)]
        org: String,
        /// Roles, comma-separated: administrator, supervisor, victim_specialist,
        /// law_enforcement_agent, certifying_official, forensic_interviewer,
        /// provider_staff, analyst.
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
    },
    /// Fill an empty database with a fictional data set for benchmarks, and
    /// write a manifest of benchmark accounts with signed-in sessions.
    Generate {
        /// Persons (each with one case).
        #[arg(long, default_value_t = 10_000)]
        persons: u64,
        /// Timeline events per case.
        #[arg(long, default_value_t = 10)]
        events_per_case: u32,
        /// Organizations [default: one per 10,000 persons].
        #[arg(long)]
        organizations: Option<u32>,
        /// Cases each specialist owns.
        #[arg(long, default_value_t = 100)]
        cases_per_specialist: u32,
        /// Specialists (and supervisors) to sign in for the load driver.
        #[arg(long, default_value_t = 32)]
        sessions: u32,
        /// Where to write the manifest (JSON, readable by you only).
        #[arg(long)]
        manifest: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Make an API token for a staff account and print it once. It acts as
    /// that person, narrowed to its scopes; making it is audited.
    Create {
        /// The account's sign-in name.
        #[arg(long, value_name = "LOGIN")]
        user: String,
        /// Comma-separated: admin:read, admin:write, cases:read, cases:write,
        /// directory:read, referrals:read, referrals:write.
        #[arg(long, value_name = "SCOPES", value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// Days until it expires (1 to 366), or the date it expires
        /// (YYYY-MM-DD).
        #[arg(long, value_name = "DAYS|DATE", default_value = "30")]
        expires: String,
        /// What the token is for, as the account's token list shows it.
        #[arg(long, value_name = "NAME", default_value = "Made by an operator")]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Create the master key file (master_key_file, default DATA_DIR/master.key)
    /// and the first data key. `haven serve` does this by itself on a new
    /// installation; back the file up apart from the database.
    Init,
    /// Add a new data key and re-encrypt every protected value with it, in
    /// batches, while servers keep running; then retire keys nothing uses.
    Rotate {
        /// Continue an interrupted rotation without adding another key.
        #[arg(long)]
        resume: bool,
        /// Seconds to wait for running servers to pick up the new key.
        #[arg(long, default_value_t = 15)]
        settle_seconds: u64,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Recompute the audit chain and report the first entry that was edited,
    /// deleted or moved, and hold it to the checkpoint file (entries removed
    /// at the end, or removed and chained again). Exits 0 when intact, 2
    /// when broken.
    Verify,
    /// Chain entries recorded while no server was running (never entries
    /// the checkpoint shows were chained before).
    Seal,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Command::Relief(cmd) = &cli.command {
        return match relief::run(cmd) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(Outcome::Done) => std::process::ExitCode::SUCCESS,
        Ok(Outcome::AuditBroken) => std::process::ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

pub(crate) enum Outcome {
    Done,
    AuditBroken,
}

async fn run(cli: Cli) -> Result<Outcome> {
    let mut flags = Overrides {
        config_file: cli.config,
        data_dir: cli.data_dir,
        database_url: cli.database_url,
        ..Overrides::default()
    };
    match &cli.command {
        Command::Serve {
            listen,
            metrics_listen,
        } => {
            flags.listen.clone_from(listen);
            flags.metrics_listen.clone_from(metrics_listen);
        }
        Command::Demo { listen } => {
            flags.listen.clone_from(listen);
            if flags.data_dir.is_none() && std::env::var_os("HAVEN_DATA_DIR").is_none() {
                flags.data_dir = Some(PathBuf::from("haven-demo-data"));
            }
        }
        _ => {}
    }
    let config = Config::load(&flags)?;
    init_logging(&config);
    let target = DatabaseTarget::parse(config.database_url.as_deref(), &config.data_dir)?;

    match cli.command {
        Command::Serve { .. } => serve(&config, &target, false).await.map(|()| Outcome::Done),
        Command::Demo { .. } => serve(&config, &target, true).await.map(|()| Outcome::Done),
        // Handled in `main` before any configuration is read.
        Command::Relief(_) => Ok(Outcome::Done),
        Command::Keys(KeysCommand::Init) => {
            let store = open_migrated(&config, &target).await?;
            keys::init(&config.master_key_file, &store).await?;
            println!(
                "created {}: back it up, apart from the database",
                config.master_key_file.display()
            );
            store.close().await;
            Ok(Outcome::Done)
        }
        Command::Keys(KeysCommand::Rotate {
            resume,
            settle_seconds,
        }) => {
            let store = open_migrated(&config, &target).await?;
            let keys = keys::load(&config.master_key_file, &store).await?;
            let report = haven_server::keys::rotate(
                &store,
                &keys,
                !resume,
                std::time::Duration::from_secs(settle_seconds),
                500,
            )
            .await?;
            if let Some(k) = report.new_key {
                println!("added data key {k}");
            }
            println!(
                "re-encrypted {} values under key {}",
                report.reencrypted, report.active_key
            );
            for k in &report.retired {
                println!("retired data key {k}: nothing uses it any more");
            }
            store.close().await;
            Ok(Outcome::Done)
        }
        Command::Token(TokenCommand::Create {
            user,
            scopes,
            expires,
            name,
        }) => {
            let store = open_migrated(&config, &target).await?;
            let secret = create_token(&store, &user, &scopes, &expires, name).await;
            store.close().await;
            println!("{}", secret?);
            eprintln!("This token is shown once. Keep it like a password.");
            Ok(Outcome::Done)
        }
        Command::Audit(cmd) => {
            let store = open_migrated(&config, &target).await?;
            let master = keys::read_master(&config.master_key_file)?;
            let chain = haven_server::audit::AuditChain::new(&master);
            let checkpoint_file = config.audit_checkpoint_file();
            let checkpoint = chain
                .load_checkpoint(&checkpoint_file)
                .map_err(|e| anyhow::anyhow!("the audit checkpoint: {e}"))?;
            let outcome = match cmd {
                AuditCommand::Seal => {
                    let n = chain.seal_pending(&store, 10_000).await?;
                    chain.save_checkpoint(&checkpoint_file)?;
                    println!("chained {n} entries");
                    Outcome::Done
                }
                AuditCommand::Verify => {
                    match &checkpoint {
                        Some(cp) => println!(
                            "checkpoint: entry {} ({})",
                            cp.seq,
                            checkpoint_file.display()
                        ),
                        None => println!(
                            "no checkpoint at {}: a removed tail cannot be detected",
                            checkpoint_file.display()
                        ),
                    }
                    let report = chain.verify_against(&store, checkpoint.as_ref()).await?;
                    println!("checked {} entries", report.checked);
                    if report.unsealed > 0 {
                        println!(
                            "{} recent entries are not chained yet (run `haven audit seal` if no server is running)",
                            report.unsealed
                        );
                    }
                    match report.first_problem {
                        Some(problem) => {
                            println!("AUDIT LOG TAMPERED: {problem}");
                            Outcome::AuditBroken
                        }
                        None => {
                            if let Some((seq, hash)) = report.head {
                                let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
                                println!("intact; head is entry {seq} with hash {hex}");
                            } else {
                                println!("intact; the log is empty");
                            }
                            Outcome::Done
                        }
                    }
                }
            };
            store.close().await;
            Ok(outcome)
        }
        Command::Generate {
            persons,
            events_per_case,
            organizations,
            cases_per_specialist,
            sessions,
            manifest,
        } => {
            let store = open_migrated(&config, &target).await?;
            let keys = keys::load(&config.master_key_file, &store).await?;
            let hasher = haven_server::Hasher::new(haven_server::HashCost::PRODUCTION);
            let hash = hasher.hash(generate::BENCH_PASSWORD.to_owned()).await;
            let options = generate::Options {
                persons,
                events_per_case,
                organizations: organizations
                    .unwrap_or_else(|| u32::try_from(persons.div_ceil(10_000)).unwrap_or(1)),
                cases_per_specialist,
                sessions,
            };
            let m = generate::generate(&store, &keys.current(), &hash, &options).await?;
            generate::write_manifest(&manifest, &m)?;
            println!(
                "generated {} persons and cases with {} timeline events in {} organizations; manifest: {}",
                m.persons,
                m.events,
                m.organizations,
                manifest.display()
            );
            store.close().await;
            Ok(Outcome::Done)
        }
        Command::Directory(cmd) => {
            let database_exists = match &target {
                DatabaseTarget::Sqlite { path } => path.exists(),
                _ => true,
            };
            if let Some(outcome) = directory::run_without_database(&cmd, database_exists)? {
                return Ok(outcome);
            }
            let (store, state) = cli_state(&config, &target).await?;
            let outcome = directory::run(&state, cmd).await;
            store.close().await;
            outcome
        }
        Command::Outbox(cmd) => {
            let (store, state) = cli_state(&config, &target).await?;
            let outcome = outbox::run(&state, cmd).await.map(|()| Outcome::Done);
            store.close().await;
            outcome
        }
        Command::Migrate => {
            let store = open(&config, &target).await?;
            let status = store.migrate().await?;
            println!(
                "{target}: schema at version {}",
                status.applied.last().copied().unwrap_or(0)
            );
            store.close().await;
            Ok(Outcome::Done)
        }
        Command::Backup { dest } => backup(&config, &target, &dest)
            .await
            .map(|()| Outcome::Done),
        Command::Restore { source, yes } => {
            restore(&target, &source, yes).await?;
            // A restore takes the audit chain back to the backup's head: the
            // checkpoint of the later chain is kept aside, not held against it.
            let cp = config.audit_checkpoint_file();
            if cp.exists() {
                let aside = cp.with_extension(format!(
                    "json.before-restore-{}",
                    haven_domain::now().unix_timestamp()
                ));
                std::fs::rename(&cp, &aside)
                    .with_context(|| format!("moving {} aside", cp.display()))?;
                println!(
                    "the audit checkpoint of the replaced database is kept as {}",
                    aside.display()
                );
            }
            Ok(Outcome::Done)
        }
        Command::AddOrg { name, kind } => {
            let kind = OrgKind::parse(&kind).with_context(|| {
                format!("--kind: \"{kind}\" is not law_enforcement, ngo or service_provider")
            })?;
            let store = open_migrated(&config, &target).await?;
            let org = Organization {
                id: OrganizationId::new(),
                name,
                kind,
                created_at: haven_domain::now(),
            };
            let audit =
                AuditEntry::new(AuditAction::OrganizationCreated).on("organization", org.id);
            store.create_organization(&org, &audit).await?;
            println!("{}", org.id);
            store.close().await;
            Ok(Outcome::Done)
        }
        Command::AddUser {
            login,
            name,
            org,
            roles,
        } => {
            let login = LoginName::parse(&login).map_err(|e| anyhow::anyhow!("login: {e}"))?;
            let org: OrganizationId = org
                .parse()
                .map_err(|_| anyhow::anyhow!("--org: not an organization id"))?;
            let roles = roles
                .iter()
                .map(|r| {
                    Role::parse(r.trim()).with_context(|| format!("--roles: \"{r}\" is not a role"))
                })
                .collect::<Result<Vec<_>>>()?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.chars().count() < 12 {
                bail!("password: use at least 12 characters");
            }
            let store = open_migrated(&config, &target).await?;
            if store.organization(org).await?.is_none() {
                bail!("--org: no organization has this id");
            }
            let hasher = haven_server::Hasher::new(HashCost::PRODUCTION);
            let user = User {
                id: UserId::new(),
                organization_id: org,
                login,
                display_name: name,
                roles,
                password_hash: hasher.hash(password.to_owned()).await,
                disabled: false,
                created_at: haven_domain::now(),
            };
            let audit = AuditEntry::new(AuditAction::UserCreated).on("user", user.id);
            store.create_user(&user, &audit).await?;
            println!("{}", user.id);
            store.close().await;
            Ok(Outcome::Done)
        }
    }
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::new(&config.log_level);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// `haven token create`: checks the account, the scopes and the expiry,
/// stores the token's hash with its audit entry, returns the secret.
async fn create_token(
    store: &DynStore,
    login: &str,
    scopes: &[String],
    expires: &str,
    name: String,
) -> Result<String> {
    let login_name = LoginName::parse(login)
        .with_context(|| format!("--user: \"{login}\" is not a sign-in name"))?;
    let user = store
        .user_by_login(&login_name)
        .await?
        .with_context(|| format!("--user: no account signs in as {login}"))?;
    if user.disabled {
        bail!("--user: the account {login} is disabled");
    }
    let scopes = scopes
        .iter()
        .map(|s| {
            haven_domain::policy::Scope::parse(s.trim())
                .with_context(|| format!("--scopes: \"{s}\" is not a scope"))
        })
        .collect::<Result<Vec<_>>>()?;
    let now = haven_domain::now();
    let expires_at = match expires.parse::<i64>() {
        Ok(days) if (1..=366).contains(&days) => now + time::Duration::days(days),
        Ok(_) => bail!("--expires: between 1 and 366 days"),
        Err(_) => {
            let date = time::Date::parse(
                expires,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .with_context(|| {
                format!(
                    "--expires: \"{expires}\" is neither a number of days nor a date YYYY-MM-DD"
                )
            })?;
            let at = date.midnight().assume_utc();
            if at <= now || at > now + time::Duration::days(366) {
                bail!("--expires: a date within the next year");
            }
            at
        }
    };
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("--name: 1 to 100 characters");
    }
    let (token, secret) =
        haven_server::features::account::tokens::mint(user.id, name, scopes, expires_at);
    let audit = AuditEntry::new(AuditAction::ApiTokenCreated).on("api_token", token.id);
    store.create_api_token(&token, &audit).await?;
    Ok(secret)
}

async fn open(config: &Config, target: &DatabaseTarget) -> Result<DynStore> {
    let options = OpenOptions {
        max_connections: config.max_connections,
        sqlite_readers: config.sqlite_readers,
        ..OpenOptions::default()
    };
    Ok(haven_store::open(target, &options).await?)
}

/// The store and a server state for commands that use the services.
async fn cli_state(config: &Config, target: &DatabaseTarget) -> Result<(DynStore, AppState)> {
    let store = open_migrated(config, target).await?;
    let keys = keys::load(&config.master_key_file, &store).await?;
    let state = AppState::new(
        store.clone(),
        Settings::default(),
        HashCost::PRODUCTION,
        keys,
    );
    Ok((store, state))
}

async fn open_migrated(config: &Config, target: &DatabaseTarget) -> Result<DynStore> {
    let store = open(config, target).await?;
    store.migrate().await?;
    Ok(store)
}

/// Held while a server uses a SQLite data directory, so that a restore or a
/// second server cannot swap the file underneath it.
fn lock_data_dir(target: &DatabaseTarget) -> Result<Option<File>> {
    let DatabaseTarget::Sqlite { path } = target else {
        return Ok(None);
    };
    let lock_path = lock_path(path);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot create {}", lock_path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => {
            bail!(
                "another Haven server is using {}; stop it first",
                path.display()
            )
        }
        Err(std::fs::TryLockError::Error(e)) => Err(e).context("locking the data directory"),
    }
}

fn lock_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

async fn serve(config: &Config, target: &DatabaseTarget, demo: bool) -> Result<()> {
    // Validate and create the place for the data before locking it.
    let store = open(config, target).await?;
    let _lock = lock_data_dir(target)?;
    let status = store.migrate().await?;
    tracing::info!(database = %target, schema_version = ?status.applied.last(), "database ready");

    let settings = Settings {
        session: SessionPolicy {
            idle_timeout: time::Duration::minutes(i64::from(config.idle_timeout_minutes)),
            absolute_timeout: time::Duration::hours(i64::from(config.absolute_timeout_hours)),
            secure: config.tls(),
        },
        hsts: config.tls(),
        demo,
        require_mfa: !demo,
        quick_exit_url: config.quick_exit_url.clone(),
        attachment_limit_bytes: config.attachment_max_mib as usize * 1024 * 1024,
        reminder_days_ahead: config.reminder_days_ahead,
        referral_reminder_hours: config.referral_reminder_hours,
        recording_limit_bytes: u64::from(config.recording_max_mib) * 1024 * 1024,
        sms_inbound_token: config.sms_inbound_token.clone(),
        trusted_proxies: config.trusted_proxies.clone(),
        ..Settings::default()
    };
    let keys = keys::load(&config.master_key_file, &store).await?;
    let sealed = haven_server::keys::seal_legacy_consent_purposes(&store, &keys).await?;
    if sealed > 0 {
        tracing::info!(sealed, "release purposes of an older version encrypted");
    }
    let state = AppState::new(store.clone(), settings, HashCost::PRODUCTION, keys);
    let checkpoint_file = config.audit_checkpoint_file();
    if let Some(cp) = state
        .audit
        .load_checkpoint(&checkpoint_file)
        .map_err(|e| anyhow::anyhow!("the audit checkpoint: {e}"))?
    {
        tracing::info!(audit_seq = cp.seq, "audit chain held to its checkpoint");
    } else {
        // A first start, or the file was removed: from now on the chain is
        // held to a new checkpoint; what happened before cannot be checked.
        state.audit.seal_pending(&store, 10_000).await?;
        if state.audit.save_checkpoint(&checkpoint_file)?.is_some() {
            tracing::warn!(
                file = %checkpoint_file.display(),
                "no audit checkpoint was found; a new one holds the chain from now on"
            );
        }
    }
    if demo {
        demo::seed(&state).await?;
    }

    if let Some(addr) = config.metrics_listen {
        let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .context("installing the metrics recorder")?;
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen for metrics on {addr}"))?;
        let app = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || std::future::ready(handle.render())),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        tracing::info!(%addr, "metrics at /metrics");
    }

    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = store.backend().as_str(), "Haven is listening");
    if demo {
        demo::print_accounts(addr);
    }
    // Chain new audit entries about once a second; checkpoint the head
    // every ten seconds.
    let sealer = {
        let (chain, store) = (state.audit.clone(), store.clone());
        let checkpoint_file = checkpoint_file.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            let mut n = 0u64;
            loop {
                tick.tick().await;
                if let Err(e) = chain.seal_pending(&store, 5_000).await {
                    tracing::warn!(error = %e, "audit sealing failed; will retry");
                }
                n += 1;
                if n.is_multiple_of(10)
                    && let Err(e) = chain.save_checkpoint(&checkpoint_file)
                {
                    tracing::warn!(error = %e, "writing the audit checkpoint failed; will retry");
                }
            }
        })
    };
    // Pick up rotated keys.
    let reloader = {
        let (keys, store) = (state.keyring.clone(), store.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                tick.tick().await;
                if let Err(e) = keys.reload(&store).await {
                    tracing::warn!(error = %e, "reloading data keys failed; will retry");
                }
            }
        })
    };
    // Relief deadline reminders (once a day, one instance) and delivery of
    // queued staff notifications (every instance, leased).
    let jobs = {
        let state = state.clone();
        let owner = format!("haven-{}-{}", std::process::id(), uuid_suffix());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
            loop {
                tick.tick().await;
                let now = haven_domain::now();
                if let Err(e) =
                    haven_server::features::relief::queue_reminders(&state, &owner, now).await
                {
                    tracing::warn!(error = ?e.body().message, "queueing reminders failed; will retry");
                }
                if let Err(e) =
                    haven_server::features::referrals::queue_reminders(&state, now).await
                {
                    tracing::warn!(error = ?e.body().message, "queueing referral reminders failed; will retry");
                }
                if let Err(e) =
                    haven_server::features::relief::deliver_messages(&state, &owner, now).await
                {
                    tracing::warn!(error = ?e.body().message, "delivering notifications failed; will retry");
                }
            }
        })
    };
    // Messages that leave Haven (e-mail, SMS): every instance, leased; a
    // full batch is followed at once by the next.
    let transports = haven_server::features::notices::delivery::Transports::new(
        config.mail.clone(),
        config.sms.clone(),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let sender = {
        let state = state.clone();
        let owner = format!("haven-{}-{}", std::process::id(), uuid_suffix());
        tokio::spawn(async move {
            loop {
                let now = haven_domain::now();
                let pause = match haven_server::features::notices::delivery::deliver_due(
                    &state,
                    &transports,
                    &owner,
                    now,
                )
                .await
                {
                    Ok((claimed, _)) if claimed > 0 => std::time::Duration::ZERO,
                    Ok(_) => std::time::Duration::from_secs(2),
                    Err(e) => {
                        tracing::warn!(error = ?e.body().message, "delivering messages failed; will retry");
                        std::time::Duration::from_secs(5)
                    }
                };
                tokio::time::sleep(pause).await;
            }
        })
    };
    haven_server::serve(listener, state.clone(), shutdown_signal()).await?;
    sender.abort();
    sealer.abort();
    reloader.abort();
    jobs.abort();
    if let Err(e) = state.audit.seal_pending(&store, 10_000).await {
        tracing::warn!(error = %e, "final audit sealing failed; `haven audit seal` will finish it");
    }
    if let Err(e) = state.audit.save_checkpoint(&checkpoint_file) {
        tracing::warn!(error = %e, "writing the last audit checkpoint failed");
    }
    tracing::info!("stopped accepting requests; closing the database");
    store.close().await;
    Ok(())
}

/// A random suffix naming this process as a job owner.
fn uuid_suffix() -> String {
    let mut b = [0u8; 6];
    let _ = getrandom::fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

async fn backup(config: &Config, target: &DatabaseTarget, dest: &Path) -> Result<()> {
    let DatabaseTarget::Sqlite { path } = target else {
        bail!(
            "haven backup copies SQLite databases; back up PostgreSQL with pg_dump (see the README)"
        );
    };
    if !path.exists() {
        bail!("there is no database at {}", path.display());
    }
    let store = open(config, target).await?;
    store.backup_to(dest).await?;
    store.close().await;
    println!("backed up {} to {}", path.display(), dest.display());
    Ok(())
}

async fn restore(target: &DatabaseTarget, source: &Path, yes: bool) -> Result<()> {
    let DatabaseTarget::Sqlite { path } = target else {
        bail!(
            "haven restore restores SQLite backups; restore PostgreSQL with pg_restore (see the README)"
        );
    };
    if !source.is_file() {
        bail!("{} is not a file", source.display());
    }
    // Check the backup is a Haven database this binary can run, before
    // touching anything.
    let check = haven_store::open(
        &DatabaseTarget::Sqlite {
            path: source.to_path_buf(),
        },
        &OpenOptions::default(),
    )
    .await
    .with_context(|| format!("{} is not a readable SQLite database", source.display()))?;
    let status = check.schema_status().await?;
    check.close().await;
    if status.applied.is_empty() {
        bail!("{} is not a Haven database", source.display());
    }
    if !status.unknown().is_empty() {
        bail!(
            "{} was written by a newer Haven (migrations {:?})",
            source.display(),
            status.unknown()
        );
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let _lock = lock_data_dir(target)?;
    if path.exists() && !yes {
        bail!(
            "{} exists; add --yes to replace it with the backup",
            path.display()
        );
    }
    // Copy beside the target, then rename: the swap is atomic, and a stale
    // WAL from the old database must not be replayed onto the new one.
    let tmp = path.with_extension("db.restoring");
    std::fs::copy(source, &tmp).with_context(|| format!("copying {}", source.display()))?;
    File::open(&tmp)?.sync_all()?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    std::fs::rename(&tmp, path).context("moving the restored database into place")?;
    println!("restored {} from {}", path.display(), source.display());
    Ok(())
}
