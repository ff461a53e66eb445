//! Haven's storage layer.
//!
//! One [`Store`] trait (split by area into sub-traits) and two implementations:
//! [`sqlite::SqliteStore`] for a single machine and [`postgres::PgStore`] for
//! several Haven instances sharing one database. The backend is chosen once,
//! at start-up, from the database URL ([`DatabaseTarget::parse`]).
//!
//! Stores move values; they do not decide who may see them. Authorization,
//! encryption and auditing sit above this trait and are written once.

mod audit_log;
mod backend;
pub mod columns;
pub mod directory;
mod directory_stats;
mod error;
pub mod interview;
pub mod migrate;
pub mod postgres;
pub mod record;
pub mod relief;
pub mod sign_in;
pub mod sqlite;
mod target;

use async_trait::async_trait;
use haven_domain::access::CaseFacts;
use haven_domain::consent::{Consent, FieldGroup, Party, Signer};
use haven_domain::policy::UserScope;
use haven_domain::{AuditEntry, LoginName, Organization, OrganizationId, Role, User, UserId};
use haven_domain::{CaseId, ConsentId, PersonId};
use std::path::Path;
use std::sync::Arc;
use time::OffsetDateTime;

pub use audit_log::*;
pub use directory::{
    DirLocationRow, DirOrganizationRow, DirServiceRow, DirectoryHit, DirectoryQuery,
    DirectoryStore, DirectoryWrite, HotlineRow, OutboxMessage, ReferralChange, ReferralEventRow,
    ReferralRow, ReferralStats,
};
pub use error::{StoreError, StoreResult};
pub use interview::{
    CustodyRow, DeliveryCount, DeliveryOutcome, DeliveryRow, InterviewChange, InterviewFileRow,
    InterviewRow, InterviewStore, ScheduleOutcome, ScheduleWrite, TemplateRow,
};
pub use migrate::SchemaStatus;
pub use record::{
    AttachmentMeta, CaseHeader, CaseRecordStore, CaseloadQuery, CaseloadRow, CaseloadSort, Decided,
    EntryUpdate, Fund, FundRequest, FundStore, HeaderChange, ImportCase, NewIntake, Spending,
    StoredDraft, StoredEntry,
};
pub use relief::{
    ClaimedMessage, DeadlineListRow, DeadlineQuery, DeadlineRow, Notification, ReliefStore,
    ReliefWrite, Signing, StoredDocument, StoredRelief, Withdrawal,
};
pub use sign_in::{
    ApiToken, FailureCount, MfaRecord, MfaStore, SessionRecord, SessionStore, ThrottleStore,
    TokenStore,
};
pub use target::{Backend, DatabaseTarget, SQLITE_FILE_NAME};

/// `Store` is every area's trait, and anything that implements them all.
macro_rules! store_of {
    ($($area:ident),*) => {
        /// Everything Haven stores. Implemented by SQLite and PostgreSQL.
        pub trait Store: $($area +)* {}
        impl<T> Store for T where T: $($area +)* {}
    };
}

store_of!(
    SchemaStore,
    PeopleStore,
    SessionStore,
    ThrottleStore,
    AuditStore,
    KeyStore,
    MfaStore,
    TokenStore,
    CaseAccessStore,
    CaseRecordStore,
    FundStore,
    ReliefStore,
    DirectoryStore,
    InterviewStore,
    CasePageStore
);

/// What a case page reads once the case is opened.
#[derive(Clone, Copy, Debug)]
pub struct CasePageQuery<'a> {
    pub case: CaseId,
    /// Whose funds the page offers (the viewer's organization's).
    pub viewer_organization: OrganizationId,
    /// The newest notices to read.
    pub deliveries: u32,
    /// The newest timeline events to read (as `case_entries`).
    pub timeline: u32,
    /// People whose names the page shows besides those the rows mention
    /// (the case team).
    pub people: &'a [UserId],
}

