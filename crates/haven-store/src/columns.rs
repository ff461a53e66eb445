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

/// `"table": ["column", ..., "column" = Holds]`: a column without `= Holds`
/// holds nothing personal.
macro_rules! columns {
    ($($table:literal: [$($name:literal $(= $holds:ident)?),* $(,)?];)*) => {
        &[$($(Column { table: $table, name: $name, holds: holds!($($holds)?) },)*)*]
    };
}

macro_rules! holds {
    () => {
        Holds::NotPersonal
    };
    ($h:ident) => {
        Holds::$h
    };
}

/// The columns both databases have.
#[rustfmt::skip]
pub const COLUMNS: &[Column] = columns![
    "api_tokens": ["id", "user_id", "name", "scopes", "created_at", "expires_at", "revoked_at",
        "last_used_at",
        "token_hash" = Secret, // SHA-256 of the random API token (lookup key)
    ];
    "audit_log": ["id", "at", "actor_user", "actor_org", "action", "resource_kind", "resource_id",
        "request_id", "chain_seq", "prev_hash", "hash"];
    "case_attachments": ["id", "case_id", "compartment", "content_type", "size", "by_user", "at",
        "name" = Ciphertext, // file name, ciphertext (AttachmentName)
        "sha256" = ContentDigest, // UNKEYED SHA-256 of the plaintext file (integrity; confirmation-attack digest, not a lookup)
        "content" = Ciphertext, // file bytes, ciphertext (AttachmentContent)
    ];
    "case_deadlines": ["case_id", "kind", "pathway", "actor", "due_on", "due_at", "reminded_at",
        "family_member" = Coded, // a relation word such as child-2, never a name (relief::facts::is_family_label)
    ];
    "case_entries": ["id", "case_id", "kind", "compartment", "category", "status", "due_on", "assignee",
        "parent_id", "by_user", "at", "updated_at",
        "body" = Ciphertext, // entry narrative JSON, ciphertext (EntryBody)
    ];
    "case_relief": ["case_id", "updated_by", "updated_at",
        "facts" = Ciphertext, // relief facts JSON, ciphertext (ReliefFacts)
    ];
    "case_stage_counts": ["organization_id", "stage", "total"];
    "case_team": ["case_id", "user_id", "team_role"];
    "cases": ["id", "organization_id", "flag_1367", "created_at", "person_id", "stage", "closed_reason",
        "cooperation", "hhs_notice_due_at", "hhs_notice_met_at", "updated_at",
        "profile" = Ciphertext, // trafficking profile JSON, ciphertext (CaseProfile)
    ];
    "consents": ["id", "case_id", "parties", "recipient_org", "recipient_role", "fields", "signed_on",
        "expires_on", "revoked_at", "witnessed_by",
        "legacy_purpose" = Legacy, // release purposes before migration 16; emptied at start-up (seal_legacy_consent_purposes)
        "purpose" = Ciphertext, // release purpose, ciphertext (ConsentPurpose, added by uncommitted migration 0016)
    ];
    "custody_events": ["id", "file_id", "at", "by_user", "action",
        "sha256" = ContentDigest, // UNKEYED SHA-256 of the plaintext file at each custody event
        "detail" = Ciphertext, // transfer recipient/purpose, ciphertext (CustodyDetail)
    ];
    "data_keys": ["id", "created_at", "retired_at",
        "wrapped" = Secret, // data key wrapped by the master key
    ];
    "deliveries": ["id", "dedupe_key", "audience", "channel", "kind", "rule", "lang", "reduced", "case_id",
        "user_id", "status", "attempts", "available_at", "lease_owner", "lease_until", "last_error",
        "provider_id", "created_by", "created_at", "sent_at",
        "destination" = Ciphertext, // e-mail address / phone number, ciphertext (DeliveryDestination)
        "destination_key" = KeyedDigest, // keyed hash of normalized address/number for opt-outs (notices.rs destination_key)
        "subject" = Ciphertext, // message subject, ciphertext (DeliverySubject)
        "body" = Ciphertext, // message body, ciphertext (DeliveryBody)
    ];
    "directory_locations": ["id", "organization_id", "confidential", "latitude", "longitude", "record",
        "updated_at",
        "private_record" = Ciphertext, // confidential location full record, ciphertext (DirectoryLocationPrivate)
    ];
    "directory_organizations": ["id", "name", "record", "haven_org_id", "updated_at"];
    "directory_service_locations": ["id", "service_id", "location_id", "latitude", "longitude"];
    "directory_services": ["id", "organization_id", "name", "status", "needs", "populations", "funding",
        "languages", "minimum_age", "maximum_age", "capacity_available", "hours", "record", "updated_at"];
    "emergency_access": ["id", "case_id", "user_id", "organization_id", "at", "reviewed_by", "reviewed_at",
        "reason" = Ciphertext, // break-glass reason, ciphertext (EmergencyReason)
    ];
    "fund_requests": ["id", "fund_id", "case_id", "amount_cents", "purpose", "urgency", "status",
        "requested_by", "requested_at", "decided_by", "decided_at", "disbursed_by", "disbursed_at",
        "description" = Ciphertext, // request narrative, ciphertext (FundRequestDescription)
        "decision_note" = Ciphertext, // decision note, ciphertext (FundDecisionNote)
        "method" = Coded, // PaymentMethod code
    ];
    "funds": ["id", "organization_id", "name", "budget_cents", "balance_cents", "created_at"];
    "haven_migrations": ["version", "name", "applied_at"];
    "hotlines": ["id", "position", "name_en", "name_es", "phone", "text_number", "description_en",
        "description_es", "updated_at"];
    "intake_drafts": ["id", "user_id", "created_at", "updated_at",
        "body" = Ciphertext, // whole intake form, ciphertext (IntakeDraft)
    ];
    "interview_bookings": ["interview_id", "starts_at", "ends_at",
        "resource" = KeyedDigest, // 'user:<id>', 'person:<id>' or keyed HMAC of place / interpreter name
    ];
    "interview_file_chunks": ["id", "file_id", "seq",
        "data" = Ciphertext, // recording/document chunk, ciphertext (InterviewFileChunk)
    ];
    "interview_files": ["id", "interview_id", "kind", "content_type", "size", "status", "by_user", "at",
        "name" = Ciphertext, // file name, ciphertext (InterviewFileName)
        "sha256" = ContentDigest, // UNKEYED SHA-256 of the plaintext recording/document (chain of custody)
    ];
    "interviews": ["id", "case_id", "person_id", "org_id", "requested_by", "requested_at", "status",
        "requires_specialist",
        "age_at_interview" = Coded, // years, for the specialist rule (VAP-1)
        "traumatized" = Coded, // flag, for the specialist rule (VAP-1); details are in `request`
        "language" = Coded, // ISO 639 code
    ];
    "organizations": ["id", "name", "kind", "created_at"];
    "users": ["id", "organization_id", "disabled", "created_at", "approval_limit_cents",
        "login" = Staff, // staff sign-in name
        "display_name" = Staff, // staff name
        "password_hash" = Secret, // Argon2id PHC string
    ];
    "user_roles": ["user_id", "role"];
    "sessions": ["id", "user_id", "created_at", "last_seen_at", "stage",
        "token_hash" = Secret, // SHA-256 of the random session token
        "csrf_token" = Secret, // random per-session token
    ];
    "sign_in_failures": ["at",
        "key" = KeyedDigest, // HMAC under a key from the master key (throttle.rs)
    ];
    "user_mfa": ["user_id", "enabled_at", "last_step",
        "secret" = Ciphertext, // TOTP secret (MfaSecret)
    ];
    "recovery_codes": ["user_id", "used_at",
        "code_hash" = Secret, // hash of a random recovery code
    ];
    "persons": ["id", "organization_id", "created_at",
        "name" = Ciphertext, // PersonName
        "birth_date" = Ciphertext, // PersonBirthDate
        "name_dob_index" = KeyedDigest, // blind index of name and date of birth
        "profile" = Ciphertext, // PersonProfile
    ];
    "person_match_keys": ["organization_id", "person_id",
        "match_key" = KeyedDigest, // keyed name tokens and phonetic keys
    ];
    "relief_documents": ["id", "case_id", "kind", "agency_id", "status", "drafted_by", "drafted_at",
        "updated_at", "signed_by", "signer_role", "signed_at", "withdrawn_by", "withdrawn_at",
        "content" = Ciphertext, // DocumentContent
        "content_sha256" = ContentDigest, // SHA-256 of the signed content
        "withdrawal_reason" = Ciphertext, // DocumentWithdrawalReason
    ];
    "outbox": ["id", "kind", "user_id", "case_id", "status", "attempts", "available_at", "lease_owner",
        "lease_until", "last_error", "created_at", "delivered_at",
        "dedupe_key" = Coded, // ids and codes
        "payload" = Coded, // codes, ids, dates, family labels; a grantee's staff name
    ];
    "notifications": ["id", "user_id", "case_id", "kind", "created_at", "read_at",
        "payload" = Coded, // codes, ids, dates, family labels; a grantee's staff name
    ];
    "job_leases": ["name", "owner", "lease_until", "last_run_on"];
    "referrals": ["id", "case_id", "plan_item_id", "need", "service_id", "from_org", "to_org", "sent_by",
        "sent_at", "urgency", "consent_id", "status", "decline_reason", "answered_at", "answered_by",
        "updated_at", "reminded_at",
        "age_range" = Coded, // an age band, what a provider needs to accept
        "languages" = Coded, // ISO 639 codes
        "note" = Ciphertext, // ReferralNote
        "personal" = Ciphertext, // ReferralPersonal, only under a release
    ];
    "referral_events": ["id", "referral_id", "at", "by_user", "status",
        "note" = Ciphertext, // ReferralEventNote
    ];
    "interviews": ["prior_count", "observers", "interviewer", "specialist", "starts_at", "ends_at",
        "summary_compartment", "completed_at", "updated_at",
        "interpreter_needed" = Coded, // flag
        "request" = Ciphertext, // InterviewRequest
        "schedule" = Ciphertext, // InterviewSchedule
        "summary" = Ciphertext, // InterviewSummary
    ];
    "opt_outs": ["channel", "at", "source",
        "destination_key" = KeyedDigest, // keyed hash of a normalized address or number
    ];
    "notification_settings": ["user_id", "kind", "email"];
    "message_templates": ["organization_id", "lang", "key", "body", "updated_by", "updated_at"];
    "team_caseloads": ["user_id", "case_id", "organization_id", "updated_at", "created_at", "stage",
        "hhs_notice_due_at", "hhs_notice_met_at"];
    "role_grants": ["id", "user_id", "organization_id", "role", "granted_by", "granted_at"];
];

/// SQLite only: the directory's FTS5 table (its columns and shadow tables)
/// and `sqlite_sequence` (`audit_log`'s AUTOINCREMENT).
#[rustfmt::skip]
pub const SQLITE_ONLY: &[Column] = columns![
    "directory_search": ["name", "body", "directory_search", "rank"];
    "directory_search_config": ["k", "v"];
    "directory_search_content": ["id", "c0", "c1"];
    "directory_search_data": ["id", "block"];
    "directory_search_docsize": ["id", "sz"];
    "directory_search_idx": ["segid", "term", "pgno"];
    "sqlite_sequence": ["name", "seq"];
];

/// PostgreSQL only: the search columns that stand for SQLite's FTS5 table.
#[rustfmt::skip]
pub const POSTGRES_ONLY: &[Column] = columns![
    "directory_services": ["name_text", "body_text", "search"];
];
