-- The case record: person details, stage, trafficking profile, the timeline
-- and structured entries (needs, plan items, tasks, rights, screening),
-- attachments, intake drafts and the emergency fund.
--
-- Personal and narrative fields are Haven ciphertexts bound to
-- <table>/<column>/<id>. Codes, dates and amounts stay plain so that lists
-- filter and sort in SQL; none of them names or locates a person.

ALTER TABLE persons ADD COLUMN profile BLOB;

ALTER TABLE cases ADD COLUMN stage TEXT NOT NULL DEFAULT 'identified'
    CHECK (stage IN ('identified', 'stabilizing', 'receiving_services', 'long_term_support', 'closed', 'reopened'));
ALTER TABLE cases ADD COLUMN closed_reason TEXT;
ALTER TABLE cases ADD COLUMN cooperation TEXT NOT NULL DEFAULT 'unknown'
    CHECK (cooperation IN ('unknown', 'cooperating', 'considering', 'declined'));
ALTER TABLE cases ADD COLUMN profile BLOB;
-- HHS-5: the 24-hour notification deadline, when it applies, and when it was met.
ALTER TABLE cases ADD COLUMN hhs_notice_due_at INTEGER;
ALTER TABLE cases ADD COLUMN hhs_notice_met_at INTEGER;
ALTER TABLE cases ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET updated_at = created_at;
-- Covers a supervisor's caseload (every case of the organization, sorted and
-- filtered) without touching the table.
CREATE INDEX cases_caseload ON cases (organization_id, updated_at, id, created_at, stage, hhs_notice_due_at, hhs_notice_met_at);
CREATE INDEX cases_hhs_pending ON cases (hhs_notice_due_at) WHERE hhs_notice_due_at IS NOT NULL AND hhs_notice_met_at IS NULL;
CREATE INDEX consents_recipient_role ON consents (recipient_role, case_id) WHERE recipient_role IS NOT NULL;

-- Every typed entry on a case. `body` is the encrypted entry (JSON); the plain
-- columns are what lists need: kind, compartment, need category, status, the
-- due or target date, the assignee and the entry it belongs to.
CREATE TABLE case_entries (
    id           BLOB PRIMARY KEY NOT NULL,
    case_id      BLOB NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('contact', 'service', 'court', 'interview', 'note', 'status_change',
                                               'need', 'plan_item', 'task', 'rights', 'screening')),
    compartment  TEXT NOT NULL CHECK (compartment IN ('advocate', 'shared')),
    category     TEXT,
    status       TEXT,
    due_on       TEXT,
    assignee     BLOB REFERENCES users (id),
    parent_id    BLOB REFERENCES case_entries (id),
    body         BLOB NOT NULL,
    by_user      BLOB NOT NULL REFERENCES users (id),
    at           INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX case_entries_case ON case_entries (case_id, at);
CREATE INDEX case_entries_open_tasks ON case_entries (case_id, due_on) WHERE kind = 'task' AND status = 'open';
CREATE INDEX case_entries_assignee ON case_entries (assignee, due_on) WHERE kind = 'task' AND status = 'open';

CREATE TABLE case_attachments (
    id            BLOB PRIMARY KEY NOT NULL,
    case_id       BLOB NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    compartment   TEXT NOT NULL CHECK (compartment IN ('advocate', 'shared')),
    name          BLOB NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL CHECK (size >= 0),
    sha256        BLOB NOT NULL,
    content       BLOB NOT NULL,
    by_user       BLOB NOT NULL REFERENCES users (id),
    at            INTEGER NOT NULL
) STRICT;
CREATE INDEX case_attachments_case ON case_attachments (case_id, at);

-- An intake in progress: the whole form, encrypted, owned by its author.
CREATE TABLE intake_drafts (
    id          BLOB PRIMARY KEY NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users (id),
    body        BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX intake_drafts_user ON intake_drafts (user_id, updated_at);

-- Emergency assistance. The balance is what is left after approvals; the
-- CHECK makes a negative balance impossible whatever the application does.
ALTER TABLE users ADD COLUMN approval_limit_cents INTEGER NOT NULL DEFAULT 0 CHECK (approval_limit_cents >= 0);

CREATE TABLE funds (
    id               BLOB PRIMARY KEY NOT NULL,
    organization_id  BLOB NOT NULL REFERENCES organizations (id),
    name             TEXT NOT NULL,
    budget_cents     INTEGER NOT NULL CHECK (budget_cents >= 0),
    balance_cents    INTEGER NOT NULL CHECK (balance_cents >= 0 AND balance_cents <= budget_cents),
    created_at       INTEGER NOT NULL,
    UNIQUE (organization_id, name)
) STRICT;

CREATE TABLE fund_requests (
    id              BLOB PRIMARY KEY NOT NULL,
    fund_id         BLOB NOT NULL REFERENCES funds (id),
    case_id         BLOB NOT NULL REFERENCES cases (id),
    amount_cents    INTEGER NOT NULL CHECK (amount_cents > 0),
    purpose         TEXT NOT NULL,
    urgency         TEXT NOT NULL,
    description     BLOB NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'denied', 'disbursed')),
    requested_by    BLOB NOT NULL REFERENCES users (id),
    requested_at    INTEGER NOT NULL,
    decided_by      BLOB REFERENCES users (id),
    decided_at      INTEGER,
    decision_note   BLOB,
    disbursed_by    BLOB REFERENCES users (id),
    disbursed_at    INTEGER,
    method          TEXT,
    CHECK (decided_by IS NULL OR decided_by <> requested_by)
) STRICT;
CREATE INDEX fund_requests_fund ON fund_requests (fund_id, status, requested_at);
CREATE INDEX fund_requests_case ON fund_requests (case_id);

-- Close-match keys for search before create: keyed HMACs of name tokens,
-- phonetic codes and dates, scoped to the person's organization. Equal keys
-- mean "possibly the same person"; the key reveals nothing without Haven's key.
CREATE TABLE person_match_keys (
    organization_id  BLOB NOT NULL REFERENCES organizations (id),
    match_key        BLOB NOT NULL,
    person_id        BLOB NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    PRIMARY KEY (organization_id, match_key, person_id)
) STRICT, WITHOUT ROWID;
