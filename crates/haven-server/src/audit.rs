//! The tamper-evident audit chain: sealing and verification.
//!
//! Entries are inserted unchained, inside the transaction of the action they
//! record, so an action and its entry commit together and no global lock
//! serializes requests. A sealer then walks unchained rows in insertion order
//! and links each to the one before it:
//!
//! `hash_n = HMAC(audit_key, chain_seq_n || hash_{n-1} || fields_n)`
//!
//! The key is derived from the master key, which is not in the database, so
//! someone who can write to the database cannot forge a consistent chain.
//! `verify` recomputes the chain and reports the first entry that was edited,
//! deleted or moved. See ARCHITECTURE.md for several instances.
//!
//! Removing entries and clearing the chain fields of every later row would
//! let a sealer chain what is left again, consistently. So an entry once
//! chained is never chained again: each process remembers the head it last
//! saw committed ([`AuditChain`]'s known head) and refuses to extend a chain
//! that is shorter or differs there; and it writes that head, keyed, to a
//! checkpoint file outside the database (beside the master key) and to its
//! log, which a restarted server, `haven audit seal` and `haven audit verify`
//! hold the chain against. `docs/threat-model.md` says what this leaves.

use haven_crypto::{SecretKey, hmac_sha256};
use haven_store::{AuditRow, ChainHasher, DynStore, StoreResult};
use std::path::Path;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// The hash of the (empty) chain before the first entry.
pub const GENESIS: [u8; 32] = haven_store::AUDIT_GENESIS;

/// Computes chain hashes with the audit key, and remembers the head this
/// process last saw committed (shared by its clones).
#[derive(Clone, Debug)]
pub struct AuditChain {
    key: SecretKey,
    known: Arc<Mutex<Option<Head>>>,
    /// The sequence number of the last checkpoint written.
    saved: Arc<Mutex<Option<i64>>>,
    /// The last sealing failed (readiness says so).
    sealer_failing: Arc<std::sync::atomic::AtomicBool>,
}

/// A chain's head: the last entry's sequence number and hash.
type Head = (i64, [u8; 32]);

/// A head of the chain, kept outside the database: the chain must reach
/// `seq` and hold `hash` there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: [u8; 32],
    pub at: OffsetDateTime,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn opt(b: Option<&[u8]>) -> Vec<u8> {
    // A presence byte keeps "absent" and "empty" apart.
    match b {
        None => vec![0],
        Some(v) => {
            let mut out = vec![1];
            out.extend_from_slice(v);
            out
        }
    }
}

impl AuditChain {
    /// The chain keyed from the master key (`HKDF(master, "audit chain v1")`).
    #[must_use]
    pub fn new(master: &SecretKey) -> Self {
        Self {
            key: haven_crypto::Keyring::derived_key(master, "audit chain v1"),
            known: Arc::default(),
            saved: Arc::default(),
            sealer_failing: Arc::default(),
        }
    }

