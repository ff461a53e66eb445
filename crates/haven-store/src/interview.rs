//! Forensic interviews, their files and chain of custody, and messages that
//! leave Haven (notices to victims, staff e-mail) with opt-outs, staff
//! notification settings and organization templates, as stored.
//!
//! Narrative and personal values arrive encrypted; the plain columns are
//! codes, ids, times and keyed hashes.

use crate::StoreResult;
use crate::directory::OutboxMessage;
use async_trait::async_trait;
use haven_domain::interview::InterviewStatus;
use haven_domain::{
    AuditEntry, CaseId, DeliveryId, InterviewFileId, InterviewId, OrganizationId, PersonId, UserId,
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterviewRow {
    pub id: InterviewId,
    pub case: CaseId,
    pub person: Option<PersonId>,
    /// The interviewing organization.
    pub org: OrganizationId,
    pub requested_by: UserId,
    pub requested_at: OffsetDateTime,
    pub status: InterviewStatus,
    pub age_at_interview: Option<i64>,
    pub traumatized: bool,
    pub requires_specialist: bool,
    pub language: String,
    pub interpreter_needed: bool,
    /// Encrypted request details (JSON).
    pub request: Vec<u8>,
    pub prior_count: i64,
    /// Observing organizations (stored as their ids, space-separated).
    pub observers: Vec<OrganizationId>,
    pub interviewer: Option<UserId>,
    pub specialist: Option<UserId>,
    pub starts_at: Option<OffsetDateTime>,
    pub ends_at: Option<OffsetDateTime>,
    /// Encrypted schedule details (JSON).
    pub schedule: Option<Vec<u8>>,
    pub summary: Option<Vec<u8>>,
    pub summary_compartment: Option<String>,
    pub completed_at: Option<OffsetDateTime>,
    pub updated_at: OffsetDateTime,
}

/// Scheduling (or rescheduling) an interview, with the bookings it makes.
#[derive(Clone, Debug)]
pub struct ScheduleWrite<'a> {
    pub id: InterviewId,
    /// The status read before: requested or scheduled.
    pub from_status: InterviewStatus,
    pub interviewer: UserId,
    pub specialist: Option<UserId>,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub schedule: &'a [u8],
    /// Resources kept busy (see the migration).
    pub resources: &'a [String],
    pub messages: &'a [OutboxMessage],
    pub deliveries: &'a [DeliveryRow],
    pub now: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScheduleOutcome {
    Scheduled,
    /// `resource` is already booked by `interview` over an overlapping span.
    Conflict {
        resource: String,
        interview: InterviewId,
        starts_at: OffsetDateTime,
        ends_at: OffsetDateTime,
    },
    /// The interview was no longer in `from_status`.
    Stale,
}

/// A change of an interview, conditional on the status read before it.
#[derive(Clone, Debug)]
pub struct InterviewChange<'a> {
    pub id: InterviewId,
    pub from_status: InterviewStatus,
    pub to_status: InterviewStatus,
    /// A new summary and its compartment.
    pub summary: Option<(&'a [u8], &'a str)>,
    pub add_observer: Option<OrganizationId>,
    pub now: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterviewFileRow {
    pub id: InterviewFileId,
    pub interview: InterviewId,
    pub kind: String,
    /// Encrypted file name.
    pub name: Vec<u8>,
    pub content_type: String,
    pub size: i64,
    pub sha256: Option<Vec<u8>>,
    pub status: String,
    pub by: UserId,
    pub at: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodyRow {
    pub id: Uuid,
    pub file: InterviewFileId,
    pub at: OffsetDateTime,
    pub by: UserId,
    pub action: String,
    pub sha256: Vec<u8>,
    /// Encrypted recipient and purpose of a transfer.
    pub detail: Option<Vec<u8>>,
}

/// A message to a person outside Haven.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: DeliveryId,
    pub dedupe_key: String,
    /// `victim` or `staff`.
    pub audience: String,
    pub channel: String,
    pub kind: String,
    pub rule: String,
    pub lang: String,
    pub reduced: bool,
    pub case: Option<CaseId>,
    pub user: Option<UserId>,
    /// Encrypted address or number.
    pub destination: Vec<u8>,
    /// Keyed hash of the normalized address (opt-outs).
    pub destination_key: Vec<u8>,
    pub subject: Option<Vec<u8>>,
    pub body: Vec<u8>,
    pub status: String,
    pub attempts: i64,
    pub available_at: OffsetDateTime,
    pub last_error: Option<String>,
    pub provider_id: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
}

/// How many deliveries have one status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryCount {
    pub status: String,
    pub messages: i64,
    pub attempts: i64,
}

/// How a delivery attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Sent { provider_id: Option<String> },
    Retry { error: String, at: OffsetDateTime },
    Failed { error: String },
    OptedOut,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateRow {
    pub organization: OrganizationId,
    pub lang: String,
    pub key: String,
    pub body: String,
    pub updated_by: UserId,
    pub updated_at: OffsetDateTime,
}

