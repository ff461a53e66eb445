//! Read connections that keep their snapshot (and so their page cache) until
//! the data they read has changed.
//!
//! SQLite throws away a reader's page cache and memory map whenever the file
//! changed since that connection's last read transaction
//! (`pagerBeginReadTransaction`). Haven writes every read to the audit log,
//! so under load the file changes hundreds of times a second and every read
//! started cold: measured at 100,000 cases, page loads, `pread` and `munmap`
//! were a third of the server's CPU, and turning read auditing off doubled
//! the caseload's throughput.
//!
//! So a reader keeps one read transaction open across reads and starts a new
//! one only when it has to: after the writer committed anything other than
//! audit entries (reads see every acknowledged write: the writer's guard
//! counts the commit before the write method returns), and at least every
//! [`MAX_AGE`] (writes from another process, such as a CLI command). Reads of
//! the audit log hold no snapshot at all (verification must see the file as
//! it is, whoever wrote it) and have a connection of their own, as the sealer
//! makes them several times a second. A sweeper ends idle snapshots of that
//! age and, periodically, all of them for a checkpoint (see [`sweep`]).

use crate::StoreResult;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Sqlite};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The longest a reader keeps a snapshot.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(1);

/// Counts the writer's commits of data (audit-only commits are not counted).
#[derive(Default)]
pub(crate) struct Generations {
    data: AtomicU64,
}

struct Reader {
    conn: SqliteConnection,
    /// Open read transaction: the data generation when it began, and when.
    open: Option<(u64, Instant)>,
}

impl Reader {
    async fn end(&mut self) -> StoreResult<()> {
        if self.open.take().is_some() {
            sqlx::query("COMMIT").execute(&mut self.conn).await?;
        }
        Ok(())
    }

    /// Ends a snapshot older than the last commit of data (or [`MAX_AGE`])
    /// and begins a new one.
    async fn prepare(&mut self, gens: &Generations) -> StoreResult<()> {
        let now = gens.data.load(Ordering::Acquire);
        if self
            .open
            .is_some_and(|(seen, since)| seen != now || since.elapsed() >= MAX_AGE)
        {
            self.end().await?;
        }
        if self.open.is_none() {
            // Deferred: the snapshot is taken by the first read, after the
            // generation was loaded, so it holds at least what that counts.
            sqlx::query("BEGIN").execute(&mut self.conn).await?;
            self.open = Some((now, Instant::now()));
        }
        Ok(())
    }
}

/// A fixed set of read-only connections.
pub(crate) struct Readers {
    idle: Mutex<Vec<Reader>>,
    total: usize,
    permits: Arc<Semaphore>,
    gens: Arc<Generations>,
    /// Whether readers keep snapshots between reads. Without, every
    /// statement reads the latest commit, whoever made it.
    snapshots: bool,
}

impl Readers {
    /// `checkpoint`: the writer, for readers that keep snapshots between reads
    /// and the periodic checkpoint that lets the WAL start over (see
    /// [`sweep`]); `None` for readers that keep none.
    pub(crate) async fn open(
        options: &SqliteConnectOptions,
        count: u32,
        gens: Arc<Generations>,
        checkpoint: Option<sqlx::SqlitePool>,
    ) -> Result<Arc<Self>, sqlx::Error> {
        let mut idle = Vec::new();
        for _ in 0..count.max(1) {
            idle.push(Reader {
                conn: options.connect().await?,
                open: None,
            });
        }
        let readers = Arc::new(Self {
            total: idle.len(),
            permits: Arc::new(Semaphore::new(idle.len())),
            idle: Mutex::new(idle),
            gens,
            snapshots: checkpoint.is_some(),
        });
        if let Some(writer) = checkpoint {
            tokio::spawn(sweep(Arc::downgrade(&readers), writer));
        }
        Ok(readers)
    }

    /// A connection: with a snapshot that holds every acknowledged write of
    /// data, or, for readers without snapshots, none.
    pub(crate) async fn get(&self) -> StoreResult<ReadGuard<'_>> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| crate::StoreError::Unavailable("the store is closed".to_owned()))?;
        let reader = self.take();
        let mut guard = ReadGuard {
            readers: self,
            reader: Some(reader),
            _permit: permit,
        };
        if self.snapshots
            && let Some(r) = guard.reader.as_mut()
            && let Err(e) = r.prepare(&self.gens).await
        {
            // Leave nothing half-open for the next reader.
            r.open = None;
            let _ = sqlx::query("ROLLBACK").execute(&mut r.conn).await;
            return Err(e);
        }
        Ok(guard)
    }

    fn take(&self) -> Reader {
        // A permit guarantees an idle reader.
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop()
            .expect("a permit stands for an idle reader")
    }

    fn put(&self, r: Reader) {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(r);
    }

    pub(crate) async fn close(&self) {
        self.permits.close();
        let all = std::mem::take(
            &mut *self
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for mut r in all {
            let _ = r.end().await;
            let _ = sqlx::Connection::close(r.conn).await;
        }
    }
}

