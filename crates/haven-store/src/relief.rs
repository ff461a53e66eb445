//! Relief and benefits as stored: the trackers' facts (encrypted), the
//! deadlines derived from them (plain codes and dates), declarations and
//! certifications, and the outbox with the staff notifications it delivers.

use crate::StoreResult;
use async_trait::async_trait;
use haven_domain::access::CaseFilter;
use haven_domain::relief::documents::{DocumentKind, DocumentStatus};
use haven_domain::{AuditEntry, CaseId, DocumentId, MessageId, OrganizationId, PersonId, UserId};
use time::{Date, OffsetDateTime};

/// One deadline of a case, as the rules engine computed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlineRow {
    pub case: CaseId,
    /// `DeadlineKind` code.
    pub kind: String,
    /// The family member's label, or empty.
    pub family_member: String,
    pub pathway: String,
    pub actor: String,
    pub due_on: Date,
    pub due_at: Option<OffsetDateTime>,
}

/// The stored facts of a case's trackers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRelief {
    /// Encrypted `haven.relief-facts/1` JSON.
    pub facts: Vec<u8>,
    pub updated_by: UserId,
    pub updated_at: OffsetDateTime,
}

/// A write of a case's facts with the deadlines derived from them. The
/// deadlines replace the case's previous ones in the same transaction.
#[derive(Clone, Debug)]
pub struct ReliefWrite<'a> {
    pub case: CaseId,
    pub facts: &'a [u8],
    pub by: UserId,
    pub at: OffsetDateTime,
    pub deadlines: &'a [DeadlineRow],
    /// Linked to a T or U application: set the case's 1367 flag. The
    /// flag is never cleared here.
    pub flag_1367: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDocument {
    pub id: DocumentId,
    pub case: CaseId,
    pub kind: DocumentKind,
    /// The declaring or certifying agency (the drafter's organization).
    pub agency: OrganizationId,
    pub status: DocumentStatus,
    /// Encrypted `DocumentContent` JSON.
    pub content: Vec<u8>,
    /// SHA-256 of the plaintext content, taken at signing.
    pub content_sha256: Option<Vec<u8>>,
    pub drafted_by: UserId,
    pub drafted_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub signed_by: Option<UserId>,
    pub signer_role: Option<String>,
    pub signed_at: Option<OffsetDateTime>,
    pub withdrawn_by: Option<UserId>,
    pub withdrawn_at: Option<OffsetDateTime>,
    /// Encrypted.
    pub withdrawal_reason: Option<Vec<u8>>,
}

/// A signature: who, in which role, when, over which content.
#[derive(Clone, Debug)]
pub struct Signing<'a> {
    pub document: DocumentId,
    pub by: UserId,
    pub role: &'a str,
    pub at: OffsetDateTime,
    pub content_sha256: &'a [u8],
}

/// A withdrawal of a signed document: who, when, and the (encrypted) reason.
#[derive(Clone, Debug)]
pub struct Withdrawal<'a> {
    pub document: DocumentId,
    pub by: UserId,
    pub at: OffsetDateTime,
    pub reason: &'a [u8],
}

/// Upcoming deadlines on the cases an actor may see.
#[derive(Clone, Debug)]
pub struct DeadlineQuery {
    pub filter: CaseFilter,
    pub mine_only: bool,
    pub from: Date,
    pub to: Date,
    pub limit: u32,
    pub now: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlineListRow {
    pub deadline: DeadlineRow,
    pub person: Option<PersonId>,
    /// Encrypted person name.
    pub name: Option<Vec<u8>>,
    /// The case carries the 8 U.S.C. 1367 flag.
    pub flag_1367: bool,
}

/// A message claimed for delivery under a lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedMessage {
    pub id: MessageId,
    pub kind: String,
    pub user: UserId,
    pub case: Option<CaseId>,
    pub payload: String,
    pub attempts: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub id: MessageId,
    pub case: Option<CaseId>,
    pub kind: String,
    /// Codes, ids and dates (JSON): rendered in the reader's language.
    pub payload: String,
    pub created_at: OffsetDateTime,
    pub read_at: Option<OffsetDateTime>,
}

