//! The audit log's rows, the hash chain that makes it tamper-evident, and
//! the store trait that appends, seals and reads it.

use super::*;

/// An audit row as stored, chained or not yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub at: OffsetDateTime,
    pub actor_user: Option<UserId>,
    pub actor_org: Option<OrganizationId>,
    pub action: String,
    pub resource_kind: Option<String>,
    pub resource_id: Option<String>,
    pub request_id: Option<String>,
    pub chain_seq: Option<i64>,
    pub prev_hash: Option<Vec<u8>>,
    pub hash: Option<Vec<u8>>,
}

/// The hash before the first entry of the chain.
pub const AUDIT_GENESIS: [u8; 32] = [0; 32];

/// The chain values computed for one row.
pub(crate) struct Seal {
    pub id: i64,
    pub chain_seq: i64,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

/// Chains `rows`, in order, after `head` (the last chained row's sequence
/// number and hash; none for an empty chain).
pub(crate) fn chain_after(
    head: Option<(i64, Vec<u8>)>,
    rows: &[AuditRow],
    chain: &dyn ChainHasher,
) -> StoreResult<Vec<Seal>> {
    let (mut seq, mut prev) = match head {
        None => (0, AUDIT_GENESIS),
        Some((seq, hash)) => (
            seq,
            hash.try_into()
                .map_err(|_| StoreError::Corrupt("audit_log.hash"))?,
        ),
    };
    Ok(rows
        .iter()
        .map(|row| {
            seq += 1;
            let hash = chain.chain_hash(seq, &prev, row);
            let seal = Seal {
                id: row.id,
                chain_seq: seq,
                prev_hash: prev,
                hash,
            };
            prev = hash;
            seal
        })
        .collect())
}

/// A new entry as the row it becomes (its id is not part of its hash). The
/// time is cut to whole milliseconds, the precision the chain hashes, so the
/// hash matches the row as either database returns it.
pub(crate) fn entry_row(e: &AuditEntry) -> AuditRow {
    AuditRow {
        id: 0,
        at: haven_domain::whole_millis(e.at),
        actor_user: e.actor_user,
        actor_org: e.actor_org,
        action: e.action.as_str().to_owned(),
        resource_kind: e.resource_kind.map(str::to_owned),
        resource_id: e.resource_id.clone(),
        request_id: e.request_id.clone(),
        chain_seq: None,
        prev_hash: None,
        hash: None,
    }
}

/// Computes a row's chain hash at a position, after the hash before it. The
/// server implements it with the audit key, which the store never holds.
pub trait ChainHasher: Send + Sync {
    fn chain_hash(&self, seq: i64, prev: &[u8], row: &AuditRow) -> [u8; 32];
    /// The last head (sequence number, hash) this process saw committed or
    /// loaded from its checkpoint. The chain may grow past it, never shrink
    /// below it or differ at it: an entry once chained is never chained again.
    fn known_head(&self) -> Option<(i64, [u8; 32])> {
        None
    }
    /// A chaining transaction committed with this new head.
    fn committed(&self, _seq: i64, _hash: [u8; 32]) {}
}

/// Refuses to extend a chain whose head is behind, or differs from, the
/// `known` head (`at_known`: the hash stored at the known sequence number,
/// read when the head has moved past it). `known` is read once by the caller:
/// another task of the process may move it meanwhile.
pub(crate) fn check_known_head(
    head: Option<&(i64, Vec<u8>)>,
    known: Option<(i64, [u8; 32])>,
    at_known: Option<&[u8]>,
) -> StoreResult<()> {
    let Some((kseq, khash)) = known else {
        return Ok(());
    };
    match head {
        None => Err(StoreError::AuditTampered(format!(
            "the log is empty, but entry {kseq} was chained"
        ))),
        Some((seq, _)) if *seq < kseq => Err(StoreError::AuditTampered(format!(
            "the chain ends at entry {seq}, but entry {kseq} was chained: entries were removed"
        ))),
        Some((seq, hash)) if *seq == kseq && hash.as_slice() != khash => Err(
            StoreError::AuditTampered(format!("entry {kseq} is not the entry that was chained")),
        ),
        Some(_) if at_known.is_some_and(|h| h != khash) => Err(StoreError::AuditTampered(format!(
            "entry {kseq} is not the entry that was chained"
        ))),
        Some(_) => Ok(()),
    }
}

/// The audit log. Entries that commit with an action arrive unchained, in the
/// action's transaction, and a sealer chains them; read entries, written in
/// batches of their own, are chained as they are written.
///
/// Both chaining methods hold the chain for their whole transaction (an
/// advisory lock on PostgreSQL, the write lock on SQLite): they read the head
/// after taking it, so several instances append to one chain without gaps,
/// forks or retries.
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    /// Appends entries in one transaction, unchained.
    async fn append_audit(&self, entries: &[AuditEntry]) -> StoreResult<()>;
    /// Appends entries in one transaction, each chained after the head in
    /// the batch's order (group commit for reads: one write per entry
    /// instead of an insert and a later update).
    async fn append_chained_audit(
        &self,
        entries: &[AuditEntry],
        chain: &dyn ChainHasher,
    ) -> StoreResult<()>;
    /// Chains up to `limit` unchained rows after the head, in insertion
    /// order, in one transaction; returns how many.
    async fn seal_pending_audit(&self, limit: u32, chain: &dyn ChainHasher) -> StoreResult<u64>;
    /// Unchained rows in insertion order.
    async fn unsealed_audit(&self, limit: u32) -> StoreResult<Vec<AuditRow>>;
    /// Chained rows with `chain_seq > after`, in chain order.
    async fn sealed_audit_after(&self, after: i64, limit: u32) -> StoreResult<Vec<AuditRow>>;
    /// The most recent entries about one record, newest first. Lists of
    /// records (`case_list`) are not looked up this way.
    async fn audit_for_resource(
        &self,
        kind: &str,
        id: &str,
        limit: u32,
    ) -> StoreResult<Vec<AuditRow>>;
    async fn count_unsealed_audit(&self) -> StoreResult<u64>;
}
