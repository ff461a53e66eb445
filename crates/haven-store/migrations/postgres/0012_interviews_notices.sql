-- Forensic interviews (request, schedule, record, files with their chain of
-- custody) and messages to people outside Haven: notices to victims and
-- staff e-mail, with opt-outs, staff notification settings and templates
-- edited by administrators.
--
-- Personal and narrative values are Haven ciphertexts bound to
-- <table>/<column>/<id>; plain columns hold codes, ids and times.

CREATE TABLE interviews (
    id                   UUID PRIMARY KEY NOT NULL,
    case_id              UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    -- The victim, so that earlier interviews are found across cases.
    person_id            UUID REFERENCES persons (id),
    -- The interviewing organization: the request goes to its interviewers.
    org_id               UUID NOT NULL REFERENCES organizations (id),
    requested_by         UUID NOT NULL REFERENCES users (id),
    requested_at         TIMESTAMPTZ NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('requested', 'scheduled', 'completed', 'cancelled')),
    age_at_interview     BIGINT CHECK (age_at_interview BETWEEN 0 AND 130),
    traumatized          BOOLEAN NOT NULL,
    requires_specialist  BOOLEAN NOT NULL,
    language             TEXT NOT NULL DEFAULT '',
    interpreter_needed   BOOLEAN NOT NULL,
    -- Reason, considerations, who should observe, the reason for a repeat.
    request              BYTEA NOT NULL,
    -- Interviews of the same victim before this one was requested.
    prior_count          BIGINT NOT NULL DEFAULT 0,
    -- Organizations that observe instead of interviewing again (space-separated ids).
    observers            TEXT NOT NULL DEFAULT '',
    interviewer          UUID REFERENCES users (id),
    specialist           UUID REFERENCES users (id),
    starts_at            TIMESTAMPTZ,
    ends_at              TIMESTAMPTZ,
    -- Place, interpreter, observers, notes.
    schedule             BYTEA,
    summary              BYTEA,
    summary_compartment  TEXT CHECK (summary_compartment IN ('advocate', 'shared')),
    completed_at         TIMESTAMPTZ,
    updated_at           TIMESTAMPTZ NOT NULL,
    CHECK (status NOT IN ('scheduled', 'completed') OR (starts_at IS NOT NULL AND interviewer IS NOT NULL)),
    CHECK (ends_at IS NULL OR ends_at > starts_at),
    CHECK ((summary IS NULL) = (summary_compartment IS NULL))
);
CREATE INDEX interviews_case ON interviews (case_id, requested_at);
CREATE INDEX interviews_person ON interviews (person_id, requested_at) WHERE person_id IS NOT NULL;
CREATE INDEX interviews_org ON interviews (org_id, status, requested_at);

-- Who is busy when: the interviewer, the accompanying specialist, the
-- interpreter, the room and the victim. Resources are "user:<id>",
-- "person:<id>", or keyed hashes of a place or interpreter name.
CREATE TABLE interview_bookings (
    interview_id  UUID NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    resource      TEXT NOT NULL,
    starts_at     TIMESTAMPTZ NOT NULL,
    ends_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (interview_id, resource)
);
CREATE INDEX interview_bookings_resource ON interview_bookings (resource, starts_at);

-- Recordings and documents: stored in encrypted chunks as they stream in;
-- visible once `stored` with their SHA-256.
CREATE TABLE interview_files (
    id            UUID PRIMARY KEY NOT NULL,
    interview_id  UUID NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('recording', 'document')),
    name          BYTEA NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL DEFAULT 0 CHECK (size >= 0),
    sha256        BYTEA,
    status        TEXT NOT NULL CHECK (status IN ('uploading', 'stored')),
    by_user       UUID NOT NULL REFERENCES users (id),
    at            TIMESTAMPTZ NOT NULL,
    CHECK ((status = 'stored') = (sha256 IS NOT NULL))
);
CREATE INDEX interview_files_interview ON interview_files (interview_id, at);

CREATE TABLE interview_file_chunks (
    id       UUID PRIMARY KEY NOT NULL,
    file_id  UUID NOT NULL REFERENCES interview_files (id) ON DELETE CASCADE,
    seq      BIGINT NOT NULL,
    data     BYTEA NOT NULL,
    UNIQUE (file_id, seq)
);

-- The chain of custody: every storing, download, transfer and check.
CREATE TABLE custody_events (
    id       UUID PRIMARY KEY NOT NULL,
    file_id  UUID NOT NULL REFERENCES interview_files (id) ON DELETE CASCADE,
    at       TIMESTAMPTZ NOT NULL,
    by_user  UUID NOT NULL REFERENCES users (id),
    action   TEXT NOT NULL CHECK (action IN ('stored', 'downloaded', 'transferred', 'verified')),
    sha256   BYTEA NOT NULL,
    -- A transfer's recipient and purpose.
    detail   BYTEA
);
CREATE INDEX custody_events_file ON custody_events (file_id, at);

-- Messages that leave Haven (e-mail, SMS): notices to victims and staff
-- e-mail. Claimed under a lease like the outbox; `destination_key` is a
-- keyed hash of the address so an opt-out is found without decrypting.
CREATE TABLE deliveries (
    id               UUID PRIMARY KEY NOT NULL,
    dedupe_key       TEXT NOT NULL UNIQUE,
    audience         TEXT NOT NULL CHECK (audience IN ('victim', 'staff')),
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    kind             TEXT NOT NULL,
    rule             TEXT NOT NULL DEFAULT '',
    lang             TEXT NOT NULL,
    reduced          BOOLEAN NOT NULL DEFAULT FALSE,
    case_id          UUID REFERENCES cases (id) ON DELETE CASCADE,
    user_id          UUID REFERENCES users (id) ON DELETE CASCADE,
    destination      BYTEA NOT NULL,
    destination_key  BYTEA NOT NULL,
    subject          BYTEA,
    body             BYTEA NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'opted_out', 'cancelled')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    available_at     TIMESTAMPTZ NOT NULL,
    lease_owner      TEXT,
    lease_until      TIMESTAMPTZ,
    last_error       TEXT,
    provider_id      TEXT,
    created_by       UUID REFERENCES users (id),
    created_at       TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ
);
CREATE INDEX deliveries_pending ON deliveries (available_at) WHERE status = 'pending';
CREATE INDEX deliveries_case ON deliveries (case_id, created_at) WHERE case_id IS NOT NULL;
CREATE INDEX deliveries_destination ON deliveries (destination_key) WHERE status = 'pending';

-- "Stop": no message goes to this address or number on this channel again.
CREATE TABLE opt_outs (
    destination_key  BYTEA NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    at               TIMESTAMPTZ NOT NULL,
    source           TEXT NOT NULL CHECK (source IN ('reply', 'staff')),
    PRIMARY KEY (destination_key, channel)
);

-- Which staff notifications also go by e-mail (the web UI always shows them).
CREATE TABLE notification_settings (
    user_id  UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    email    BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- An organization's own wording of a notice template (Fluent), replacing the
-- shipped file's for its cases.
CREATE TABLE message_templates (
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    lang             TEXT NOT NULL,
    key              TEXT NOT NULL,
    body             TEXT NOT NULL,
    updated_by       UUID NOT NULL REFERENCES users (id),
    updated_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organization_id, lang, key)
);