    /// The head this process holds the chain to.
    #[must_use]
    pub fn known(&self) -> Option<(i64, [u8; 32])> {
        *self
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn checkpoint_mac(&self, cp: &Checkpoint) -> [u8; 32] {
        let at = (cp.at.unix_timestamp_nanos() / 1_000_000).to_be_bytes();
        hmac_sha256(
            &self.key,
            &[b"audit checkpoint v1", &cp.seq.to_be_bytes(), &cp.hash, &at],
        )
    }

    /// A checkpoint as one line of JSON, keyed so that an edit shows.
    #[must_use]
    pub fn checkpoint_line(&self, cp: &Checkpoint) -> String {
        let at = cp
            .at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        serde_json::json!({
            "seq": cp.seq,
            "hash": hex(&cp.hash),
            "at": at,
            "mac": hex(&self.checkpoint_mac(cp)),
        })
        .to_string()
    }

    /// Reads a checkpoint line and checks its key.
    ///
    /// # Errors
    /// What is wrong with it (unreadable, or not written with this key).
    pub fn parse_checkpoint(&self, line: &str) -> Result<Checkpoint, String> {
        let v: serde_json::Value =
            serde_json::from_str(line.trim()).map_err(|e| format!("not a checkpoint: {e}"))?;
        let seq = v["seq"]
            .as_i64()
            .ok_or("the checkpoint has no sequence number")?;
        let hash = v["hash"]
            .as_str()
            .and_then(unhex32)
            .ok_or("the checkpoint has no hash")?;
        let at = v["at"]
            .as_str()
            .and_then(|t| {
                OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
            })
            .ok_or("the checkpoint has no time")?;
        let cp = Checkpoint { seq, hash, at };
        let mac = v["mac"]
            .as_str()
            .and_then(unhex32)
            .ok_or("the checkpoint has no key")?;
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            &mac[..],
            &self.checkpoint_mac(&cp)[..],
        )) {
            return Err(
                "the checkpoint was not written with this master key, or was edited".into(),
            );
        }
        Ok(cp)
    }

    /// Loads the checkpoint file, if there is one, and holds the chain to
    /// it from now on.
    ///
    /// # Errors
    /// A file that cannot be read or is not a valid checkpoint.
    pub fn load_checkpoint(&self, path: &Path) -> Result<Option<Checkpoint>, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let cp = self
            .parse_checkpoint(&text)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        self.committed(cp.seq, cp.hash);
        *self
            .saved
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(cp.seq);
        Ok(Some(cp))
    }

    /// Writes the known head to `path` (atomically, durably) when it moved
    /// since the last checkpoint, and logs it.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn save_checkpoint(&self, path: &Path) -> std::io::Result<Option<Checkpoint>> {
        let Some((seq, hash)) = self.known() else {
            return Ok(None);
        };
        let mut saved = self
            .saved
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *saved == Some(seq) {
            return Ok(None);
        }
        let cp = Checkpoint {
            seq,
            hash,
            at: haven_domain::now(),
        };
        let line = self.checkpoint_line(&cp);
        crate::durable_file::replace(path, format!("{line}\n").as_bytes(), 0o600)?;
        *saved = Some(seq);
        tracing::info!(audit_seq = seq, audit_head = %hex(&hash), "audit checkpoint");
        Ok(Some(cp))
    }

    /// The hash of `row` at position `seq` after `prev`.
    #[must_use]
    pub fn hash(&self, seq: i64, prev: &[u8], row: &AuditRow) -> [u8; 32] {
        let at = (row.at.unix_timestamp_nanos() / 1_000_000).to_be_bytes();
        let user = row.actor_user.map(|u| *u.as_uuid().as_bytes());
        let org = row.actor_org.map(|o| *o.as_uuid().as_bytes());
        hmac_sha256(
            &self.key,
            &[
                &seq.to_be_bytes(),
                prev,
                &at,
                &opt(user.as_ref().map(|u| &u[..])),
                &opt(org.as_ref().map(|o| &o[..])),
                row.action.as_bytes(),
                &opt(row.resource_kind.as_deref().map(str::as_bytes)),
                &opt(row.resource_id.as_deref().map(str::as_bytes)),
                &opt(row.request_id.as_deref().map(str::as_bytes)),
            ],
        )
    }

    /// Chains every pending entry, in batches. Safe with several instances:
    /// each batch holds the chain (see [`haven_store::AuditStore`]).
    ///
    /// # Errors
    /// When the database fails.
    pub async fn seal_pending(&self, store: &DynStore, batch: u32) -> StoreResult<u64> {
        use std::sync::atomic::Ordering::Relaxed;
        let mut sealed = 0u64;
        loop {
            match store.seal_pending_audit(batch, self).await {
                Ok(0) => {
                    self.sealer_failing.store(false, Relaxed);
                    return Ok(sealed);
                }
                Ok(n) => sealed += n,
                Err(e) => {
                    self.sealer_failing.store(true, Relaxed);
                    return Err(e);
                }
            }
        }
    }

    /// Whether the last sealing failed.
    #[must_use]
    pub fn sealer_failing(&self) -> bool {
        self.sealer_failing
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Recomputes the whole chain.
    ///
    /// # Errors
    /// When the database fails (a broken chain is a report, not an error).
    pub async fn verify(&self, store: &DynStore) -> StoreResult<VerifyReport> {
        self.verify_against(store, None).await
    }

    /// Recomputes the whole chain and holds it to `checkpoint`: the chain
    /// must reach the checkpoint's entry and hold its hash there.
    ///
    /// # Errors
    /// When the database fails (a broken chain is a report, not an error).
    pub async fn verify_against(
        &self,
        store: &DynStore,
        checkpoint: Option<&Checkpoint>,
    ) -> StoreResult<VerifyReport> {
        let mut report = VerifyReport::default();
        let mut prev = GENESIS.to_vec();
        let mut last = 0i64;
        loop {
            let rows = store.sealed_audit_after(last, 10_000).await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let seq = row.chain_seq.unwrap_or_default();
                let problem = if seq != last + 1 {
                    Some(Problem::Missing {
                        from: last + 1,
                        to: seq - 1,
                    })
                } else if row.prev_hash.as_deref() != Some(prev.as_slice()) {
                    Some(Problem::OutOfOrder {
                        chain_seq: seq,
                        row_id: row.id,
                    })
                } else if row.hash.as_deref() != Some(&self.hash(seq, &prev, row)[..]) {
                    Some(Problem::Edited {
                        chain_seq: seq,
                        row_id: row.id,
                    })
                } else {
                    None
                };
                let problem = problem.or_else(|| {
                    checkpoint
                        .filter(|cp| cp.seq == seq && row.hash.as_deref() != Some(&cp.hash[..]))
                        .map(|cp| Problem::Rechained { chain_seq: cp.seq })
                });
                if let Some(p) = problem {
                    report.first_problem = Some(p);
                    report.unsealed = store.count_unsealed_audit().await?;
                    return Ok(report);
                }
                report.checked += 1;
                prev = row.hash.clone().unwrap_or_default();
                last = seq;
            }
        }
        if let Some(cp) = checkpoint
            && last < cp.seq
        {
            report.first_problem = Some(Problem::Truncated {
                head: last,
                checkpoint: cp.seq,
            });
        }
        report.head = (last > 0).then_some((last, prev));
        report.unsealed = store.count_unsealed_audit().await?;
        Ok(report)
    }
}

