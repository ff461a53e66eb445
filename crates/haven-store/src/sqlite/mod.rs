//! The embedded SQLite store.
//!
//! One writer connection and a small pool of read-only readers, all in WAL
//! mode. `synchronous = FULL`: in WAL mode, NORMAL already survives a killed
//! process, but not a power cut or kernel panic, which can drop the last
//! transactions after they were acknowledged. FULL syncs the WAL on every
//! commit, so an acknowledged write survives both. It costs throughput
//! (about 7,000 single-row commits/s on this class of disk), which Haven's
//! write rates are far below, and batching recovers it where needed.

/// The ids of the cases granted to a user other than by supervising their
/// organization: the policy filter's (`case_filter`) team and release
/// grounds, deduplicated, for the deadline list. (The caseload reads the
/// team ground from `team_caseloads` and adds [`released_case_ids`].)
/// Parameters: ?1 user, ?3 mine only, ?4 the user's organization, ?5 now,
/// ?6 today, ?7 roles (comma-separated).
macro_rules! granted_case_ids {
    () => {
        concat!(
            "SELECT case_id FROM case_team WHERE user_id = ?1 UNION ",
            released_case_ids!()
        )
    };
}

/// The release grounds alone (to the user's organization or one of their
/// roles; none for "mine only"), deduplicated among themselves. Parameters
/// as [`granted_case_ids`].
macro_rules! released_case_ids {
    () => {
        "SELECT k.case_id FROM consents k
           WHERE NOT ?3 AND k.recipient_org = ?4
             AND (k.revoked_at IS NULL OR k.revoked_at > ?5) AND k.signed_on <= ?6 AND ?6 <= k.expires_on
         UNION SELECT k.case_id FROM consents k
           WHERE NOT ?3 AND k.recipient_role IS NOT NULL
             AND instr(',' || ?7 || ',', ',' || k.recipient_role || ',') > 0
             AND (k.revoked_at IS NULL OR k.revoked_at > ?5) AND k.signed_on <= ?6 AND ?6 <= k.expires_on"
    };
}

/// The shared store code's names on SQLite (see `crate::backend`).
macro_rules! sql {
    ($s:expr) => {{
        static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        SQL.get_or_init(|| crate::backend::sqlite_params($s))
            .as_str()
    }};
}

/// A write transaction on the one writer connection, named `$tx`.
macro_rules! write_tx {
    ($store:expr, $tx:ident) => {
        let mut guard = $store.write().await?;
        let mut $tx = guard.begin().await?;
    };
}

/// A read-only connection for one statement.
macro_rules! reader {
    ($store:expr) => {
        &mut *$store.read().await?
    };
}

/// A read-only connection for several statements, named `$conn`.
macro_rules! read_conn {
    ($store:expr, $conn:ident) => {
        let mut $conn = $store.read().await?;
    };
}

/// The writer connection for one statement.
macro_rules! writer {
    ($store:expr) => {
        &mut *$store.write().await?
    };
}

/// The aggregate that joins text with a separator.
macro_rules! string_agg {
    () => {
        "group_concat"
    };
}

/// `IN` a list of ids bound as [`id_list`].
macro_rules! in_ids {
    () => {
        "IN (SELECT unhex(value) FROM json_each($1))"
    };
}

/// Ids as one parameter: a JSON array of hex strings.
pub(crate) fn id_list(ids: &[haven_domain::UserId]) -> crate::StoreResult<String> {
    let hex: Vec<String> = ids
        .iter()
        .map(|u| u.as_uuid().simple().to_string())
        .collect();
    serde_json::to_string(&hex).map_err(|_| crate::StoreError::Corrupt("user ids"))
}

pub(crate) type DbConn = sqlx::SqliteConnection;

/// The position of a text in another (0: absent).
macro_rules! strpos {
    () => {
        "instr"
    };
}

/// What a claim adds so that two instances take different rows.
macro_rules! skip_locked {
    () => {
        ""
    };
}

