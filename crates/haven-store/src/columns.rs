//! Every column of every table, and whether it may hold personal data.
//!
//! A test (`tests/columns.rs`) reads both databases' schemas and fails when a
//! column is missing here or listed but gone, so a new column is classified
//! when it is added. `Holds::Ciphertext` columns are exactly the
//! [`EncryptedColumn`](crate::EncryptedColumn) bindings; the canary test writes
//! a canary into each and finds it in no dump. Issue 22, finding 8.

/// What a column may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holds {
    /// Personal data, as Haven ciphertext (an `EncryptedColumn`).
    Ciphertext,
    /// A keyed HMAC of personal data, for equality lookups (blind indexes,
    /// match keys, opt-out and throttle keys).
    KeyedDigest,
    /// An unkeyed SHA-256 of a file or document, for its chain of custody: it
    /// confirms a file someone already holds, and reveals nothing else.
    ContentDigest,
    /// A code, flag or number about a person (a language code, an age band):
    /// plaintext so queues and searches can use it; never free text.
    Coded,
    /// Staff accounts' own data (sign-in name, display name): needed in
    /// plaintext to sign in and to say who did what.
    Staff,
    /// Secrets about no person: password hashes, wrapped keys, token hashes.
    Secret,
    /// Free text written before it was encrypted; emptied at start-up.
    Legacy,
    /// Nothing about a person: ids, times, codes, counts, organizations, the
    /// service directory.
    NotPersonal,
}

impl Holds {
    /// Whether the column may hold data about the people Haven serves.
    #[must_use]
    pub const fn personal(self) -> bool {
        matches!(
            self,
            Self::Ciphertext | Self::KeyedDigest | Self::ContentDigest | Self::Coded | Self::Legacy
        )
    }
}

/// One column: table, name, what it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub table: &'static str,
    pub name: &'static str,
    pub holds: Holds,
}

const fn col(table: &'static str, name: &'static str, holds: Holds) -> Column {
    Column { table, name, holds }
}