/// The first break found in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Entries with these sequence numbers are gone.
    Missing { from: i64, to: i64 },
    /// This entry does not follow the one before it: moved, or a row was
    /// inserted or replaced.
    OutOfOrder { chain_seq: i64, row_id: i64 },
    /// This entry's content changed after it was sealed.
    Edited { chain_seq: i64, row_id: i64 },
    /// The chain ends before the checkpoint's entry: its tail was removed.
    Truncated { head: i64, checkpoint: i64 },
    /// The checkpoint's entry is not the one that was chained: entries
    /// before it were removed and the rest chained again.
    Rechained { chain_seq: i64 },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing { from, to } if from == to => write!(f, "entry {from} was deleted"),
            Self::Missing { from, to } => write!(f, "entries {from} to {to} were deleted"),
            Self::OutOfOrder { chain_seq, row_id } => write!(
                f,
                "entry {chain_seq} (row {row_id}) does not follow the entry before it: entries were moved, inserted or replaced"
            ),
            Self::Edited { chain_seq, row_id } => {
                write!(
                    f,
                    "entry {chain_seq} (row {row_id}) was edited after it was recorded"
                )
            }
            Self::Truncated { head, checkpoint } => write!(
                f,
                "the chain ends at entry {head}, but the checkpoint saw entry {checkpoint}: entries at the end were removed"
            ),
            Self::Rechained { chain_seq } => write!(
                f,
                "entry {chain_seq} differs from the checkpoint: entries were removed and the rest chained again"
            ),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries whose hashes were checked and matched.
    pub checked: u64,
    pub first_problem: Option<Problem>,
    /// Entries not yet chained (recorded in the last moments).
    pub unsealed: u64,
    /// The last entry's sequence number and hash: record it elsewhere to
    /// detect a later truncation of the log's tail.
    pub head: Option<(i64, Vec<u8>)>,
}

fn audit_unavailable() -> crate::web::error::AppError {
    crate::web::error::AppError::Unavailable(
        crate::web::error::Outage::AuditLog,
        "the audit log cannot be written".into(),
    )
}

/// An audit entry handed to the writer whose commit is still to come.
#[must_use = "await `durable` before the response leaves the server"]
pub struct PendingAudit(Option<tokio::sync::oneshot::Receiver<bool>>);

impl PendingAudit {
    /// Nothing to wait for (read auditing off, or nothing was shown).
    pub fn nothing() -> Self {
        Self(None)
    }

    /// Waits until the entry is durable.
    ///
    /// # Errors
    /// When it could not be written: the caller must not answer with the data.
    pub async fn durable(self) -> Result<(), crate::web::error::AppError> {
        match self.0 {
            None => Ok(()),
            Some(done) => match done.await {
                Ok(true) => Ok(()),
                _ => Err(audit_unavailable()),
            },
        }
    }
}

impl ChainHasher for AuditChain {
    fn chain_hash(&self, seq: i64, prev: &[u8], row: &AuditRow) -> [u8; 32] {
        self.hash(seq, prev, row)
    }

    fn known_head(&self) -> Option<(i64, [u8; 32])> {
        self.known()
    }

