//! The case record and the emergency fund, as stored: the row types and the
//! two store traits. Narrative and personal fields arrive here already
//! encrypted; amounts and codes are plain so the database can enforce them.

use crate::StoreResult;
use async_trait::async_trait;
use haven_domain::access::{CaseFacts, CaseFilter, Compartment};
use haven_domain::record::{
    Cents, ClosedReason, Cooperation, EntryKind, FundPurpose, FundRequestStatus, Stage, Urgency,
};
use haven_domain::{
    AttachmentId, AuditEntry, CaseId, DraftId, EntryId, FundId, FundRequestId, OrganizationId,
    PersonId, UserId,
};
use time::{Date, OffsetDateTime};

/// The case-level fields beyond its access facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseHeader {
    pub stage: Stage,
    pub closed_reason: Option<ClosedReason>,
    pub cooperation: Cooperation,
    /// The encrypted trafficking profile.
    pub profile: Option<Vec<u8>>,
    /// HHS-5: when the 24-hour notification is due, and when it was made.
    pub hhs_notice_due_at: Option<OffsetDateTime>,
    pub hhs_notice_met_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// One entry on a case, as stored (`body` is a ciphertext).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntry {
    pub id: EntryId,
    pub case: CaseId,
    pub kind: EntryKind,
    pub compartment: Compartment,
    /// The need category, for needs and the plan items made from them.
    pub category: Option<String>,
    /// Plan status, or "open"/"done" for tasks.
    pub status: Option<String>,
    /// Task due date or plan target date.
    pub due_on: Option<Date>,
    pub assignee: Option<UserId>,
    /// The need a plan item serves, or the plan item a task belongs to.
    pub parent: Option<EntryId>,
    pub body: Vec<u8>,
    pub by: UserId,
    pub at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A change to one entry: the plain columns and the re-encrypted body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryUpdate {
    pub id: EntryId,
    pub case: CaseId,
    pub status: Option<String>,
    pub due_on: Option<Date>,
    pub assignee: Option<UserId>,
    pub body: Vec<u8>,
    pub at: OffsetDateTime,
}

/// A change to a case's header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderChange {
    /// Applied only if the case is still at `from` (two workers changing the
    /// stage at once: the second is told, not overwritten).
    Stage {
        from: Stage,
        to: Stage,
        reason: Option<ClosedReason>,
    },
    Cooperation(Cooperation),
    Profile(Vec<u8>),
    HhsNotified(OffsetDateTime),
}

/// How "my caseload" is ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseloadSort {
    /// Most recently changed first.
    Updated,
    /// Oldest first.
    Created,
    Stage,
    /// Earliest open task first; cases without tasks last.
    NextDue,
}

/// What a caseload page asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseloadQuery {
    pub filter: CaseFilter,
    /// Only cases whose team includes the user (not every case they may see).
    pub mine_only: bool,
    pub stage: Option<Stage>,
    /// Only cases with an HHS-5 notification still due.
    pub hhs_pending: bool,
    pub sort: CaseloadSort,
    pub limit: u32,
    pub offset: u32,
    pub now: OffsetDateTime,
}

/// One caseload line (the name is a ciphertext).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseloadRow {
    pub id: CaseId,
    pub person: Option<PersonId>,
    pub name: Option<Vec<u8>>,
    pub stage: Stage,
    pub updated_at: OffsetDateTime,
    pub next_due: Option<Date>,
    pub hhs_notice_due_at: Option<OffsetDateTime>,
}

/// An attachment without its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachmentMeta {
    pub id: AttachmentId,
    pub case: CaseId,
    pub compartment: Compartment,
    /// Encrypted file name.
    pub name: Vec<u8>,
    pub content_type: String,
    pub size: u64,
    pub sha256: [u8; 32],
    pub by: UserId,
    pub at: OffsetDateTime,
}