/// How often every snapshot is ended at once for a checkpoint.
const CHECKPOINT_EVERY: u32 = 2;

/// Ends the snapshots of idle readers once they are [`MAX_AGE`] old, so that
/// a quiet server does not hold the WAL back; and every
/// [`CHECKPOINT_EVERY`] rounds ends all of them at once, waiting for reads in
/// flight, and checkpoints. A WAL only starts over when it is fully copied
/// into the database while no reader holds a snapshot in it; readers that
/// always hold one would let it grow without end under steady load
/// (measured: 13 MB/s). The pause is the copy of the frames written since
/// the last automatic checkpoint.
async fn sweep(readers: Weak<Readers>, writer: sqlx::SqlitePool) {
    let mut round = 0u32;
    loop {
        tokio::time::sleep(MAX_AGE).await;
        let Some(readers) = readers.upgrade() else {
            return;
        };
        if readers.permits.is_closed() {
            return;
        }
        round = round.wrapping_add(1);
        let all = round.is_multiple_of(CHECKPOINT_EVERY);
        let mut held = Vec::new();
        if all {
            let n = u32::try_from(readers.total).unwrap_or(u32::MAX);
            let Ok(permits) = Arc::clone(&readers.permits).acquire_many_owned(n).await else {
                return;
            };
            for _ in 0..readers.total {
                held.push(readers.take());
            }
            for r in &mut held {
                let _ = r.end().await;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&writer)
                .await
            {
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
            for r in held {
                readers.put(r);
            }
            drop(permits);
            continue;
        }
        // Otherwise only readers nobody is using: take them with their permits.
        let mut idle = Vec::new();
        while let Ok(permit) = Arc::clone(&readers.permits).try_acquire_owned() {
            idle.push((permit, readers.take()));
        }
        for (_, r) in &mut idle {
            if r.open.is_some_and(|(_, since)| since.elapsed() >= MAX_AGE) {
                let _ = r.end().await;
            }
        }
        for (permit, r) in idle {
            readers.put(r);
            drop(permit);
        }
    }
}

pub(crate) struct ReadGuard<'a> {
    readers: &'a Readers,
    reader: Option<Reader>,
    _permit: OwnedSemaphorePermit,
}

impl Deref for ReadGuard<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.reader.as_ref().expect("held until drop").conn
    }
}

impl DerefMut for ReadGuard<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.reader.as_mut().expect("held until drop").conn
    }
}

impl Drop for ReadGuard<'_> {
    fn drop(&mut self) {
        if let Some(r) = self.reader.take() {
            self.readers.put(r);
        }
    }
}

/// The writer connection; counts its commits for the readers when dropped,
/// which is after the write method committed and before it returns.
pub(crate) struct WriteGuard {
    conn: PoolConnection<Sqlite>,
    gens: Arc<Generations>,
    audit_only: bool,
    reserve: Arc<super::reserve::Reserve>,
}

impl WriteGuard {
    pub(crate) fn new(
        conn: PoolConnection<Sqlite>,
        gens: Arc<Generations>,
        audit_only: bool,
        reserve: Arc<super::reserve::Reserve>,
    ) -> Self {
        Self {
            conn,
            gens,
            audit_only,
            reserve,
        }
    }

    pub(crate) async fn begin(&mut self) -> Result<sqlx::Transaction<'_, Sqlite>, sqlx::Error> {
        sqlx::Connection::begin(&mut *self.conn).await
    }

    /// A transaction that takes the write lock at once: what it reads (the
    /// audit chain's head) cannot change before it commits, even when another
    /// process (a CLI command) writes to the same file.
    pub(crate) async fn begin_chain(
        &mut self,
    ) -> Result<sqlx::Transaction<'_, Sqlite>, sqlx::Error> {
        sqlx::Connection::begin_with(&mut *self.conn, "BEGIN IMMEDIATE").await
    }
}

impl Deref for WriteGuard {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.conn
    }
}

impl DerefMut for WriteGuard {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.conn
    }
}

impl Drop for WriteGuard {
    fn drop(&mut self) {
        if !self.audit_only {
            self.gens.data.fetch_add(1, Ordering::AcqRel);
        }
        // A transaction still open here did not commit: a failed COMMIT (a
        // full disk) can leave SQLite's and sqlx's ideas of the transaction
        // apart, and the next BEGIN would become a SAVEPOINT inside a
        // transaction that never commits: writes acknowledged, then lost.
        // The connection is closed instead; the pool opens a clean one.
        if sqlx::Connection::is_in_transaction(&*self.conn) {
            self.conn.close_on_drop();
            self.reserve.probe();
        }
    }
}