    fn committed(&self, seq: i64, hash: [u8; 32]) {
        let mut known = self
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if known.is_none_or(|(s, _)| seq > s) {
            *known = Some((seq, hash));
        }
    }
}

/// Group commit for audit entries that have no transaction of their own
/// (reads). Requests hand their entry to one writer task and wait; the task
/// writes every entry waiting at that moment in one transaction, so a burst of
/// reads costs one commit, not one each. A request answers only after its
/// entry is durable. The entries are chained as they are written: a read
/// costs one insert, not an insert and the sealer's update.
#[derive(Clone)]
pub struct AuditWriter {
    tx: tokio::sync::mpsc::Sender<(haven_domain::AuditEntry, tokio::sync::oneshot::Sender<bool>)>,
    stats: std::sync::Arc<WriterStats>,
}

/// How much batching happened (for tests and metrics), and whether the last
/// batch failed (readiness).
#[derive(Debug, Default)]
pub struct WriterStats {
    pub batches: std::sync::atomic::AtomicU64,
    pub entries: std::sync::atomic::AtomicU64,
    pub failing: std::sync::atomic::AtomicBool,
}

impl AuditWriter {
    /// Starts the writer task (needs a Tokio runtime).
    #[must_use]
    pub fn spawn(store: DynStore, chain: AuditChain, max_batch: usize) -> Self {
        use std::sync::atomic::Ordering::Relaxed;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(
            haven_domain::AuditEntry,
            tokio::sync::oneshot::Sender<bool>,
        )>(max_batch * 4);
        let stats = std::sync::Arc::new(WriterStats::default());
        let task_stats = stats.clone();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(max_batch);
            while let Some(first) = rx.recv().await {
                batch.push(first);
                while batch.len() < max_batch {
                    match rx.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let entries: Vec<_> = batch.iter().map(|(e, _)| e.clone()).collect();
                let ok = match store.append_chained_audit(&entries, &chain).await {
                    Ok(()) => true,
                    Err(e) => {
                        tracing::error!(error = %e, entries = entries.len(), "audit batch failed");
                        false
                    }
                };
                task_stats.failing.store(!ok, Relaxed);
                task_stats.batches.fetch_add(1, Relaxed);
                task_stats.entries.fetch_add(entries.len() as u64, Relaxed);
                metrics::histogram!("haven_audit_batch_size").record(entries.len() as f64);
                for (_, ack) in batch.drain(..) {
                    let _ = ack.send(ok);
                }
            }
        });
        Self { tx, stats }
    }

    /// Hands `entry` to the writer and returns without waiting for the
    /// commit: the caller may go on reading and rendering, and must await
    /// [`PendingAudit::durable`] before its response leaves the server.
    ///
    /// # Errors
    /// When the writer has stopped.
    pub async fn submit(
        &self,
        entry: haven_domain::AuditEntry,
    ) -> Result<PendingAudit, crate::web::error::AppError> {
        let (ack, done) = tokio::sync::oneshot::channel();
        self.tx
            .send((entry, ack))
            .await
            .map_err(|_| audit_unavailable())?;
        Ok(PendingAudit(Some(done)))
    }

    /// Records `entry` and returns once it is committed.
    ///
    /// # Errors
    /// When it could not be written: the caller must not answer with the data.
    pub async fn record(
        &self,
        entry: haven_domain::AuditEntry,
    ) -> Result<(), crate::web::error::AppError> {
        self.submit(entry).await?.durable().await
    }

    /// Records several entries (e.g. every case on a list page) and returns
    /// once all are committed; they usually share one commit.
    ///
    /// # Errors
    /// As [`Self::record`].
    pub async fn record_many(
        &self,
        entries: Vec<haven_domain::AuditEntry>,
    ) -> Result<(), crate::web::error::AppError> {
        let mut pending = Vec::with_capacity(entries.len());
        for entry in entries {
            pending.push(self.submit(entry).await?);
        }
        for p in pending {
            p.durable().await?;
        }
        Ok(())
    }

    #[must_use]
    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }
}

/// An audit entry for `action` by `actor` on `kind`/`id`, with the request
/// id: what every feature's operation writes with its change.
#[must_use]
pub fn entry(
    actor: &haven_domain::policy::Actor,
    action: haven_domain::AuditAction,
    kind: &'static str,
    id: impl std::fmt::Display,
    rid: Option<String>,
) -> haven_domain::AuditEntry {
    haven_domain::AuditEntry::new(action)
        .by(actor.user, actor.organization)
        .on(kind, id)
        .request(rid)
}
