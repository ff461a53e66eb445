//! The service directory, referrals and the hotline directory as stored.
//!
//! Directory records are public information published by providers, kept as
//! their HSDS JSON with search columns derived from them; the exception is a
//! confidential location, whose full record is encrypted. Referrals carry an
//! anonymous summary in plain columns and personal data only encrypted, only
//! with a release named.

use crate::StoreResult;
use async_trait::async_trait;
use haven_domain::{
    AuditEntry, CaseId, ConsentId, EntryId, HotlineId, MessageId, OrganizationId, ReferralId,
    ServiceId, UserId,
};
use std::collections::BTreeSet;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq)]
pub struct DirOrganizationRow {
    pub id: Uuid,
    pub name: String,
    /// HSDS organization JSON without services or locations.
    pub record: String,
    /// The Haven organization that answers referrals for it.
    pub haven_org: Option<OrganizationId>,
    pub updated_at: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DirLocationRow {
    pub id: Uuid,
    pub organization: Option<Uuid>,
    pub confidential: bool,
    /// Search coordinates: the location's own, or for a confidential
    /// location its ZIP code's centroid.
    pub point: Option<(f64, f64)>,
    /// Public HSDS location JSON (a confidential one without addresses or
    /// coordinates).
    pub record: String,
    /// Encrypted full record of a confidential location.
    pub private_record: Option<Vec<u8>>,
    pub updated_at: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DirServiceRow {
    pub id: ServiceId,
    pub organization: Option<Uuid>,
    pub name: String,
    pub status: String,
    pub needs: i64,
    pub populations: i64,
    pub funding: i64,
    pub languages: Vec<String>,
    pub minimum_age: Option<i32>,
    pub maximum_age: Option<i32>,
    pub capacity_available: Option<i64>,
    /// JSON list of `hours::Opening`.
    pub hours: String,
    /// HSDS service JSON (service-at-location records name their location
    /// by id; no nested organization).
    pub record: String,
    pub name_text: String,
    pub body_text: String,
    /// (service_at_location id, location id).
    pub places: Vec<(Uuid, Uuid)>,
    pub updated_at: OffsetDateTime,
}

/// One import: every row upserted by id in one transaction.
#[derive(Clone, Copy, Debug)]
pub struct DirectoryWrite<'a> {
    pub organizations: &'a [DirOrganizationRow],
    pub locations: &'a [DirLocationRow],
    pub services: &'a [DirServiceRow],
}

/// A directory search, already reduced to what SQL can filter on.
#[derive(Clone, Debug, Default)]
pub struct DirectoryQuery {
    /// Folded words; each matches as a prefix, all must match.
    pub words: Vec<String>,
    /// (min lat, max lat, min lon, max lon).
    pub bbox: Option<(f64, f64, f64, f64)>,
    /// Every bit must be set (0: no filter).
    pub needs: i64,
    pub populations: i64,
    pub funding: i64,
    pub language: Option<String>,
    pub age: Option<i32>,
    pub capacity_only: bool,
    pub taxonomy_org: Option<Uuid>,
    /// Candidates to return at most.
    pub limit: u32,
}

/// A candidate: the service, its relevance, and (with a radius) one of its
/// places inside the box.
#[derive(Clone, Debug, PartialEq)]
pub struct DirectoryHit {
    pub id: ServiceId,
    pub organization: Option<Uuid>,
    pub haven_org: Option<OrganizationId>,
    pub name: String,
    pub organization_name: Option<String>,
    pub relevance: f64,
    pub point: Option<(f64, f64)>,
    /// The place is a confidential location (its point is its ZIP code's centroid).
    pub confidential: bool,
    pub languages: Vec<String>,
    pub needs: i64,
    pub capacity_available: Option<i64>,
    pub hours: String,
    /// With words near a place: the folded (name, body) text, for the service
    /// to match and score the words.
    pub text: Option<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferralRow {
    pub id: ReferralId,
    pub case: CaseId,
    pub plan_item: EntryId,
    pub need: String,
    pub service: ServiceId,
    pub from_org: OrganizationId,
    pub to_org: OrganizationId,
    pub sent_by: UserId,
    pub sent_at: OffsetDateTime,
    pub urgency: String,
    pub age_range: String,
    /// Language codes, space separated.
    pub languages: String,
    /// Encrypted note to the provider.
    pub note: Option<Vec<u8>>,
    pub consent: Option<ConsentId>,
    /// Encrypted personal details (only with `consent`).
    pub personal: Option<Vec<u8>>,
    pub status: String,
    pub decline_reason: Option<String>,
    pub answered_at: Option<OffsetDateTime>,
    pub answered_by: Option<UserId>,
    pub updated_at: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferralEventRow {
    pub id: Uuid,
    pub referral: ReferralId,
    pub at: OffsetDateTime,
    pub by: UserId,
    pub status: String,
    /// Encrypted.
    pub note: Option<Vec<u8>>,
}

/// A message for the outbox, written in the transaction of its cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: MessageId,
    pub dedupe_key: String,
    pub kind: String,
    pub user: UserId,
    pub case: Option<CaseId>,
    /// Codes and ids only (JSON).
    pub payload: String,
}

/// A change of status, conditional on the status read before it.
#[derive(Clone, Debug)]
pub struct ReferralChange<'a> {
    pub id: ReferralId,
    pub from_status: &'a str,
    pub to_status: &'a str,
    pub decline_reason: Option<&'a str>,
    /// Set when this is the provider's first answer.
    pub answered: Option<(UserId, OffsetDateTime)>,
    pub at: OffsetDateTime,
}

/// Loop-closure figures for one receiving organization.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReferralStats {
    pub to_org: Option<OrganizationId>,
    pub total: i64,
    pub waiting: i64,
    pub accepted: i64,
    pub declined: i64,
    pub completed: i64,
    pub unable_to_contact: i64,
    /// Mean hours from sending to the first answer (accepted or declined).
    pub mean_hours_to_answer: Option<f64>,
    /// Median hours from sending to acceptance.
    pub median_hours_to_accept: Option<f64>,
    /// Decline reasons with their counts.
    pub decline_reasons: Vec<(String, i64)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HotlineRow {
    pub id: HotlineId,
    pub position: i32,
    pub name_en: String,
    pub name_es: String,
    pub phone: String,
    pub text_number: String,
    pub description_en: String,
    pub description_es: String,
    pub updated_at: OffsetDateTime,
}

#[async_trait]
pub trait DirectoryStore: Send + Sync + 'static {
    /// Which of these organization and location ids are stored.
    async fn directory_known(
        &self,
        organizations: &[Uuid],
        locations: &[Uuid],
    ) -> StoreResult<(BTreeSet<Uuid>, BTreeSet<Uuid>)>;
    /// Upserts every row by id (a service's places are replaced), in one
    /// transaction with the audit entry.
    async fn import_directory(
        &self,
        write: DirectoryWrite<'_>,
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    async fn directory_service(&self, id: ServiceId) -> StoreResult<Option<DirServiceRow>>;
    async fn directory_services(&self, ids: &[ServiceId]) -> StoreResult<Vec<DirServiceRow>>;
    /// Services by name, a page at a time, and how many there are.
    async fn directory_service_page(
        &self,
        organization: Option<Uuid>,
        offset: u32,
        limit: u32,
    ) -> StoreResult<(Vec<DirServiceRow>, u64)>;
    async fn directory_locations(&self, ids: &[Uuid]) -> StoreResult<Vec<DirLocationRow>>;
    async fn directory_organization(&self, id: Uuid) -> StoreResult<Option<DirOrganizationRow>>;
    async fn directory_organization_page(
        &self,
        offset: u32,
        limit: u32,
    ) -> StoreResult<(Vec<DirOrganizationRow>, u64)>;
    /// Directory organizations a Haven organization answers for.
    async fn directory_organizations_of(&self, haven: OrganizationId) -> StoreResult<Vec<Uuid>>;
    async fn search_directory(&self, q: &DirectoryQuery) -> StoreResult<Vec<DirectoryHit>>;
    /// Links (or unlinks) a directory organization to a Haven organization.
    async fn link_directory_organization(
        &self,
        id: Uuid,
        haven: Option<OrganizationId>,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    /// Replaces a service's record and search columns (capacity updates).
    async fn update_directory_service(
        &self,
        row: &DirServiceRow,
        audit: &AuditEntry,
    ) -> StoreResult<bool>;

    async fn create_referral(
        &self,
        referral: &ReferralRow,
        event: &ReferralEventRow,
        messages: &[OutboxMessage],
        audit: &AuditEntry,
    ) -> StoreResult<()>;
    async fn referral(&self, id: ReferralId) -> StoreResult<Option<ReferralRow>>;
    async fn referrals_for_case(&self, case: CaseId) -> StoreResult<Vec<ReferralRow>>;
    /// Incoming referrals of an organization, newest first; `open_only`
    /// keeps those waiting for an answer or in progress.
    async fn referrals_to(
        &self,
        org: OrganizationId,
        open_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<ReferralRow>>;
    /// Moves a referral from `from_status`; `false` when it has moved
    /// meanwhile. The event, messages and audit entry go in the same
    /// transaction.
    async fn change_referral(
        &self,
        change: &ReferralChange<'_>,
        event: &ReferralEventRow,
        messages: &[OutboxMessage],
        audit: &AuditEntry,
    ) -> StoreResult<bool>;
    async fn referral_events(&self, id: ReferralId) -> StoreResult<Vec<ReferralEventRow>>;
    /// Loop-closure figures per receiving organization (one, or all).
    async fn referral_stats(
        &self,
        to_org: Option<OrganizationId>,
    ) -> StoreResult<Vec<ReferralStats>>;
    /// Queues one reminder to the sender and to each provider staff member
    /// and supervisor of the receiving organization for every referral sent
    /// before `sent_before` and still unanswered, once (marks it reminded).
    /// Returns how many messages were queued.
    async fn enqueue_referral_reminders(
        &self,
        sent_before: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<u64>;

    async fn hotlines(&self) -> StoreResult<Vec<HotlineRow>>;
    async fn save_hotline(&self, row: &HotlineRow, audit: &AuditEntry) -> StoreResult<()>;
    async fn delete_hotline(&self, id: HotlineId, audit: &AuditEntry) -> StoreResult<bool>;
}
