//! Audit entries: who did what to which record, and how it ended.
//!
//! Entries hold ids and action names, never personal data. They are written in
//! the same transaction as the action they record, then chained (see
//! ARCHITECTURE.md, "Audit chain").

use crate::ids::{OrganizationId, UserId};
use time::OffsetDateTime;

/// Every action Haven audits. The string form is stored; never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    SignInSucceeded,
    PasswordAccepted,
    SignInFailed,
    SignInLocked,
    SignedOut,
    SessionExpired,
    OrganizationCreated,
    UserCreated,
    KeyCreated,
    KeyRotated,
    MfaEnabled,
    MfaSucceeded,
    MfaFailed,
    MfaReset,
    RecoveryCodeUsed,
    SessionsEnded,
    AccessDenied,
    RecordViewed,
    ApiTokenCreated,
    ApiTokenRevoked,
    UserAccessChanged,
    CaseCreated,
    EmergencyAccess,
    EmergencyReviewed,
    ConsentRecorded,
    ConsentRevoked,
    CaseUpdated,
    CaseStageChanged,
    EntryRecorded,
    EntryUpdated,
    AttachmentAdded,
    HhsNotified,
    IntakeDraftSaved,
    IntakeDraftDeleted,
    FundCreated,
    FundRequested,
    FundApproved,
    FundDenied,
    FundDisbursed,
    ApprovalLimitChanged,
    TeamChanged,
    RecordsListed,
    /// Intake searched for an existing record of a person (name and date
    /// of birth): every probe is audited, found or not.
    DuplicateProbe,
    /// A role that sees personal data was granted to an account.
    RoleGranted,
    ReliefUpdated,
    DocumentDrafted,
    DocumentRead,
    DocumentSigned,
    DocumentWithdrawn,
    RemindersQueued,
    DirectoryImported,
    DirectoryLinked,
    DirectoryServiceUpdated,
    ReferralSent,
    ReferralRead,
    ReferralUpdated,
    HotlineSaved,
    HotlineDeleted,
    InterviewRequested,
    InterviewScheduled,
    InterviewUpdated,
    InterviewFileStored,
    InterviewFileRead,
    InterviewFileTransferred,
    NoticeQueued,
    OptOutRecorded,
    TemplateSaved,
    NotificationSettingsChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 68] = [
        Self::SignInSucceeded,
        Self::PasswordAccepted,
        Self::SignInFailed,
        Self::SignInLocked,
        Self::SignedOut,
        Self::SessionExpired,
        Self::OrganizationCreated,
        Self::UserCreated,
        Self::KeyCreated,
        Self::KeyRotated,
        Self::MfaEnabled,
        Self::MfaSucceeded,
        Self::MfaFailed,
        Self::MfaReset,
        Self::RecoveryCodeUsed,
        Self::SessionsEnded,
        Self::AccessDenied,
        Self::RecordViewed,
        Self::ApiTokenCreated,
        Self::ApiTokenRevoked,
        Self::UserAccessChanged,
        Self::CaseCreated,
        Self::EmergencyAccess,
        Self::EmergencyReviewed,
        Self::ConsentRecorded,
        Self::ConsentRevoked,
        Self::CaseUpdated,
        Self::CaseStageChanged,
        Self::EntryRecorded,
        Self::EntryUpdated,
        Self::AttachmentAdded,
        Self::HhsNotified,
        Self::IntakeDraftSaved,
        Self::IntakeDraftDeleted,
        Self::FundCreated,
        Self::FundRequested,
        Self::FundApproved,
        Self::FundDenied,
        Self::FundDisbursed,
        Self::ApprovalLimitChanged,
        Self::TeamChanged,
        Self::RecordsListed,
        Self::DuplicateProbe,
        Self::RoleGranted,
        Self::ReliefUpdated,
        Self::DocumentDrafted,
        Self::DocumentRead,
        Self::DocumentSigned,
        Self::DocumentWithdrawn,
        Self::RemindersQueued,
        Self::DirectoryImported,
        Self::DirectoryLinked,
        Self::DirectoryServiceUpdated,
        Self::ReferralSent,
        Self::ReferralRead,
        Self::ReferralUpdated,
        Self::HotlineSaved,
        Self::HotlineDeleted,
        Self::InterviewRequested,
        Self::InterviewScheduled,
        Self::InterviewUpdated,
        Self::InterviewFileStored,
        Self::InterviewFileRead,
        Self::InterviewFileTransferred,
        Self::NoticeQueued,
        Self::OptOutRecorded,
        Self::TemplateSaved,
        Self::NotificationSettingsChanged,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SignInSucceeded => "sign_in.succeeded",
            Self::PasswordAccepted => "sign_in.password_accepted",
            Self::SignInFailed => "sign_in.failed",
            Self::SignInLocked => "sign_in.locked",
            Self::SignedOut => "session.signed_out",
            Self::SessionExpired => "session.expired",
            Self::OrganizationCreated => "organization.created",
            Self::UserCreated => "user.created",
            Self::KeyCreated => "key.created",
            Self::KeyRotated => "key.rotated",
            Self::MfaEnabled => "mfa.enabled",
            Self::MfaSucceeded => "mfa.succeeded",
            Self::MfaFailed => "mfa.failed",
            Self::MfaReset => "mfa.reset",
            Self::RecoveryCodeUsed => "mfa.recovery_code_used",
            Self::SessionsEnded => "session.ended_everywhere",
            Self::AccessDenied => "access.denied",
            Self::RecordViewed => "record.viewed",
            Self::ApiTokenCreated => "api_token.created",
            Self::ApiTokenRevoked => "api_token.revoked",
            Self::UserAccessChanged => "user.access_changed",
            Self::CaseCreated => "case.created",
            Self::EmergencyAccess => "case.emergency_access",
            Self::EmergencyReviewed => "case.emergency_reviewed",
            Self::ConsentRecorded => "consent.recorded",
            Self::ConsentRevoked => "consent.revoked",
            Self::CaseUpdated => "case.updated",
            Self::CaseStageChanged => "case.stage_changed",
            Self::EntryRecorded => "case_entry.recorded",
            Self::EntryUpdated => "case_entry.updated",
            Self::AttachmentAdded => "attachment.added",
            Self::HhsNotified => "case.hhs_notified",
            Self::IntakeDraftSaved => "intake_draft.saved",
            Self::IntakeDraftDeleted => "intake_draft.deleted",
            Self::FundCreated => "fund.created",
            Self::FundRequested => "fund.requested",
            Self::FundApproved => "fund.approved",
            Self::FundDenied => "fund.denied",
            Self::FundDisbursed => "fund.disbursed",
            Self::ApprovalLimitChanged => "user.approval_limit_changed",
            Self::TeamChanged => "case.team_changed",
            Self::RecordsListed => "record.listed",
            Self::DuplicateProbe => "intake.duplicate_probe",
            Self::RoleGranted => "user.role_granted",
            Self::ReliefUpdated => "relief.updated",
            Self::DocumentDrafted => "document.drafted",
            Self::DocumentRead => "document.read",
            Self::DocumentSigned => "document.signed",
            Self::DocumentWithdrawn => "document.withdrawn",
            Self::RemindersQueued => "reminders.queued",
            Self::DirectoryImported => "directory.imported",
            Self::DirectoryLinked => "directory.linked",
            Self::DirectoryServiceUpdated => "directory.service_updated",
            Self::ReferralSent => "referral.sent",
            Self::ReferralRead => "referral.read",
            Self::ReferralUpdated => "referral.updated",
            Self::HotlineSaved => "hotline.saved",
            Self::HotlineDeleted => "hotline.deleted",
            Self::InterviewRequested => "interview.requested",
            Self::InterviewScheduled => "interview.scheduled",
            Self::InterviewUpdated => "interview.updated",
            Self::InterviewFileStored => "interview_file.stored",
            Self::InterviewFileRead => "interview_file.read",
            Self::InterviewFileTransferred => "interview_file.transferred",
            Self::NoticeQueued => "notice.queued",
            Self::OptOutRecorded => "notice.opt_out",
            Self::TemplateSaved => "notice.template_saved",
            Self::NotificationSettingsChanged => "user.notification_settings_changed",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One audited event, before it is chained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: OffsetDateTime,
    pub actor_user: Option<UserId>,
    pub actor_org: Option<OrganizationId>,
    pub action: AuditAction,
    /// The kind of record acted on, e.g. "user" or "session".
    pub resource_kind: Option<&'static str>,
    /// Its id (never a name or other personal data).
    pub resource_id: Option<String>,
    pub request_id: Option<String>,
}

impl AuditEntry {
    /// An entry for `action` now, with nothing else filled in.
    #[must_use]
    pub fn new(action: AuditAction) -> Self {
        Self {
            at: crate::now(),
            actor_user: None,
            actor_org: None,
            action,
            resource_kind: None,
            resource_id: None,
            request_id: None,
        }
    }

    #[must_use]
    pub fn by(mut self, user: UserId, org: OrganizationId) -> Self {
        self.actor_user = Some(user);
        self.actor_org = Some(org);
        self
    }

    /// The acting user when their organization is not at hand.
    #[must_use]
    pub fn by_user(mut self, user: UserId) -> Self {
        self.actor_user = Some(user);
        self
    }

    #[must_use]
    pub fn on(mut self, kind: &'static str, id: impl ToString) -> Self {
        self.resource_kind = Some(kind);
        self.resource_id = Some(id.to_string());
        self
    }

    #[must_use]
    pub fn request(mut self, id: Option<String>) -> Self {
        self.request_id = id;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
            assert!(seen.insert(a.as_str()));
        }
    }
}
