-- Immigration relief and benefits: the trackers' facts, the deadlines the
-- rules engine derives from them, law-enforcement declarations and
-- certifications, and the outbox that turns deadlines into reminders.
--
-- `case_relief.facts` is the encrypted facts document (docs/relief-facts.md)
-- of everything the trackers record. `case_deadlines` is derived from it on
-- every write (same transaction) and holds only codes and dates, so that one
-- index finds every deadline due in a window across a national caseload.

CREATE TABLE case_relief (
    case_id     UUID PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
    facts       BYTEA NOT NULL,
    updated_by  UUID NOT NULL REFERENCES users (id),
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE case_deadlines (
    case_id        UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    family_member  TEXT NOT NULL DEFAULT '',
    pathway        TEXT NOT NULL,
    actor          TEXT NOT NULL,
    due_on         DATE NOT NULL,
    due_at         TIMESTAMPTZ,
    -- When the reminders for this deadline were queued (a changed date is a
    -- new row, and is reminded again).
    reminded_at    TIMESTAMPTZ,
    PRIMARY KEY (case_id, kind, family_member)
);
CREATE INDEX case_deadlines_due ON case_deadlines (due_on, case_id);
CREATE INDEX case_deadlines_unreminded ON case_deadlines (due_on) WHERE reminded_at IS NULL;

-- I-914 Supplement B declarations and I-918 Supplement B certifications.
-- A signed document's content never changes (the store refuses; the SHA-256
-- of the content taken at signing proves it); it can only be withdrawn with a
-- written explanation (T-5, U-13).
CREATE TABLE relief_documents (
    id                 UUID PRIMARY KEY,
    case_id            UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind               TEXT NOT NULL CHECK (kind IN ('i914b', 'i918b')),
    agency_id          UUID NOT NULL REFERENCES organizations (id),
    status             TEXT NOT NULL CHECK (status IN ('draft', 'signed', 'withdrawn')),
    content            BYTEA NOT NULL,
    content_sha256     BYTEA,
    drafted_by         UUID NOT NULL REFERENCES users (id),
    drafted_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    signed_by          UUID REFERENCES users (id),
    signer_role        TEXT,
    signed_at          TIMESTAMPTZ,
    withdrawn_by       UUID REFERENCES users (id),
    withdrawn_at       TIMESTAMPTZ,
    withdrawal_reason  BYTEA,
    CHECK ((status = 'draft') = (signed_at IS NULL)),
    CHECK ((status = 'withdrawn') = (withdrawn_at IS NOT NULL)),
    CHECK (status = 'draft' OR content_sha256 IS NOT NULL)
);
CREATE INDEX relief_documents_case ON relief_documents (case_id, drafted_at);
CREATE INDEX relief_documents_agency ON relief_documents (agency_id, status);

-- Side effects written in the transaction that causes them and delivered at
-- least once, idempotently. The payload holds codes, ids and dates only,
-- never personal data. `dedupe_key` makes producing the same reminder twice
-- (two instances, a rerun) insert nothing.
CREATE TABLE outbox (
    id            UUID PRIMARY KEY,
    dedupe_key    TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    user_id       UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    case_id       UUID REFERENCES cases (id) ON DELETE CASCADE,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts      BIGINT NOT NULL DEFAULT 0,
    available_at  TIMESTAMPTZ NOT NULL,
    lease_owner   TEXT,
    lease_until   TIMESTAMPTZ,
    last_error    TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    delivered_at  TIMESTAMPTZ
);
CREATE INDEX outbox_pending ON outbox (available_at) WHERE status = 'pending';

-- Staff notifications in the web UI. The id is the outbox id: delivering a
-- message twice inserts one row.
CREATE TABLE notifications (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    case_id     UUID REFERENCES cases (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    read_at     TIMESTAMPTZ
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);

-- Periodic jobs run by one instance at a time: a lease, and the last day the
-- job completed.
CREATE TABLE job_leases (
    name         TEXT PRIMARY KEY NOT NULL,
    owner        TEXT,
    lease_until  TIMESTAMPTZ NOT NULL DEFAULT 'epoch',
    last_run_on  DATE
);