/// The columns both databases have.
#[rustfmt::skip]
pub const COLUMNS: &[Column] = &[
    col("api_tokens", "id", Holds::NotPersonal),
    col("api_tokens", "token_hash", Holds::Secret), // SHA-256 of the random API token (lookup key)
    col("api_tokens", "user_id", Holds::NotPersonal),
    col("api_tokens", "name", Holds::NotPersonal),
    col("api_tokens", "scopes", Holds::NotPersonal),
    col("api_tokens", "created_at", Holds::NotPersonal),
    col("api_tokens", "expires_at", Holds::NotPersonal),
    col("api_tokens", "revoked_at", Holds::NotPersonal),
    col("api_tokens", "last_used_at", Holds::NotPersonal),
    col("audit_log", "id", Holds::NotPersonal),
    col("audit_log", "at", Holds::NotPersonal),
    col("audit_log", "actor_user", Holds::NotPersonal),
    col("audit_log", "actor_org", Holds::NotPersonal),
    col("audit_log", "action", Holds::NotPersonal),
    col("audit_log", "resource_kind", Holds::NotPersonal),
    col("audit_log", "resource_id", Holds::NotPersonal),
    col("audit_log", "request_id", Holds::NotPersonal),
    col("audit_log", "chain_seq", Holds::NotPersonal),
    col("audit_log", "prev_hash", Holds::NotPersonal),
    col("audit_log", "hash", Holds::NotPersonal),
    col("case_attachments", "id", Holds::NotPersonal),
    col("case_attachments", "case_id", Holds::NotPersonal),
    col("case_attachments", "compartment", Holds::NotPersonal),
    col("case_attachments", "name", Holds::Ciphertext), // file name, ciphertext (AttachmentName)
    col("case_attachments", "content_type", Holds::NotPersonal),
    col("case_attachments", "size", Holds::NotPersonal),
    col("case_attachments", "sha256", Holds::ContentDigest), // UNKEYED SHA-256 of the plaintext file (integrity; confirmation-attack digest, not a lookup)
    col("case_attachments", "content", Holds::Ciphertext), // file bytes, ciphertext (AttachmentContent)
    col("case_attachments", "by_user", Holds::NotPersonal),
    col("case_attachments", "at", Holds::NotPersonal),
    col("case_deadlines", "case_id", Holds::NotPersonal),
    col("case_deadlines", "kind", Holds::NotPersonal),
    col("case_deadlines", "family_member", Holds::Coded), // a relation word such as child-2, never a name (relief::facts::is_family_label)
    col("case_deadlines", "pathway", Holds::NotPersonal),
    col("case_deadlines", "actor", Holds::NotPersonal),
    col("case_deadlines", "due_on", Holds::NotPersonal),
    col("case_deadlines", "due_at", Holds::NotPersonal),
    col("case_deadlines", "reminded_at", Holds::NotPersonal),
    col("case_entries", "id", Holds::NotPersonal),
    col("case_entries", "case_id", Holds::NotPersonal),
    col("case_entries", "kind", Holds::NotPersonal),
    col("case_entries", "compartment", Holds::NotPersonal),
    col("case_entries", "category", Holds::NotPersonal),
    col("case_entries", "status", Holds::NotPersonal),
    col("case_entries", "due_on", Holds::NotPersonal),
    col("case_entries", "assignee", Holds::NotPersonal),
    col("case_entries", "parent_id", Holds::NotPersonal),
    col("case_entries", "body", Holds::Ciphertext), // entry narrative JSON, ciphertext (EntryBody)
    col("case_entries", "by_user", Holds::NotPersonal),
    col("case_entries", "at", Holds::NotPersonal),
    col("case_entries", "updated_at", Holds::NotPersonal),
    col("case_relief", "case_id", Holds::NotPersonal),
    col("case_relief", "facts", Holds::Ciphertext), // relief facts JSON, ciphertext (ReliefFacts)
    col("case_relief", "updated_by", Holds::NotPersonal),
    col("case_relief", "updated_at", Holds::NotPersonal),
    col("case_stage_counts", "organization_id", Holds::NotPersonal),
    col("case_stage_counts", "stage", Holds::NotPersonal),
    col("case_stage_counts", "total", Holds::NotPersonal),
    col("case_team", "case_id", Holds::NotPersonal),
    col("case_team", "user_id", Holds::NotPersonal),
    col("case_team", "team_role", Holds::NotPersonal),
    col("cases", "id", Holds::NotPersonal),
    col("cases", "organization_id", Holds::NotPersonal),
    col("cases", "flag_1367", Holds::NotPersonal),
    col("cases", "created_at", Holds::NotPersonal),
    col("cases", "person_id", Holds::NotPersonal),
    col("cases", "stage", Holds::NotPersonal),
    col("cases", "closed_reason", Holds::NotPersonal),
    col("cases", "cooperation", Holds::NotPersonal),
    col("cases", "profile", Holds::Ciphertext), // trafficking profile JSON, ciphertext (CaseProfile)
    col("cases", "hhs_notice_due_at", Holds::NotPersonal),
    col("cases", "hhs_notice_met_at", Holds::NotPersonal),
    col("cases", "updated_at", Holds::NotPersonal),
    col("consents", "id", Holds::NotPersonal),
    col("consents", "case_id", Holds::NotPersonal),
    col("consents", "parties", Holds::NotPersonal),
    col("consents", "recipient_org", Holds::NotPersonal),
    col("consents", "recipient_role", Holds::NotPersonal),
    col("consents", "legacy_purpose", Holds::Legacy), // release purposes before migration 16; emptied at start-up (seal_legacy_consent_purposes)
    col("consents", "fields", Holds::NotPersonal),
    col("consents", "signed_on", Holds::NotPersonal),
    col("consents", "expires_on", Holds::NotPersonal),
    col("consents", "revoked_at", Holds::NotPersonal),
    col("consents", "purpose", Holds::Ciphertext), // release purpose, ciphertext (ConsentPurpose, added by uncommitted migration 0016)
    col("consents", "witnessed_by", Holds::NotPersonal),
    col("custody_events", "id", Holds::NotPersonal),
    col("custody_events", "file_id", Holds::NotPersonal),
    col("custody_events", "at", Holds::NotPersonal),
    col("custody_events", "by_user", Holds::NotPersonal),
    col("custody_events", "action", Holds::NotPersonal),
    col("custody_events", "sha256", Holds::ContentDigest), // UNKEYED SHA-256 of the plaintext file at each custody event
    col("custody_events", "detail", Holds::Ciphertext), // transfer recipient/purpose, ciphertext (CustodyDetail)
    col("data_keys", "id", Holds::NotPersonal),
    col("data_keys", "wrapped", Holds::Secret), // data key wrapped by the master key
    col("data_keys", "created_at", Holds::NotPersonal),
    col("data_keys", "retired_at", Holds::NotPersonal),
    col("deliveries", "id", Holds::NotPersonal),
    col("deliveries", "dedupe_key", Holds::NotPersonal),
    col("deliveries", "audience", Holds::NotPersonal),
    col("deliveries", "channel", Holds::NotPersonal),
    col("deliveries", "kind", Holds::NotPersonal),
    col("deliveries", "rule", Holds::NotPersonal),
    col("deliveries", "lang", Holds::NotPersonal),
    col("deliveries", "reduced", Holds::NotPersonal),
    col("deliveries", "case_id", Holds::NotPersonal),
    col("deliveries", "user_id", Holds::NotPersonal),
    col("deliveries", "destination", Holds::Ciphertext), // e-mail address / phone number, ciphertext (DeliveryDestination)
    col("deliveries", "destination_key", Holds::KeyedDigest), // keyed hash of normalized address/number for opt-outs (notices.rs destination_key)
    col("deliveries", "subject", Holds::Ciphertext), // message subject, ciphertext (DeliverySubject)
    col("deliveries", "body", Holds::Ciphertext), // message body, ciphertext (DeliveryBody)
    col("deliveries", "status", Holds::NotPersonal),
    col("deliveries", "attempts", Holds::NotPersonal),
    col("deliveries", "available_at", Holds::NotPersonal),
    col("deliveries", "lease_owner", Holds::NotPersonal),
    col("deliveries", "lease_until", Holds::NotPersonal),
    col("deliveries", "last_error", Holds::NotPersonal),
    col("deliveries", "provider_id", Holds::NotPersonal),
    col("deliveries", "created_by", Holds::NotPersonal),
    col("deliveries", "created_at", Holds::NotPersonal),
    col("deliveries", "sent_at", Holds::NotPersonal),
    col("directory_locations", "id", Holds::NotPersonal),
    col("directory_locations", "organization_id", Holds::NotPersonal),
    col("directory_locations", "confidential", Holds::NotPersonal),
    col("directory_locations", "latitude", Holds::NotPersonal),
    col("directory_locations", "longitude", Holds::NotPersonal),
    col("directory_locations", "record", Holds::NotPersonal),
    col("directory_locations", "private_record", Holds::Ciphertext), // confidential location full record, ciphertext (DirectoryLocationPrivate)
    col("directory_locations", "updated_at", Holds::NotPersonal),
    col("directory_organizations", "id", Holds::NotPersonal),
    col("directory_organizations", "name", Holds::NotPersonal),
    col("directory_organizations", "record", Holds::NotPersonal),
    col("directory_organizations", "haven_org_id", Holds::NotPersonal),
    col("directory_organizations", "updated_at", Holds::NotPersonal),
    col("directory_service_locations", "id", Holds::NotPersonal),
    col("directory_service_locations", "service_id", Holds::NotPersonal),
    col("directory_service_locations", "location_id", Holds::NotPersonal),
    col("directory_service_locations", "latitude", Holds::NotPersonal),
    col("directory_service_locations", "longitude", Holds::NotPersonal),
    col("directory_services", "id", Holds::NotPersonal),
    col("directory_services", "organization_id", Holds::NotPersonal),
    col("directory_services", "name", Holds::NotPersonal),
    col("directory_services", "status", Holds::NotPersonal),
    col("directory_services", "needs", Holds::NotPersonal),
    col("directory_services", "populations", Holds::NotPersonal),
    col("directory_services", "funding", Holds::NotPersonal),
    col("directory_services", "languages", Holds::NotPersonal),
    col("directory_services", "minimum_age", Holds::NotPersonal),
    col("directory_services", "maximum_age", Holds::NotPersonal),
    col("directory_services", "capacity_available", Holds::NotPersonal),
    col("directory_services", "hours", Holds::NotPersonal),
    col("directory_services", "record", Holds::NotPersonal),
    col("directory_services", "updated_at", Holds::NotPersonal),
    col("emergency_access", "id", Holds::NotPersonal),
    col("emergency_access", "case_id", Holds::NotPersonal),
    col("emergency_access", "user_id", Holds::NotPersonal),
    col("emergency_access", "organization_id", Holds::NotPersonal),
    col("emergency_access", "reason", Holds::Ciphertext), // break-glass reason, ciphertext (EmergencyReason)
    col("emergency_access", "at", Holds::NotPersonal),
    col("emergency_access", "reviewed_by", Holds::NotPersonal),
    col("emergency_access", "reviewed_at", Holds::NotPersonal),
    col("fund_requests", "id", Holds::NotPersonal),
    col("fund_requests", "fund_id", Holds::NotPersonal),
    col("fund_requests", "case_id", Holds::NotPersonal),
    col("fund_requests", "amount_cents", Holds::NotPersonal),
    col("fund_requests", "purpose", Holds::NotPersonal),
    col("fund_requests", "urgency", Holds::NotPersonal),
    col("fund_requests", "description", Holds::Ciphertext), // request narrative, ciphertext (FundRequestDescription)
    col("fund_requests", "status", Holds::NotPersonal),
    col("fund_requests", "requested_by", Holds::NotPersonal),
    col("fund_requests", "requested_at", Holds::NotPersonal),
    col("fund_requests", "decided_by", Holds::NotPersonal),
    col("fund_requests", "decided_at", Holds::NotPersonal),
    col("fund_requests", "decision_note", Holds::Ciphertext), // decision note, ciphertext (FundDecisionNote)
    col("fund_requests", "disbursed_by", Holds::NotPersonal),
    col("fund_requests", "disbursed_at", Holds::NotPersonal),
    col("fund_requests", "method", Holds::Coded), // PaymentMethod code
    col("funds", "id", Holds::NotPersonal),
    col("funds", "organization_id", Holds::NotPersonal),
    col("funds", "name", Holds::NotPersonal),
    col("funds", "budget_cents", Holds::NotPersonal),
    col("funds", "balance_cents", Holds::NotPersonal),
    col("funds", "created_at", Holds::NotPersonal),
    col("haven_migrations", "version", Holds::NotPersonal),
    col("haven_migrations", "name", Holds::NotPersonal),
    col("haven_migrations", "applied_at", Holds::NotPersonal),
    col("hotlines", "id", Holds::NotPersonal),
    col("hotlines", "position", Holds::NotPersonal),
    col("hotlines", "name_en", Holds::NotPersonal),
    col("hotlines", "name_es", Holds::NotPersonal),
    col("hotlines", "phone", Holds::NotPersonal),
    col("hotlines", "text_number", Holds::NotPersonal),
    col("hotlines", "description_en", Holds::NotPersonal),
    col("hotlines", "description_es", Holds::NotPersonal),
    col("hotlines", "updated_at", Holds::NotPersonal),
    col("intake_drafts", "id", Holds::NotPersonal),
    col("intake_drafts", "user_id", Holds::NotPersonal),
    col("intake_drafts", "body", Holds::Ciphertext), // whole intake form, ciphertext (IntakeDraft)
    col("intake_drafts", "created_at", Holds::NotPersonal),
    col("intake_drafts", "updated_at", Holds::NotPersonal),
    col("interview_bookings", "interview_id", Holds::NotPersonal),
    col("interview_bookings", "resource", Holds::KeyedDigest), // 'user:<id>', 'person:<id>' or keyed HMAC of place / interpreter name
    col("interview_bookings", "starts_at", Holds::NotPersonal),
    col("interview_bookings", "ends_at", Holds::NotPersonal),
    col("interview_file_chunks", "id", Holds::NotPersonal),
    col("interview_file_chunks", "file_id", Holds::NotPersonal),
    col("interview_file_chunks", "seq", Holds::NotPersonal),
    col("interview_file_chunks", "data", Holds::Ciphertext), // recording/document chunk, ciphertext (InterviewFileChunk)
    col("interview_files", "id", Holds::NotPersonal),
    col("interview_files", "interview_id", Holds::NotPersonal),
    col("interview_files", "kind", Holds::NotPersonal),
    col("interview_files", "name", Holds::Ciphertext), // file name, ciphertext (InterviewFileName)
    col("interview_files", "content_type", Holds::NotPersonal),
    col("interview_files", "size", Holds::NotPersonal),
    col("interview_files", "sha256", Holds::ContentDigest), // UNKEYED SHA-256 of the plaintext recording/document (chain of custody)
    col("interview_files", "status", Holds::NotPersonal),
    col("interview_files", "by_user", Holds::NotPersonal),
    col("interview_files", "at", Holds::NotPersonal),
    col("interviews", "id", Holds::NotPersonal),
    col("interviews", "case_id", Holds::NotPersonal),
    col("interviews", "person_id", Holds::NotPersonal),
    col("interviews", "org_id", Holds::NotPersonal),
    col("interviews", "requested_by", Holds::NotPersonal),
    col("interviews", "requested_at", Holds::NotPersonal),
    col("interviews", "status", Holds::NotPersonal),
    col("interviews", "age_at_interview", Holds::Coded), // years, for the specialist rule (VAP-1)
    col("interviews", "traumatized", Holds::Coded), // flag, for the specialist rule (VAP-1); details are in `request`
    col("interviews", "requires_specialist", Holds::NotPersonal),
    col("interviews", "language", Holds::Coded), // ISO 639 code
    col("organizations", "id", Holds::NotPersonal),
    col("organizations", "name", Holds::NotPersonal),
    col("organizations", "kind", Holds::NotPersonal),
    col("organizations", "created_at", Holds::NotPersonal),
    col("users", "id", Holds::NotPersonal),
    col("users", "organization_id", Holds::NotPersonal),
    col("users", "login", Holds::Staff), // staff sign-in name
    col("users", "display_name", Holds::Staff), // staff name
    col("users", "password_hash", Holds::Secret), // Argon2id PHC string
    col("users", "disabled", Holds::NotPersonal),
    col("users", "created_at", Holds::NotPersonal),
    col("users", "approval_limit_cents", Holds::NotPersonal),
    col("user_roles", "user_id", Holds::NotPersonal),
    col("user_roles", "role", Holds::NotPersonal),
    col("sessions", "token_hash", Holds::Secret), // SHA-256 of the random session token
    col("sessions", "id", Holds::NotPersonal),
    col("sessions", "user_id", Holds::NotPersonal),
    col("sessions", "created_at", Holds::NotPersonal),
    col("sessions", "last_seen_at", Holds::NotPersonal),
    col("sessions", "csrf_token", Holds::Secret), // random per-session token
    col("sessions", "stage", Holds::NotPersonal),
    col("sign_in_failures", "key", Holds::KeyedDigest), // HMAC under a key from the master key (throttle.rs)
    col("sign_in_failures", "at", Holds::NotPersonal),
    col("user_mfa", "user_id", Holds::NotPersonal),
    col("user_mfa", "secret", Holds::Ciphertext), // TOTP secret (MfaSecret)
    col("user_mfa", "enabled_at", Holds::NotPersonal),
    col("user_mfa", "last_step", Holds::NotPersonal),
    col("recovery_codes", "user_id", Holds::NotPersonal),
    col("recovery_codes", "code_hash", Holds::Secret), // hash of a random recovery code
    col("recovery_codes", "used_at", Holds::NotPersonal),
    col("persons", "id", Holds::NotPersonal),
    col("persons", "organization_id", Holds::NotPersonal),
    col("persons", "name", Holds::Ciphertext), // PersonName
    col("persons", "birth_date", Holds::Ciphertext), // PersonBirthDate
    col("persons", "name_dob_index", Holds::KeyedDigest), // blind index of name and date of birth
    col("persons", "created_at", Holds::NotPersonal),
    col("persons", "profile", Holds::Ciphertext), // PersonProfile
    col("person_match_keys", "organization_id", Holds::NotPersonal),
    col("person_match_keys", "match_key", Holds::KeyedDigest), // keyed name tokens and phonetic keys
    col("person_match_keys", "person_id", Holds::NotPersonal),
    col("relief_documents", "id", Holds::NotPersonal),
    col("relief_documents", "case_id", Holds::NotPersonal),
    col("relief_documents", "kind", Holds::NotPersonal),
    col("relief_documents", "agency_id", Holds::NotPersonal),
    col("relief_documents", "status", Holds::NotPersonal),
    col("relief_documents", "content", Holds::Ciphertext), // DocumentContent
    col("relief_documents", "content_sha256", Holds::ContentDigest), // SHA-256 of the signed content
    col("relief_documents", "drafted_by", Holds::NotPersonal),
    col("relief_documents", "drafted_at", Holds::NotPersonal),
    col("relief_documents", "updated_at", Holds::NotPersonal),
    col("relief_documents", "signed_by", Holds::NotPersonal),
    col("relief_documents", "signer_role", Holds::NotPersonal),
    col("relief_documents", "signed_at", Holds::NotPersonal),
    col("relief_documents", "withdrawn_by", Holds::NotPersonal),
    col("relief_documents", "withdrawn_at", Holds::NotPersonal),
    col("relief_documents", "withdrawal_reason", Holds::Ciphertext), // DocumentWithdrawalReason
    col("outbox", "id", Holds::NotPersonal),
    col("outbox", "dedupe_key", Holds::Coded), // ids and codes
    col("outbox", "kind", Holds::NotPersonal),
    col("outbox", "user_id", Holds::NotPersonal),
    col("outbox", "case_id", Holds::NotPersonal),
    col("outbox", "payload", Holds::Coded), // codes, ids, dates, family labels; a grantee's staff name
    col("outbox", "status", Holds::NotPersonal),
    col("outbox", "attempts", Holds::NotPersonal),
    col("outbox", "available_at", Holds::NotPersonal),
    col("outbox", "lease_owner", Holds::NotPersonal),
    col("outbox", "lease_until", Holds::NotPersonal),
    col("outbox", "last_error", Holds::NotPersonal),
    col("outbox", "created_at", Holds::NotPersonal),
    col("outbox", "delivered_at", Holds::NotPersonal),
    col("notifications", "id", Holds::NotPersonal),
    col("notifications", "user_id", Holds::NotPersonal),
    col("notifications", "case_id", Holds::NotPersonal),
    col("notifications", "kind", Holds::NotPersonal),
    col("notifications", "payload", Holds::Coded), // codes, ids, dates, family labels; a grantee's staff name
    col("notifications", "created_at", Holds::NotPersonal),
    col("notifications", "read_at", Holds::NotPersonal),
    col("job_leases", "name", Holds::NotPersonal),
    col("job_leases", "owner", Holds::NotPersonal),
    col("job_leases", "lease_until", Holds::NotPersonal),
    col("job_leases", "last_run_on", Holds::NotPersonal),
    col("referrals", "id", Holds::NotPersonal),
    col("referrals", "case_id", Holds::NotPersonal),
    col("referrals", "plan_item_id", Holds::NotPersonal),
    col("referrals", "need", Holds::NotPersonal),
    col("referrals", "service_id", Holds::NotPersonal),
    col("referrals", "from_org", Holds::NotPersonal),
    col("referrals", "to_org", Holds::NotPersonal),
    col("referrals", "sent_by", Holds::NotPersonal),
    col("referrals", "sent_at", Holds::NotPersonal),
    col("referrals", "urgency", Holds::NotPersonal),
    col("referrals", "age_range", Holds::Coded), // an age band, what a provider needs to accept
    col("referrals", "languages", Holds::Coded), // ISO 639 codes
    col("referrals", "note", Holds::Ciphertext), // ReferralNote
    col("referrals", "consent_id", Holds::NotPersonal),
    col("referrals", "personal", Holds::Ciphertext), // ReferralPersonal, only under a release
    col("referrals", "status", Holds::NotPersonal),
    col("referrals", "decline_reason", Holds::NotPersonal),
    col("referrals", "answered_at", Holds::NotPersonal),
    col("referrals", "answered_by", Holds::NotPersonal),
    col("referrals", "updated_at", Holds::NotPersonal),
    col("referrals", "reminded_at", Holds::NotPersonal),
    col("referral_events", "id", Holds::NotPersonal),
    col("referral_events", "referral_id", Holds::NotPersonal),
    col("referral_events", "at", Holds::NotPersonal),
    col("referral_events", "by_user", Holds::NotPersonal),
    col("referral_events", "status", Holds::NotPersonal),
    col("referral_events", "note", Holds::Ciphertext), // ReferralEventNote
    col("interviews", "interpreter_needed", Holds::Coded), // flag
    col("interviews", "request", Holds::Ciphertext), // InterviewRequest
    col("interviews", "prior_count", Holds::NotPersonal),
    col("interviews", "observers", Holds::NotPersonal),
    col("interviews", "interviewer", Holds::NotPersonal),
    col("interviews", "specialist", Holds::NotPersonal),
    col("interviews", "starts_at", Holds::NotPersonal),
    col("interviews", "ends_at", Holds::NotPersonal),
    col("interviews", "schedule", Holds::Ciphertext), // InterviewSchedule
    col("interviews", "summary", Holds::Ciphertext), // InterviewSummary
    col("interviews", "summary_compartment", Holds::NotPersonal),
    col("interviews", "completed_at", Holds::NotPersonal),
    col("interviews", "updated_at", Holds::NotPersonal),
    col("opt_outs", "destination_key", Holds::KeyedDigest), // keyed hash of a normalized address or number
    col("opt_outs", "channel", Holds::NotPersonal),
    col("opt_outs", "at", Holds::NotPersonal),
    col("opt_outs", "source", Holds::NotPersonal),
    col("notification_settings", "user_id", Holds::NotPersonal),
    col("notification_settings", "kind", Holds::NotPersonal),
    col("notification_settings", "email", Holds::NotPersonal),
    col("message_templates", "organization_id", Holds::NotPersonal),
    col("message_templates", "lang", Holds::NotPersonal),
    col("message_templates", "key", Holds::NotPersonal),
    col("message_templates", "body", Holds::NotPersonal),
    col("message_templates", "updated_by", Holds::NotPersonal),
    col("message_templates", "updated_at", Holds::NotPersonal),
    col("team_caseloads", "user_id", Holds::NotPersonal),
    col("team_caseloads", "case_id", Holds::NotPersonal),
    col("team_caseloads", "organization_id", Holds::NotPersonal),
    col("team_caseloads", "updated_at", Holds::NotPersonal),
    col("team_caseloads", "created_at", Holds::NotPersonal),
    col("team_caseloads", "stage", Holds::NotPersonal),
    col("team_caseloads", "hhs_notice_due_at", Holds::NotPersonal),
    col("team_caseloads", "hhs_notice_met_at", Holds::NotPersonal),
    col("role_grants", "id", Holds::NotPersonal),
    col("role_grants", "user_id", Holds::NotPersonal),
    col("role_grants", "organization_id", Holds::NotPersonal),
    col("role_grants", "role", Holds::NotPersonal),
    col("role_grants", "granted_by", Holds::NotPersonal),
    col("role_grants", "granted_at", Holds::NotPersonal),
];