#[async_trait]
pub trait InterviewStore: Send + Sync + 'static {
    /// Records a request with the messages to the interviewers.
    async fn create_interview(
        &self,
        row: &InterviewRow,
        messages: &[OutboxMessage],
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    async fn interview(&self, id: InterviewId) -> StoreResult<Option<InterviewRow>>;
    async fn interviews_for_case(&self, case: CaseId) -> StoreResult<Vec<InterviewRow>>;
    /// Every interview of the person, on any case, oldest first.
    async fn interviews_for_person(&self, person: PersonId) -> StoreResult<Vec<InterviewRow>>;
    /// An organization's open requests and scheduled interviews.
    async fn interview_queue(
        &self,
        org: OrganizationId,
        limit: u32,
    ) -> StoreResult<Vec<InterviewRow>>;
    /// Books every resource and sets the schedule, or reports the first
    /// conflict; one transaction, serialized per resource.
    async fn schedule_interview(
        &self,
        w: &ScheduleWrite<'_>,
        audit: &AuditEntry,
    ) -> StoreResult<ScheduleOutcome>;
    /// `false` when the interview is no longer in `from_status`. A
    /// cancelled interview frees its bookings.
    async fn change_interview(
        &self,
        c: &InterviewChange<'_>,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;

    /// Starts a file (not listed until finished).
    async fn begin_file(&self, row: &InterviewFileRow) -> StoreResult<()>;
    async fn put_chunk(
        &self,
        file: InterviewFileId,
        chunk: Uuid,
        seq: i64,
        data: &[u8],
    ) -> StoreResult<()>;
    /// Marks the file `stored` names stored, with its size and the hash the
    /// event records, writing that first custody event and the audit entry
    /// in the same transaction.
    async fn finish_file(
        &self,
        size: i64,
        stored: &CustodyRow,
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    /// Removes an unfinished file and its chunks.
    async fn discard_file(&self, file: InterviewFileId) -> StoreResult<()>;
    async fn interview_files(&self, interview: InterviewId) -> StoreResult<Vec<InterviewFileRow>>;
    async fn interview_file(&self, file: InterviewFileId) -> StoreResult<Option<InterviewFileRow>>;
    /// One chunk: its id (the encryption binding) and ciphertext.
    async fn file_chunk(
        &self,
        file: InterviewFileId,
        seq: i64,
    ) -> StoreResult<Option<(Uuid, Vec<u8>)>>;
    async fn record_custody(&self, event: &CustodyRow, audit: &AuditEntry) -> StoreResult<()>;
    async fn custody_log(&self, file: InterviewFileId) -> StoreResult<Vec<CustodyRow>>;

    /// Queues messages (a repeated dedupe key queues nothing; an opted-out
    /// destination is recorded as `opted_out`). Returns how many were new.
    async fn queue_deliveries(
        &self,
        rows: &[DeliveryRow],
        audit: Option<&AuditEntry>,
    ) -> StoreResult<u64>;
    /// Claims up to `limit` due messages for `owner` until `lease_until`;
    /// pending messages to opted-out destinations are closed first.
    async fn claim_deliveries(
        &self,
        owner: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryRow>>;
    /// Records the attempt; `false` when `owner` no longer holds the lease.
    async fn finish_delivery(
        &self,
        id: DeliveryId,
        owner: &str,
        outcome: &DeliveryOutcome,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    async fn delivery(&self, id: DeliveryId) -> StoreResult<Option<DeliveryRow>>;
    async fn deliveries_for_case(&self, case: CaseId, limit: u32) -> StoreResult<Vec<DeliveryRow>>;
    /// Every delivery status with how many messages have it and their
    /// attempts in all (for operators and the delivery benchmark).
    async fn delivery_counts(&self) -> StoreResult<Vec<DeliveryCount>>;
    /// Records an opt-out and closes the pending messages to it at once.
    /// Returns how many pending messages were closed.
    async fn record_opt_out(
        &self,
        destination_key: &[u8],
        channel: &str,
        source: &str,
        now: OffsetDateTime,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<u64>;
    async fn remove_opt_out(
        &self,
        destination_key: &[u8],
        channel: &str,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    async fn is_opted_out(&self, destination_key: &[u8], channel: &str) -> StoreResult<bool>;

    async fn notification_settings(&self, user: UserId) -> StoreResult<Vec<(String, bool)>>;
    async fn save_notification_settings(
        &self,
        user: UserId,
        settings: &[(String, bool)],
        audit: &AuditEntry,
    ) -> StoreResult<()>;

    async fn templates(&self, org: OrganizationId) -> StoreResult<Vec<TemplateRow>>;
    async fn save_template(&self, row: &TemplateRow, audit: &AuditEntry) -> StoreResult<()>;
    async fn delete_template(
        &self,
        org: OrganizationId,
        lang: &str,
        key: &str,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
}