/// An intake draft (the body is a ciphertext).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDraft {
    pub id: DraftId,
    pub user: UserId,
    pub body: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Everything a new intake writes, in one transaction.
#[derive(Clone, Debug)]
pub struct NewIntake<'a> {
    pub person: &'a crate::StoredPerson,
    /// Close-match keys of the person (see `close_matches`).
    pub match_keys: &'a [[u8; 32]],
    pub facts: &'a CaseFacts,
    pub header: &'a CaseHeader,
    /// First entries: screening, rights, needs.
    pub entries: &'a [StoredEntry],
    /// The draft the intake came from, deleted with it.
    pub draft: Option<(UserId, DraftId)>,
}

/// One case for [`CaseRecordStore::import_cases`].
#[derive(Clone, Debug)]
pub struct ImportCase {
    pub person: crate::StoredPerson,
    pub match_keys: Vec<[u8; 32]>,
    pub facts: CaseFacts,
    pub header: CaseHeader,
    pub entries: Vec<StoredEntry>,
}

/// The case record: header, entries, attachments and intake drafts.
#[async_trait]
pub trait CaseRecordStore: Send + Sync + 'static {
    /// Creates the person and their case with its team, header and first
    /// entries, and deletes the intake draft it came from, in one transaction.
    async fn create_intake(&self, intake: &NewIntake<'_>, audit: &AuditEntry) -> StoreResult<()>;
    /// Loads many prepared cases in one transaction with one audit entry: for
    /// importing records from another system and for generating benchmark
    /// data. Nothing is searched or checked beyond the schema's own rules.
    async fn import_cases(&self, cases: &[ImportCase], audit: &AuditEntry) -> StoreResult<()>;
    /// Persons of `organization` sharing at least one close-match key, with
    /// their case and the number of keys shared, most shared first.
    async fn close_matches(
        &self,
        organization: OrganizationId,
        keys: &[[u8; 32]],
        limit: u32,
    ) -> StoreResult<Vec<(PersonId, Option<CaseId>, u32)>>;
    async fn case_header(&self, case: CaseId) -> StoreResult<Option<CaseHeader>>;
    /// Applies a header change with its timeline entry (if any), audited.
    /// `false` when the case does not exist or the stage moved meanwhile.
    async fn update_case_header(
        &self,
        case: CaseId,
        change: &HeaderChange,
        entry: Option<&StoredEntry>,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Replaces the encrypted person profile (and, when given, name and date
    /// of birth with their blind index), audited.
    async fn update_person(
        &self,
        case: CaseId,
        person: &crate::StoredPerson,
        match_keys: &[[u8; 32]],
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Adds (`add`) or removes a team member in a role, audited. `false`
    /// when nothing changed.
    async fn set_team_member(
        &self,
        case: CaseId,
        user: UserId,
        role: haven_domain::access::TeamRole,
        add: bool,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Adds an entry, with the notices to the victim it calls for (a court
    /// date), in one transaction.
    async fn add_entry(
        &self,
        entry: &StoredEntry,
        audit: &AuditEntry,
        notices: &[crate::DeliveryRow],
    ) -> StoreResult<()>;
    /// `false` when no such entry on that case.
    async fn update_entry(&self, update: &EntryUpdate, audit: &AuditEntry) -> StoreResult<bool>;
    async fn entry(&self, case: CaseId, id: EntryId) -> StoreResult<Option<StoredEntry>>;
    /// Every structured entry (needs, plan, tasks, rights, screenings) and
    /// the newest `timeline_limit` timeline events, newest first; with the
    /// total number of timeline events.
    async fn case_entries(
        &self,
        case: CaseId,
        timeline_limit: u32,
    ) -> StoreResult<(Vec<StoredEntry>, u64)>;
    /// One page of the caseload and the number of matching cases.
    async fn caseload(&self, q: &CaseloadQuery) -> StoreResult<(u64, Vec<CaseloadRow>)>;

    async fn add_attachment(
        &self,
        meta: &AttachmentMeta,
        content: &[u8],
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    async fn attachments(&self, case: CaseId) -> StoreResult<Vec<AttachmentMeta>>;
    async fn attachment(
        &self,
        case: CaseId,
        id: AttachmentId,
    ) -> StoreResult<Option<(AttachmentMeta, Vec<u8>)>>;

    /// Inserts or replaces a draft of `draft.user` (never another's).
    async fn save_draft(&self, draft: &StoredDraft, audit: &AuditEntry) -> StoreResult<()>;
    async fn drafts(&self, user: UserId) -> StoreResult<Vec<StoredDraft>>;
    async fn draft(&self, user: UserId, id: DraftId) -> StoreResult<Option<StoredDraft>>;
    async fn delete_draft(
        &self,
        user: UserId,
        id: DraftId,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
}

/// An emergency assistance fund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fund {
    pub id: FundId,
    pub organization: OrganizationId,
    pub name: String,
    pub budget: Cents,
    pub balance: Cents,
    pub created_at: OffsetDateTime,
}

/// A request for money (`description` and `decision_note` are ciphertexts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FundRequest {
    pub id: FundRequestId,
    pub fund: FundId,
    pub case: CaseId,
    pub amount: Cents,
    pub purpose: FundPurpose,
    pub urgency: Urgency,
    pub description: Vec<u8>,
    pub status: FundRequestStatus,
    pub requested_by: UserId,
    pub requested_at: OffsetDateTime,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<OffsetDateTime>,
    pub decision_note: Option<Vec<u8>>,
    pub disbursed_by: Option<UserId>,
    pub disbursed_at: Option<OffsetDateTime>,
    pub method: Option<String>,
}

/// The outcome of a decision on a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decided {
    Done,
    /// Already decided (or no such request).
    NotPending,
    /// Approving would take the balance below zero: nothing changed.
    InsufficientFunds,
}

/// Spending from a fund in one purpose category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spending {
    pub purpose: FundPurpose,
    pub requests: u64,
    /// Approved or disbursed.
    pub committed: Cents,
    pub disbursed: Cents,
}

/// Emergency assistance funds. The balance rule (never below zero) is
/// enforced inside the database transaction that approves.
#[async_trait]
pub trait FundStore: Send + Sync + 'static {
    async fn create_fund(&self, fund: &Fund, audit: &AuditEntry) -> StoreResult<()>;
    async fn funds(&self, organization: OrganizationId) -> StoreResult<Vec<Fund>>;
    async fn fund(&self, id: FundId) -> StoreResult<Option<Fund>>;
    /// Adds to budget and balance.
    async fn add_to_fund(&self, id: FundId, amount: Cents, audit: &AuditEntry)
    -> StoreResult<bool>;
    async fn request_funds(&self, request: &FundRequest, audit: &AuditEntry) -> StoreResult<()>;
    async fn fund_request(&self, id: FundRequestId) -> StoreResult<Option<FundRequest>>;
    async fn fund_requests_for_case(&self, case: CaseId) -> StoreResult<Vec<FundRequest>>;
    /// Requests waiting for a decision in an organization's funds, oldest first.
    async fn pending_fund_requests(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<Vec<FundRequest>>;
    /// Approves (taking the amount from the balance) or denies a pending
    /// request, in one transaction with its audit entry.
    async fn decide_fund_request(
        &self,
        id: FundRequestId,
        approve: bool,
        by: UserId,
        note: Option<&[u8]>,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<Decided>;
    /// Records the payment of an approved request; `false` if not approved.
    async fn disburse(
        &self,
        id: FundRequestId,
        by: UserId,
        method: &str,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    async fn spending(&self, fund: FundId) -> StoreResult<Vec<Spending>>;
    async fn approval_limit(&self, user: UserId) -> StoreResult<Cents>;
    async fn set_approval_limit(
        &self,
        user: UserId,
        limit: Cents,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
}