/// The rows a case page shows beside the case's header and person.
#[derive(Clone, Debug, Default)]
pub struct CaseLists {
    /// As `case_entries`: every structured entry, then the newest timeline
    /// events, with the number of timeline events.
    pub entries: Vec<StoredEntry>,
    pub timeline_total: u64,
    pub attachments: Vec<AttachmentMeta>,
    pub fund_requests: Vec<FundRequest>,
    /// The viewer's organization's funds (whether they may request one).
    pub funds: Vec<Fund>,
    pub referrals: Vec<ReferralRow>,
    /// The newest notices, at most the number asked for.
    pub deliveries: Vec<DeliveryRow>,
    pub interviews: Vec<InterviewRow>,
    /// Display names of the query's people and of everyone these rows
    /// name: entry authors and assignees, uploaders, requesters.
    pub names: std::collections::HashMap<UserId, String>,
}

impl CaseLists {
    /// The people whose names [`CaseLists::names`] holds, deduplicated.
    #[must_use]
    pub fn named_people(&self, people: &[UserId]) -> Vec<UserId> {
        let mut ids: Vec<UserId> = people.to_vec();
        for e in &self.entries {
            ids.push(e.by);
            ids.extend(e.assignee);
        }
        ids.extend(self.attachments.iter().map(|a| a.by));
        ids.extend(self.fund_requests.iter().map(|r| r.requested_by));
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Reads that a case page makes together.
#[async_trait]
pub trait CasePageStore: Send + Sync + 'static {
    /// The same rows as `case_entries`, `attachments`,
    /// `fund_requests_for_case`, `funds`, `referrals_for_case`,
    /// `deliveries_for_case`, `interviews_for_case` and `display_names`,
    /// read together: on PostgreSQL in one statement (each list a
    /// `json_agg`), where eight cost eight executor start-ups, round trips
    /// and pool checkouts.
    async fn case_lists(&self, q: CasePageQuery<'_>) -> StoreResult<CaseLists>;
}

/// The shared handle the server and commands hold.
pub type DynStore = Arc<dyn Store>;

/// Schema, health and maintenance.
#[async_trait]
pub trait SchemaStore: Send + Sync + 'static {
    fn backend(&self) -> Backend;
    /// Applies every pending migration, each in its own transaction. Safe to
    /// run from several instances at once (PostgreSQL takes an advisory lock).
    async fn migrate(&self) -> StoreResult<SchemaStatus>;
    /// Which migrations are applied, compared with the ones this binary knows.
    async fn schema_status(&self) -> StoreResult<SchemaStatus>;
    /// A cheap round trip to the database.
    async fn ping(&self) -> StoreResult<()>;
    /// Whether data writes are refused now because the disk is full
    /// (SQLite's reserve is in use; see `sqlite/reserve.rs`).
    fn disk_full(&self) -> bool {
        false
    }
    /// A consistent online copy of the whole database to `dest` (SQLite only;
    /// PostgreSQL is backed up with its own tools, see the README).
    async fn backup_to(&self, dest: &Path) -> StoreResult<()>;
    /// Closes every connection after in-flight queries finish.
    async fn close(&self);
}

/// Organizations and staff users.
#[async_trait]
pub trait PeopleStore: Send + Sync + 'static {
    async fn create_organization(&self, org: &Organization, audit: &AuditEntry) -> StoreResult<()>;
    async fn organization(&self, id: OrganizationId) -> StoreResult<Option<Organization>>;
    async fn list_organizations(&self) -> StoreResult<Vec<Organization>>;
    /// Creates the user and their roles in one transaction, with its audit entry.
    async fn create_user(&self, user: &User, audit: &AuditEntry) -> StoreResult<()>;
    async fn user(&self, id: UserId) -> StoreResult<Option<User>>;
    async fn user_by_login(&self, login: &LoginName) -> StoreResult<Option<User>>;
    async fn set_password_hash(&self, id: UserId, phc: &str) -> StoreResult<()>;
    async fn count_users(&self) -> StoreResult<u64>;
    /// Replaces a user's roles and disabled flag, with the audit entry, in one
    /// transaction. Disabling also ends every session of the account.
    async fn update_user_access(
        &self,
        id: UserId,
        roles: &[Role],
        disabled: bool,
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    /// The accounts a policy scope allows, by display name, each with whether
    /// a second factor is on.
    async fn list_users(&self, scope: UserScope) -> StoreResult<Vec<(User, bool)>>;
    /// The latest grants of roles that see personal data in `organization`,
    /// newest first. `create_user` and `update_user_access` record them (and
    /// tell the organization's supervisors) in their own transaction.
    async fn role_grants(
        &self,
        organization: OrganizationId,
        limit: u32,
    ) -> StoreResult<Vec<RoleGrant>>;
    /// Enabled law-enforcement agents and forensic interviewers of
    /// law-enforcement organizations: the partner-agency staff a case team
    /// may include.
    async fn partner_staff(&self) -> StoreResult<Vec<User>>;
    /// These users (any organization), for showing names; one query.
    async fn users_by_ids(&self, ids: &[UserId]) -> StoreResult<Vec<User>>;
    /// These users' display names (any organization), for pages that show
    /// who did what: one lean query, without roles or sign-in data.
    async fn display_names(
        &self,
        ids: &[UserId],
    ) -> StoreResult<std::collections::HashMap<UserId, String>>;
}

/// A role that sees personal data, as it was granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleGrant {
    pub user: UserId,
    pub role: Role,
    /// `None` when granted from the command line.
    pub granted_by: Option<UserId>,
    pub granted_at: OffsetDateTime,
}