#[async_trait]
pub trait ReliefStore: Send + Sync + 'static {
    async fn relief(&self, case: CaseId) -> StoreResult<Option<StoredRelief>>;
    /// Saves the facts, replaces the deadlines, sets the 1367 flag when asked,
    /// and writes the audit entry: one transaction.
    async fn save_relief(&self, write: &ReliefWrite<'_>, audit: &AuditEntry) -> StoreResult<()>;
    async fn case_deadlines(&self, case: CaseId) -> StoreResult<Vec<DeadlineRow>>;

    async fn create_document(&self, doc: &StoredDocument, audit: &AuditEntry) -> StoreResult<()>;
    /// Changes a draft's content; `false` when it is no longer a draft.
    async fn update_document_draft(
        &self,
        id: DocumentId,
        content: &[u8],
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Signs a draft and records the signature date in the case's facts, in
    /// one transaction; `false` when it is no longer a draft.
    async fn sign_document(
        &self,
        signing: &Signing<'_>,
        relief: &ReliefWrite<'_>,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Withdraws a signed document with its (encrypted) reason and records
    /// the withdrawal in the case's facts; `false` when it is not signed.
    async fn withdraw_document(
        &self,
        withdrawal: &Withdrawal<'_>,
        relief: &ReliefWrite<'_>,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    async fn document(&self, id: DocumentId) -> StoreResult<Option<StoredDocument>>;
    async fn documents_for_case(&self, case: CaseId) -> StoreResult<Vec<StoredDocument>>;
    /// Drafts waiting for a certifying official of `agency`.
    async fn drafts_for_agency(&self, agency: OrganizationId) -> StoreResult<Vec<StoredDocument>>;

    async fn upcoming_deadlines(&self, q: &DeadlineQuery) -> StoreResult<Vec<DeadlineListRow>>;
    /// Deadlines due between `from` and `to` (inclusive) on every case.
    async fn count_deadlines_due(&self, from: Date, to: Date) -> StoreResult<u64>;
    /// Queues one reminder per case-team member for every deadline due
    /// between `from` and `to`; a reminder already queued is not queued
    /// again (its dedupe key). Returns how many were new.
    async fn enqueue_deadline_reminders(
        &self,
        from: Date,
        to: Date,
        now: OffsetDateTime,
    ) -> StoreResult<u64>;
    /// Claims up to `limit` pending messages for `owner` until `lease_until`.
    /// Messages claimed by another owner whose lease has not run out are
    /// skipped.
    async fn claim_messages(
        &self,
        owner: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedMessage>>;
    /// Delivers a claimed message as a staff notification and marks it
    /// delivered, in one transaction. `false` when `owner` no longer holds
    /// the lease (another instance took it over).
    /// `email` is the same notification by e-mail (the person asked for
    /// it), queued in the same transaction.
    async fn deliver_notification(
        &self,
        id: MessageId,
        owner: &str,
        now: OffsetDateTime,
        email: Option<&crate::interview::DeliveryRow>,
    ) -> StoreResult<bool>;
    async fn notifications(&self, user: UserId, limit: u32) -> StoreResult<Vec<Notification>>;
    async fn unread_notifications(&self, user: UserId) -> StoreResult<u64>;
    /// Ends a claimed message without notifying anyone (its reader may not
    /// see what it is about), with the reason kept; `false` if the lease was
    /// lost.
    async fn withhold_message(
        &self,
        id: MessageId,
        owner: &str,
        now: OffsetDateTime,
        reason: &str,
    ) -> StoreResult<bool>;
    async fn mark_notification_read(
        &self,
        user: UserId,
        id: MessageId,
        at: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Takes the lease of a daily job when it has not completed `today` and
    /// no other owner holds an unexpired lease.
    async fn start_daily_job(
        &self,
        name: &str,
        owner: &str,
        today: Date,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> StoreResult<bool>;
    async fn finish_daily_job(&self, name: &str, owner: &str, today: Date) -> StoreResult<()>;
}