/// The names the shared store code (`crate::shared`) is written against.
pub(crate) type Store = SqliteStore;
pub(crate) type DbRow = sqlx::sqlite::SqliteRow;
pub(crate) type Db = sqlx::Sqlite;

/// The roles a release may name, as the SQL's role list (comma-separated).
pub(crate) fn role_list(roles: &[haven_domain::Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

mod audit;
mod case_page;
mod cases;
mod directory;
mod funds;
mod interview;
mod keys;
mod people;
mod record;
mod relief;
mod reserve;
mod rows;
mod sign_in;
mod snapshot;

use crate::migrate::{self, SchemaStatus};
use crate::{Backend, OpenOptions, SchemaStore, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Row};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

pub struct SqliteStore {
    writer: SqlitePool,
    /// How a reader connects (a backup opens one of its own).
    read_only: SqliteConnectOptions,
    readers: Arc<snapshot::Readers>,
    audit_reader: Arc<snapshot::Readers>,
    gens: Arc<snapshot::Generations>,
    path: PathBuf,
    /// Room kept for the audit log when the disk fills (see [`reserve`]).
    reserve: Arc<reserve::Reserve>,
    /// The test size limit in pages (0: none).
    page_limit: Arc<std::sync::atomic::AtomicU64>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`.
    ///
    /// # Errors
    /// The directory cannot be created or written, or the file is not a
    /// SQLite database.
    pub async fn open(path: &Path, options: &OpenOptions) -> StoreResult<Self> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(|e| {
            StoreError::Config(format!(
                "cannot create the data directory {}: {e}",
                dir.display()
            ))
        })?;
        check_writable(&dir)?;
        private_files(&dir, path)?;

        let base = SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let writer_options = base
            .clone()
            .create_if_missing(true)
            // A 64 MiB page cache: index inserts at scale (blind indexes,
            // match keys) touch pages all over the file; the default 2 MiB
            // cache turns each into a read and a write.
            .pragma("cache_size", "-65536")
            // The WAL is cut back to this size whenever it starts over (the
            // sweeper's checkpoints make it start over every few seconds
            // under load), so its file stays bounded (issue 23).
            .pragma(
                "journal_size_limit",
                (u64::from(options.sqlite_wal_limit_mib) * 1024 * 1024).to_string(),
            );
        // Tests make the database "full" without filling a disk, and give
        // the room back later: every new writer connection takes the limit.
        let page_limit = Arc::new(std::sync::atomic::AtomicU64::new(
            options.sqlite_max_page_count.unwrap_or(0),
        ));
        let limit = Arc::clone(&page_limit);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                let pages = limit.load(std::sync::atomic::Ordering::Acquire);
                Box::pin(async move {
                    if pages > 0 {
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "PRAGMA max_page_count = {pages}"
                        )))
                        .execute(conn)
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(writer_options)
            .await
            .map_err(|e| not_a_database(path, &e))?;
        // Readers read through their page cache, not a memory map: SQLite
        // unmaps a connection's map whenever it starts a snapshot after a
        // commit, and faulting the file in again page by page costs about
        // what the copies save. Measured at 1,000,000 cases, with SQLite
        // built with a page cache per connection (`.cargo/config.toml`): no
        // map gave the same throughput and shorter tails than 2 GiB or a map
        // of the whole file.
        let gens = Arc::new(snapshot::Generations::default());
        let read_only = base.read_only(true).pragma("cache_size", "-262144");
        let readers = snapshot::Readers::open(
            &read_only,
            options.sqlite_readers,
            Arc::clone(&gens),
            Some(writer.clone()),
        )
        .await
        .map_err(|e| not_a_database(path, &e))?;
        // Reads of the audit log take a new snapshot each time (the sealer
        // several times a second): on a connection of their own, so that the
        // data readers' caches stay warm.
        let audit_reader = snapshot::Readers::open(&read_only, 1, Arc::clone(&gens), None)
            .await
            .map_err(|e| not_a_database(path, &e))?;
        let store = Self {
            writer,
            read_only,
            readers,
            audit_reader,
            gens,
            path: path.to_path_buf(),
            page_limit,
            reserve: Arc::new(reserve::Reserve::new(
                path,
                u64::from(options.sqlite_reserve_mib) * 1024 * 1024,
            )),
        };
        // Touch the schema so that a non-database file fails here, clearly.
        sqlx::query("SELECT count(*) FROM sqlite_schema")
            .fetch_one(&mut *store.read().await?)
            .await
            .map_err(|e| not_a_database(path, &e))?;
        Ok(store)
    }

    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The writer, for a write of data: readers see it once it is committed.
    /// Refused at once while the disk is full.
    pub(crate) async fn write(&self) -> StoreResult<snapshot::WriteGuard> {
        if self.reserve.refuses() {
            return Err(StoreError::Full);
        }
        Ok(snapshot::WriteGuard::new(
            self.writer.acquire().await?,
            Arc::clone(&self.gens),
            false,
            Arc::clone(&self.reserve),
        ))
    }

    /// For tests: changes the size limit of the database in pages (0: none),
    /// as if a disk filled or space came back.
    ///
    /// # Errors
    /// When the writer cannot be reached.
    pub async fn set_max_page_count(&self, pages: u64) -> StoreResult<()> {
        self.page_limit
            .store(pages, std::sync::atomic::Ordering::Release);
        let pages = if pages == 0 {
            u64::from(u32::MAX)
        } else {
            pages
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "PRAGMA max_page_count = {pages}"
        )))
        .execute(&mut *self.write_audit().await?)
        .await?;
        Ok(())
    }

    /// The writer, for audit entries only: readers of data keep their
    /// snapshots (see [`snapshot`]).
    pub(crate) async fn write_audit(&self) -> StoreResult<snapshot::WriteGuard> {
        Ok(snapshot::WriteGuard::new(
            self.writer.acquire().await?,
            Arc::clone(&self.gens),
            true,
            Arc::clone(&self.reserve),
        ))
    }

    /// A reader that sees every acknowledged write of data.
    pub(crate) async fn read(&self) -> StoreResult<snapshot::ReadGuard<'_>> {
        self.readers.get().await
    }

    /// A reader with a new snapshot, for the audit log: it sees every entry
    /// and every change, whoever made them.
    pub(crate) async fn read_audit(&self) -> StoreResult<snapshot::ReadGuard<'_>> {
        self.audit_reader.get().await
    }
}

fn check_writable(dir: &Path) -> StoreResult<()> {
    let probe = dir.join(format!(".haven-write-check-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| {
            StoreError::Config(format!(
                "the data directory {} is not writable: {e}",
                dir.display()
            ))
        })
}

fn not_a_database(path: &Path, e: &sqlx::Error) -> StoreError {
    StoreError::Unavailable(format!(
        "cannot open the SQLite database {}: {e}",
        path.display()
    ))
}

/// Bytes as a hex JSON string, for batches unpacked with `json_each` and
/// `unhex` (one statement per batch instead of one per row).
pub(crate) fn hex_json(b: &[u8]) -> serde_json::Value {
    serde_json::Value::String(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// SQLite keeps times as milliseconds since the epoch, UTC.
pub(crate) use crate::backend::row::{from_millis, to_millis};

async fn applied_versions(conn: &mut sqlx::SqliteConnection) -> StoreResult<Vec<i64>> {
    let exists: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'haven_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if exists == 0 {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_scalar("SELECT version FROM haven_migrations")
        .fetch_all(&mut *conn)
        .await?)
}

#[async_trait]
impl SchemaStore for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn disk_full(&self) -> bool {
        self.reserve.is_full()
    }

    async fn migrate(&self) -> StoreResult<SchemaStatus> {
        let mut conn = self.write().await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS haven_migrations (
                version INTEGER PRIMARY KEY NOT NULL,
                name TEXT NOT NULL,
                applied_at INTEGER NOT NULL
            ) STRICT",
        )
        .execute(&mut *conn)
        .await?;
        let status = SchemaStatus::new(applied_versions(&mut conn).await?, migrate::SQLITE);
        if !status.unknown().is_empty() {
            return Err(StoreError::Config(format!(
                "the database has migrations {:?} that this Haven does not know: it was used by a newer version",
                status.unknown()
            )));
        }
        for m in migrate::SQLITE
            .iter()
            .filter(|m| status.pending().contains(&m.version))
        {
            let mut tx = conn.begin().await?;
            sqlx::raw_sql(m.sql).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO haven_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            )
            .bind(m.version)
            .bind(m.name)
            .bind(to_millis(OffsetDateTime::now_utc()))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            tracing::info!(version = m.version, name = m.name, "applied migration");
        }
        drop(conn);
        self.schema_status().await
    }

    async fn schema_status(&self) -> StoreResult<SchemaStatus> {
        let mut conn = self.read().await?;
        Ok(SchemaStatus::new(
            applied_versions(&mut conn).await?,
            migrate::SQLITE,
        ))
    }

    async fn ping(&self) -> StoreResult<()> {
        let one: i64 = sqlx::query("SELECT 1")
            .fetch_one(&mut *self.read().await?)
            .await?
            .try_get(0)?;
        debug_assert_eq!(one, 1);
        Ok(())
    }

    async fn backup_to(&self, dest: &Path) -> StoreResult<()> {
        if dest.exists() {
            return Err(StoreError::Config(format!(
                "{} already exists; choose a new file for the backup",
                dest.display()
            )));
        }
        // VACUUM INTO accepts an empty file: made first, readable only by
        // Haven's user, it gives the backup that mode.
        new_private_file(dest)
            .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", dest.display())))?;
        let dest_str = dest
            .to_str()
            .ok_or_else(|| StoreError::Config("the backup path must be valid UTF-8".to_owned()))?;
        // VACUUM INTO writes a consistent snapshot while the server keeps
        // serving: readers and the writer are not blocked. It runs on a
        // connection of its own: on a pooled reader the sweeper's checkpoint
        // round would wait for it, and every read behind the sweeper.
        let mut conn = self.read_only.connect().await?;
        sqlx::query("VACUUM INTO ?")
            .bind(dest_str)
            .execute(&mut conn)
            .await?;
        sqlx::Connection::close(conn).await?;
        Ok(())
    }

    async fn close(&self) {
        self.readers.close().await;
        self.audit_reader.close().await;
        self.writer.close().await;
    }
}

/// A new, empty file readable and writable only by its owner.
fn new_private_file(path: &Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path).map(drop)
}

/// The data directory (0700) and the database with its WAL and shared
/// memory (0600) are Haven's user's alone: a database file others may read is
/// a copy of every ciphertext and every plaintext column for anyone on the
/// machine. SQLite gives the `-wal` and `-shm` files the database file's
/// mode, so the database is created empty with 0600 before SQLite opens it.
fn private_files(dir: &Path, db: &Path) -> StoreResult<()> {
    let fail = |what: &Path, e: std::io::Error| {
        StoreError::Config(format!(
            "cannot restrict {} to its owner: {e}",
            what.display()
        ))
    };
    if !db.exists() {
        match new_private_file(db) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(fail(db, e)),
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let tighten = |p: &Path, mode: u32| -> StoreResult<()> {
            match std::fs::metadata(p) {
                Ok(m) if m.permissions().mode() & 0o777 != mode => {
                    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
                        .map_err(|e| fail(p, e))
                }
                _ => Ok(()),
            }
        };
        // Never the working directory itself: only a directory named for Haven.
        if dir != Path::new(".") {
            tighten(dir, 0o700)?;
        }
        tighten(db, 0o600)?;
        for side in ["-wal", "-shm"] {
            let mut p = db.as_os_str().to_owned();
            p.push(side);
            tighten(Path::new(&p), 0o600)?;
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
