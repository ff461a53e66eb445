//! The PostgreSQL store, for several Haven instances sharing one database.
//!
//! Nothing here relies on process memory for correctness: sessions live in
//! the database and migrations are serialized with an advisory lock.

/// The ids of the cases granted to a user other than by supervising their
/// organization: the policy filter's (`case_filter`) team and release
/// grounds, deduplicated, for the deadline list. (The caseload reads the
/// team ground from `team_caseloads` and adds [`released_case_ids`].)
/// Parameters: $1 user, $3 mine only, $4 the user's organization, $5 now,
/// $6 today, $7 roles.
macro_rules! granted_case_ids {
    () => {
        concat!(
            "SELECT case_id FROM case_team WHERE user_id = $1 UNION ",
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
           WHERE NOT $3 AND k.recipient_org = $4
             AND (k.revoked_at IS NULL OR k.revoked_at > $5) AND k.signed_on <= $6 AND $6 <= k.expires_on
         UNION SELECT k.case_id FROM consents k
           WHERE NOT $3 AND k.recipient_role IS NOT NULL
             AND k.recipient_role = ANY($7)
             AND (k.revoked_at IS NULL OR k.revoked_at > $5) AND k.signed_on <= $6 AND $6 <= k.expires_on"
    };
}

/// The shared store code's names on PostgreSQL (see `crate::backend`).
macro_rules! sql {
    ($s:expr) => {
        $s
    };
}

/// A write transaction from the pool, named `$tx`.
macro_rules! write_tx {
    ($store:expr, $tx:ident) => {
        let mut $tx = $store.pool().begin().await?;
    };
}

/// The pool, for one statement.
macro_rules! reader {
    ($store:expr) => {
        $store.pool()
    };
}

/// A read-only connection for several statements, named `$conn`.
macro_rules! read_conn {
    ($store:expr, $conn:ident) => {
        let mut $conn = $store.pool().acquire().await?;
    };
}

/// The pool, for one statement.
macro_rules! writer {
    ($store:expr) => {
        $store.pool()
    };
}

/// The aggregate that joins text with a separator.
macro_rules! string_agg {
    () => {
        "string_agg"
    };
}

/// `IN` a list of ids bound as [`id_list`].
macro_rules! in_ids {
    () => {
        "= ANY($1)"
    };
}

/// Ids as one parameter: an array.
pub(crate) fn id_list(ids: &[haven_domain::UserId]) -> crate::StoreResult<Vec<uuid::Uuid>> {
    Ok(ids.iter().map(|u| *u.as_uuid()).collect())
}

pub(crate) type DbConn = sqlx::PgConnection;

/// The position of a text in another (0: absent).
macro_rules! strpos {
    () => {
        "strpos"
    };
}

/// What a claim adds so that two instances take different rows.
macro_rules! skip_locked {
    () => {
        " FOR UPDATE SKIP LOCKED"
    };
}

/// The names the shared store code (`crate::shared`) is written against.
pub(crate) type Store = PgStore;
pub(crate) type DbRow = sqlx::postgres::PgRow;
pub(crate) type Db = sqlx::Postgres;

/// The roles a release may name, as the SQL's role list (an array).
pub(crate) fn role_list(roles: &[haven_domain::Role]) -> Vec<&'static str> {
    roles.iter().map(|r| r.as_str()).collect()
}

mod audit;
mod cases;
#[macro_use]
mod directory;
#[macro_use]
mod funds;
mod import;
#[macro_use]
mod interview;
mod keys;
mod people;
mod sign_in;
#[macro_use]
mod record;
mod relief;
mod rows;
// Last: it reads the row macros of `directory`, `funds`, `interview` and `record`.
mod case_page;

use crate::migrate::{self, SchemaStatus};
use crate::{Backend, DatabaseTarget, OpenOptions, SchemaStore, StoreError, StoreResult};
use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Connection, Row};
use std::path::Path;
use std::time::Duration;

/// Advisory lock key that serializes `migrate` across instances ("HAVEN").
const MIGRATION_LOCK: i64 = 0x0048_4156_454e;

/// How long a pooled connection may sit idle and still be used without a
/// ping first (see [`PgStore::connect`]). Under load connections come back
/// within milliseconds; a quiet server checks them as before.
const IDLE_PING: Duration = Duration::from_secs(1);

/// How long a request waits for a connection: a full pool or an unreachable
/// server is a 503 after this.
const ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1500);

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects a pool and checks the server answers.
    ///
    /// # Errors
    /// The server cannot be reached or refuses the credentials.
    pub async fn connect(url: &str, options: &OpenOptions) -> StoreResult<Self> {
        let shown = DatabaseTarget::Postgres {
            url: url.to_owned(),
        };
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            // An outage is answered within about a second, not after the
            // five seconds sqlx would keep retrying (issue 23).
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // sqlx pings a connection when it is returned to the pool, and by
            // default again when it is taken out: a third round trip for every
            // statement (measured: the two pings were a fifth of the server's
            // CPU on a case page).
            // A connection returned within the last IDLE_PING was checked
            // then; one idle longer (a restarted server, a firewall's idle
            // cut) is pinged before use, so that it is replaced, not failed.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= IDLE_PING {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect(url)
            .await
            .map_err(|e| {
                StoreError::Unavailable(format!("cannot connect to PostgreSQL at {shown}: {e}"))
            })?;
        Ok(Self { pool })
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }
}

async fn applied_versions(conn: &mut sqlx::PgConnection) -> StoreResult<Vec<i64>> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('haven_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_scalar("SELECT version FROM haven_migrations")
        .fetch_all(&mut *conn)
        .await?)
}

#[async_trait]
impl SchemaStore for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn migrate(&self) -> StoreResult<SchemaStatus> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        let result = async {
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS haven_migrations (
                    version BIGINT PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )",
            )
            .execute(&mut *conn)
            .await?;
            let status = SchemaStatus::new(applied_versions(&mut conn).await?, migrate::POSTGRES);
            if !status.unknown().is_empty() {
                return Err(StoreError::Config(format!(
                    "the database has migrations {:?} that this Haven does not know: it was used by a newer version",
                    status.unknown()
                )));
            }
            for m in migrate::POSTGRES.iter().filter(|m| status.pending().contains(&m.version)) {
                let mut tx = conn.begin().await?;
                sqlx::raw_sql(m.sql).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO haven_migrations (version, name) VALUES ($1, $2)")
                    .bind(m.version)
                    .bind(m.name)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                tracing::info!(version = m.version, name = m.name, "applied migration");
            }
            Ok(())
        }
        .await;
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
        result?;
        self.schema_status().await
    }

    async fn schema_status(&self) -> StoreResult<SchemaStatus> {
        let mut conn = self.pool.acquire().await?;
        Ok(SchemaStatus::new(
            applied_versions(&mut conn).await?,
            migrate::POSTGRES,
        ))
    }

    async fn ping(&self) -> StoreResult<()> {
        let one: i32 = sqlx::query("SELECT 1")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        debug_assert_eq!(one, 1);
        Ok(())
    }

    async fn backup_to(&self, _dest: &Path) -> StoreResult<()> {
        Err(StoreError::Unsupported(
            "haven backup copies SQLite databases; back up PostgreSQL with pg_dump (see the README)",
        ))
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
