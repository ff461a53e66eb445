//! Haven's domain: the types and rules every other crate speaks in.
//!
//! This crate is pure: no I/O, no async, no database. Whatever can be decided
//! from values alone (who may do what, which rule applies) lives here so that
//! it can be tested exhaustively.

pub mod access;
pub mod audit;
pub mod consent;
pub mod directory;
pub mod ids;
pub mod interview;
pub mod notice;
pub mod people;
pub mod policy;
pub mod record;
pub mod relief;
pub mod text;

pub use audit::{AuditAction, AuditEntry};
pub use ids::{
    ApiTokenId, AttachmentId, CaseId, ConsentId, DeliveryId, DocumentId, DraftId, EntryId, FundId,
    FundRequestId, HotlineId, InterviewFileId, InterviewId, MessageId, OrganizationId, PersonId,
    ReferralId, ServiceId, SessionId, UserId,
};
pub use people::{LoginName, OrgKind, Organization, Role, SessionStage, User};

/// The current time, truncated to whole milliseconds: the precision both
/// databases keep, so a value read back equals the value written.
#[must_use]
pub fn now() -> time::OffsetDateTime {
    whole_millis(time::OffsetDateTime::now_utc())
}

/// `t` cut to whole milliseconds (see [`now`]).
#[must_use]
pub fn whole_millis(t: time::OffsetDateTime) -> time::OffsetDateTime {
    t.replace_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(t)
}