/// The roles of `after` that see personal data and `before` did not have.
pub(crate) fn granted_roles(before: &[Role], after: &[Role]) -> Vec<Role> {
    after
        .iter()
        .copied()
        .filter(|r| r.sees_personal_data() && !before.contains(r))
        .collect()
}

/// The account whose roles change, as grants are recorded.
pub(crate) struct Grantee<'a> {
    pub id: UserId,
    pub organization: OrganizationId,
    pub name: &'a str,
    pub roles: &'a [Role],
}

/// The staff message telling supervisors of a grant: codes and ids, and the
/// grantee's display name (staff, never a victim).
pub(crate) fn grant_payload(user: &Grantee<'_>, role: Role) -> String {
    serde_json::json!({
        "role": role.as_str(),
        "user": user.id.to_string(),
        "name": user.name,
    })
    .to_string()
}

/// The access facts of cases, and releases of information.
#[async_trait]
pub trait CaseAccessStore: Send + Sync + 'static {
    /// Creates a case with its team, with the audit entry, in one transaction.
    async fn create_case(
        &self,
        case: &CaseFacts,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    async fn case_facts(&self, id: CaseId) -> StoreResult<Option<CaseFacts>>;
    /// Records a release (validated by the caller), audited.
    async fn add_consent(&self, consent: &Consent, audit: &AuditEntry) -> StoreResult<()>;
    /// Revokes a release at `at`, audited; `false` if none or already revoked.
    async fn revoke_consent(
        &self,
        id: ConsentId,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    async fn consents_for_case(&self, case: CaseId) -> StoreResult<Vec<Consent>>;
    /// Releases whose purpose an older Haven wrote in plaintext
    /// (`legacy_purpose`), at most `limit`.
    async fn legacy_consent_purposes(&self, limit: u32) -> StoreResult<Vec<(ConsentId, String)>>;
    /// Stores a release's sealed purpose and empties its plaintext.
    async fn seal_consent_purpose(&self, id: ConsentId, sealed: &[u8]) -> StoreResult<()>;
    /// Everything a case read needs (facts, releases, person, header); one
    /// round trip on PostgreSQL.
    async fn case_bundle(&self, case: CaseId) -> StoreResult<Option<CaseBundle>>;
    /// Records an emergency opening, audited, in one transaction.
    async fn record_emergency_access(
        &self,
        e: &EmergencyAccess,
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    /// Emergency openings of cases `organization` owns, not yet reviewed,
    /// oldest first: the owning organization's supervisors review them,
    /// whoever opened them.
    async fn pending_emergency_access(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<Vec<EmergencyAccess>>;
    /// Every emergency opening of one case, newest first.
    async fn emergency_access_for_case(&self, case: CaseId) -> StoreResult<Vec<EmergencyAccess>>;
    /// Marks one reviewed by `reviewer` (never the person who opened it);
    /// `false` if there is no such pending entry for another person.
    async fn review_emergency_access(
        &self,
        id: uuid::Uuid,
        reviewer: UserId,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Persons whose blind index matches, each with their case.
    async fn persons_by_index(
        &self,
        index: &[u8; 32],
    ) -> StoreResult<Vec<(StoredPerson, Option<CaseId>)>>;
}

/// A case's access facts, releases and person, read together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseBundle {
    pub facts: CaseFacts,
    pub consents: Vec<Consent>,
    pub person: Option<StoredPerson>,
    pub header: CaseHeader,
}

/// An emergency opening of a case (the reason is a ciphertext).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmergencyAccess {
    pub id: uuid::Uuid,
    pub case: CaseId,
    pub user: UserId,
    /// The opener's organization.
    pub organization: OrganizationId,
    pub reason: Vec<u8>,
    pub at: OffsetDateTime,
    /// Who reviewed it, and when (`None` while it waits).
    pub reviewed: Option<(UserId, OffsetDateTime)>,
}

/// A person as stored: personal fields are ciphertexts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPerson {
    pub id: PersonId,
    pub organization: OrganizationId,
    pub name: Vec<u8>,
    pub birth_date: Option<Vec<u8>>,
    pub name_dob_index: Option<[u8; 32]>,
    /// The encrypted [`haven_domain::record::PersonProfile`].
    pub profile: Option<Vec<u8>>,
}

fn encode_parties(parties: &[Party]) -> String {
    parties
        .iter()
        .map(|p| {
            let s = match p.signer {
                Signer::Victim => "victim",
                Signer::ParentOrGuardian => "parent_or_guardian",
                Signer::CourtGuardian => "court_guardian",
            };
            format!("{s}:{}", u8::from(p.recorded_as_abuser))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn decode_parties(text: &str) -> StoreResult<Vec<Party>> {
    text.split_whitespace()
        .map(|p| {
            let (s, abuser) = p
                .split_once(':')
                .ok_or(StoreError::Corrupt("consents.parties"))?;
            let signer = match s {
                "victim" => Signer::Victim,
                "parent_or_guardian" => Signer::ParentOrGuardian,
                "court_guardian" => Signer::CourtGuardian,
                _ => return Err(StoreError::Corrupt("consents.parties")),
            };
            Ok(Party {
                signer,
                recorded_as_abuser: abuser == "1",
            })
        })
        .collect()
}

fn encode_fields(fields: &[FieldGroup]) -> String {
    fields
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn decode_fields(text: &str) -> StoreResult<Vec<FieldGroup>> {
    text.split_whitespace()
        .map(|f| FieldGroup::parse(f).ok_or(StoreError::Corrupt("consents.fields")))
        .collect()
}

/// A data key as stored: wrapped by the master key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKey {
    pub id: u32,
    pub wrapped: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub retired_at: Option<OffsetDateTime>,
}

/// A column that holds Haven ciphertexts, for key rotation. Each new
/// encrypted column is added here, so that rotation cannot miss it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncryptedColumn {
    /// `user_mfa.secret`, bound to `user_mfa/secret/<user_id>`.
    MfaSecret,
    /// `persons.name`, bound to `persons/name/<id>`.
    PersonName,
    /// `persons.birth_date`, bound to `persons/birth_date/<id>`.
    PersonBirthDate,
    /// `emergency_access.reason`, bound to `emergency_access/reason/<id>`.
    EmergencyReason,
    /// `persons.profile`, bound to `persons/profile/<id>`.
    PersonProfile,
    /// `cases.profile`, bound to `cases/profile/<id>`.
    CaseProfile,
    /// `case_entries.body`, bound to `case_entries/body/<id>`.
    EntryBody,
    /// `case_attachments.name`, bound to `case_attachments/name/<id>`.
    AttachmentName,
    /// `case_attachments.content`, bound to `case_attachments/content/<id>`.
    AttachmentContent,
    /// `intake_drafts.body`, bound to `intake_drafts/body/<id>`.
    IntakeDraft,
    /// `fund_requests.description`, bound to `fund_requests/description/<id>`.
    FundRequestDescription,
    /// `fund_requests.decision_note`, bound to `fund_requests/decision_note/<id>`.
    FundDecisionNote,
    /// `case_relief.facts`, bound to `case_relief/facts/<case_id>`.
    ReliefFacts,
    /// `relief_documents.content`, bound to `relief_documents/content/<id>`.
    DocumentContent,
    /// `relief_documents.withdrawal_reason`, bound to `relief_documents/withdrawal_reason/<id>`.
    DocumentWithdrawalReason,
    /// `directory_locations.private_record` (a confidential location's full
    /// record), bound to `directory_locations/private_record/<id>`.
    DirectoryLocationPrivate,
    /// `referrals.note`, bound to `referrals/note/<id>`.
    ReferralNote,
    /// `referrals.personal`, bound to `referrals/personal/<id>`.
    ReferralPersonal,
    /// `referral_events.note`, bound to `referral_events/note/<id>`.
    ReferralEventNote,
    /// `interviews.request`, bound to `interviews/request/<id>`.
    InterviewRequest,
    /// `interviews.schedule`, bound to `interviews/schedule/<id>`.
    InterviewSchedule,
    /// `interviews.summary`, bound to `interviews/summary/<id>`.
    InterviewSummary,
    /// `interview_files.name`, bound to `interview_files/name/<id>`.
    InterviewFileName,
    /// `interview_file_chunks.data`, bound to `interview_file_chunks/data/<id>`.
    InterviewFileChunk,
    /// `custody_events.detail`, bound to `custody_events/detail/<id>`.
    CustodyDetail,
    /// `deliveries.destination`, bound to `deliveries/destination/<id>`.
    DeliveryDestination,
    /// `deliveries.subject`, bound to `deliveries/subject/<id>`.
    DeliverySubject,
    /// `deliveries.body`, bound to `deliveries/body/<id>`.
    DeliveryBody,
    /// `consents.purpose`, bound to `consents/purpose/<id>`.
    ConsentPurpose,
}

impl EncryptedColumn {
    pub const ALL: [EncryptedColumn; 29] = [
        Self::MfaSecret,
        Self::PersonName,
        Self::PersonBirthDate,
        Self::EmergencyReason,
        Self::PersonProfile,
        Self::CaseProfile,
        Self::EntryBody,
        Self::AttachmentName,
        Self::AttachmentContent,
        Self::IntakeDraft,
        Self::FundRequestDescription,
        Self::FundDecisionNote,
        Self::ReliefFacts,
        Self::DocumentContent,
        Self::DocumentWithdrawalReason,
        Self::DirectoryLocationPrivate,
        Self::ReferralNote,
        Self::ReferralPersonal,
        Self::ReferralEventNote,
        Self::InterviewRequest,
        Self::InterviewSchedule,
        Self::InterviewSummary,
        Self::InterviewFileName,
        Self::InterviewFileChunk,
        Self::CustodyDetail,
        Self::DeliveryDestination,
        Self::DeliverySubject,
        Self::DeliveryBody,
        Self::ConsentPurpose,
    ];

    /// (table, column) as bound into the ciphertext.
    #[must_use]
    pub const fn binding(self) -> (&'static str, &'static str) {
        match self {
            Self::MfaSecret => ("user_mfa", "secret"),
            Self::PersonName => ("persons", "name"),
            Self::PersonBirthDate => ("persons", "birth_date"),
            Self::EmergencyReason => ("emergency_access", "reason"),
            Self::PersonProfile => ("persons", "profile"),
            Self::CaseProfile => ("cases", "profile"),
            Self::EntryBody => ("case_entries", "body"),
            Self::AttachmentName => ("case_attachments", "name"),
            Self::AttachmentContent => ("case_attachments", "content"),
            Self::IntakeDraft => ("intake_drafts", "body"),
            Self::FundRequestDescription => ("fund_requests", "description"),
            Self::FundDecisionNote => ("fund_requests", "decision_note"),
            Self::ReliefFacts => ("case_relief", "facts"),
            Self::DocumentContent => ("relief_documents", "content"),
            Self::DocumentWithdrawalReason => ("relief_documents", "withdrawal_reason"),
            Self::DirectoryLocationPrivate => ("directory_locations", "private_record"),
            Self::ReferralNote => ("referrals", "note"),
            Self::ReferralPersonal => ("referrals", "personal"),
            Self::ReferralEventNote => ("referral_events", "note"),
            Self::InterviewRequest => ("interviews", "request"),
            Self::InterviewSchedule => ("interviews", "schedule"),
            Self::InterviewSummary => ("interviews", "summary"),
            Self::InterviewFileName => ("interview_files", "name"),
            Self::InterviewFileChunk => ("interview_file_chunks", "data"),
            Self::CustodyDetail => ("custody_events", "detail"),
            Self::DeliveryDestination => ("deliveries", "destination"),
            Self::DeliverySubject => ("deliveries", "subject"),
            Self::DeliveryBody => ("deliveries", "body"),
            Self::ConsentPurpose => ("consents", "purpose"),
        }
    }
}

#[cfg(test)]
mod encrypted_column_tests;

/// One stored ciphertext: the row id it is bound to and the bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ciphertext {
    pub row: String,
    pub bytes: Vec<u8>,
}

/// Wrapped data keys.
#[async_trait]
pub trait KeyStore: Send + Sync + 'static {
    /// Up to `limit` ciphertexts in `column` not made with key `key_id`.
    async fn ciphertexts_not_under(
        &self,
        column: EncryptedColumn,
        key_id: u32,
        limit: u32,
    ) -> StoreResult<Vec<Ciphertext>>;
    /// Replaces one ciphertext if it is still `old` (compare-and-swap): a row
    /// changed meanwhile is left alone and found again by the next pass.
    async fn replace_ciphertext(
        &self,
        column: EncryptedColumn,
        row: &str,
        old: &[u8],
        new: &[u8],
    ) -> StoreResult<bool>;
    /// How many ciphertexts in `column` were made with key `key_id`.
    async fn count_ciphertexts_under(
        &self,
        column: EncryptedColumn,
        key_id: u32,
    ) -> StoreResult<u64>;
    async fn data_keys(&self) -> StoreResult<Vec<StoredKey>>;
    /// Adds a key; its audit entry is written in the same transaction.
    async fn add_data_key(&self, key: &StoredKey, audit: &AuditEntry) -> StoreResult<()>;
    async fn retire_data_key(&self, id: u32, at: OffsetDateTime) -> StoreResult<()>;
}

/// Options that apply when opening a store.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// PostgreSQL pool size per instance.
    pub max_connections: u32,
    /// Reader connections for SQLite (the writer is always exactly one).
    pub sqlite_readers: u32,
    /// MiB kept free beside the SQLite database for the audit log when the
    /// disk fills (`sqlite/reserve.rs`); 0 keeps none.
    pub sqlite_reserve_mib: u32,
    /// For tests: a size limit on the SQLite database, in pages, so that it
    /// fills without filling a disk.
    pub sqlite_max_page_count: Option<u64>,
    /// The size, in MiB, the SQLite WAL file is cut back to each time it
    /// starts over (`journal_size_limit`): the WAL grows under load between
    /// checkpoints, and without a limit keeps its largest size for good.
    pub sqlite_wal_limit_mib: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            sqlite_readers: 4,
            sqlite_reserve_mib: 16,
            sqlite_max_page_count: None,
            sqlite_wal_limit_mib: 64,
        }
    }
}