/// SQLite only: the directory's FTS5 table (its columns and shadow tables)
/// and `sqlite_sequence` (`audit_log`'s AUTOINCREMENT).
#[rustfmt::skip]
pub const SQLITE_ONLY: &[Column] = &[
    col("directory_search", "name", Holds::NotPersonal),
    col("directory_search", "body", Holds::NotPersonal),
    col("directory_search", "directory_search", Holds::NotPersonal),
    col("directory_search", "rank", Holds::NotPersonal),
    col("directory_search_config", "k", Holds::NotPersonal),
    col("directory_search_config", "v", Holds::NotPersonal),
    col("directory_search_content", "id", Holds::NotPersonal),
    col("directory_search_content", "c0", Holds::NotPersonal),
    col("directory_search_content", "c1", Holds::NotPersonal),
    col("directory_search_data", "id", Holds::NotPersonal),
    col("directory_search_data", "block", Holds::NotPersonal),
    col("directory_search_docsize", "id", Holds::NotPersonal),
    col("directory_search_docsize", "sz", Holds::NotPersonal),
    col("directory_search_idx", "segid", Holds::NotPersonal),
    col("directory_search_idx", "term", Holds::NotPersonal),
    col("directory_search_idx", "pgno", Holds::NotPersonal),
    col("sqlite_sequence", "name", Holds::NotPersonal),
    col("sqlite_sequence", "seq", Holds::NotPersonal),
];

/// PostgreSQL only: the search columns that stand for SQLite's FTS5 table.
#[rustfmt::skip]
pub const POSTGRES_ONLY: &[Column] = &[
    col("directory_services", "name_text", Holds::NotPersonal),
    col("directory_services", "body_text", Holds::NotPersonal),
    col("directory_services", "search", Holds::NotPersonal),
];