/// Opens the store a target names. Does not migrate; call
/// [`SchemaStore::migrate`] when the command should.
///
/// # Errors
/// When the data directory is not writable, the database cannot be reached,
/// or the file is not a database.
pub async fn open(target: &DatabaseTarget, options: &OpenOptions) -> StoreResult<DynStore> {
    Ok(match target {
        DatabaseTarget::Sqlite { path } => {
            Arc::new(sqlite::SqliteStore::open(path, options).await?) as DynStore
        }
        DatabaseTarget::Postgres { url } => {
            Arc::new(postgres::PgStore::connect(url, options).await?) as DynStore
        }
    })
}

/// Roles are stored one per row and read back as a comma-joined list.
fn parse_roles(joined: Option<&str>) -> StoreResult<Vec<haven_domain::Role>> {
    let mut roles = joined
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| haven_domain::Role::parse(s).ok_or(StoreError::Corrupt("user_roles.role")))
        .collect::<StoreResult<Vec<_>>>()?;
    roles.sort_unstable();
    Ok(roles)
}

fn bytes32(v: Vec<u8>, what: &'static str) -> StoreResult<[u8; 32]> {
    v.try_into().map_err(|_| StoreError::Corrupt(what))
}

#[cfg(feature = "testing")]
pub mod testing;
