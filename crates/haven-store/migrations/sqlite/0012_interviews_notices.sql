-- Forensic interviews (request, schedule, record, files with their chain of
-- custody) and messages to people outside Haven: notices to victims and
-- staff e-mail, with opt-outs, staff notification settings and templates
-- edited by administrators.
--
-- Personal and narrative values are Haven ciphertexts bound to
-- <table>/<column>/<id>; plain columns hold codes, ids and times.

CREATE TABLE interviews (
    id                   BLOB PRIMARY KEY NOT NULL,
    case_id              BLOB NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    -- The victim, so that earlier interviews are found across cases.
    person_id            BLOB REFERENCES persons (id),
    -- The interviewing organization: the request goes to its interviewers.
    org_id               BLOB NOT NULL REFERENCES organizations (id),
    requested_by         BLOB NOT NULL REFERENCES users (id),
    requested_at         INTEGER NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('requested', 'scheduled', 'completed', 'cancelled')),
    age_at_interview     INTEGER CHECK (age_at_interview BETWEEN 0 AND 130),
    traumatized          INTEGER NOT NULL CHECK (traumatized IN (0, 1)),
    requires_specialist  INTEGER NOT NULL CHECK (requires_specialist IN (0, 1)),
    language             TEXT NOT NULL DEFAULT '',
    interpreter_needed   INTEGER NOT NULL CHECK (interpreter_needed IN (0, 1)),
    -- Reason, considerations, who should observe, the reason for a repeat.
    request              BLOB NOT NULL,
    -- Interviews of the same victim before this one was requested.
    prior_count          INTEGER NOT NULL DEFAULT 0,
    -- Organizations that observe instead of interviewing again (space-separated ids).
    observers            TEXT NOT NULL DEFAULT '',
    interviewer          BLOB REFERENCES users (id),
    specialist           BLOB REFERENCES users (id),
    starts_at            INTEGER,
    ends_at              INTEGER,
    -- Place, interpreter, observers, notes.
    schedule             BLOB,
    summary              BLOB,
    summary_compartment  TEXT CHECK (summary_compartment IN ('advocate', 'shared')),
    completed_at         INTEGER,
    updated_at           INTEGER NOT NULL,
    CHECK (status NOT IN ('scheduled', 'completed') OR (starts_at IS NOT NULL AND interviewer IS NOT NULL)),
    CHECK (ends_at IS NULL OR ends_at > starts_at),
    CHECK ((summary IS NULL) = (summary_compartment IS NULL))
) STRICT;
CREATE INDEX interviews_case ON interviews (case_id, requested_at);
CREATE INDEX interviews_person ON interviews (person_id, requested_at) WHERE person_id IS NOT NULL;
CREATE INDEX interviews_org ON interviews (org_id, status, requested_at);

-- Who is busy when: the interviewer, the accompanying specialist, the
-- interpreter, the room and the victim. Resources are "user:<id>",
-- "person:<id>", or keyed hashes of a place or interpreter name.
CREATE TABLE interview_bookings (
    interview_id  BLOB NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    resource      TEXT NOT NULL,
    starts_at     INTEGER NOT NULL,
    ends_at       INTEGER NOT NULL,
    PRIMARY KEY (interview_id, resource)
) STRICT;
CREATE INDEX interview_bookings_resource ON interview_bookings (resource, starts_at);

-- Recordings and documents: stored in encrypted chunks as they stream in;
-- visible once `stored` with their SHA-256.
CREATE TABLE interview_files (
    id            BLOB PRIMARY KEY NOT NULL,
    interview_id  BLOB NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('recording', 'document')),
    name          BLOB NOT NULL,
    content_type  TEXT NOT NULL,
    size          INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
    sha256        BLOB,
    status        TEXT NOT NULL CHECK (status IN ('uploading', 'stored')),
    by_user       BLOB NOT NULL REFERENCES users (id),
    at            INTEGER NOT NULL,
    CHECK ((status = 'stored') = (sha256 IS NOT NULL))
) STRICT;
CREATE INDEX interview_files_interview ON interview_files (interview_id, at);

CREATE TABLE interview_file_chunks (
    id       BLOB PRIMARY KEY NOT NULL,
    file_id  BLOB NOT NULL REFERENCES interview_files (id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    data     BLOB NOT NULL,
    UNIQUE (file_id, seq)
) STRICT;

-- The chain of custody: every storing, download, transfer and check.
CREATE TABLE custody_events (
    id       BLOB PRIMARY KEY NOT NULL,
    file_id  BLOB NOT NULL REFERENCES interview_files (id) ON DELETE CASCADE,
    at       INTEGER NOT NULL,
    by_user  BLOB NOT NULL REFERENCES users (id),
    action   TEXT NOT NULL CHECK (action IN ('stored', 'downloaded', 'transferred', 'verified')),
    sha256   BLOB NOT NULL,
    -- A transfer's recipient and purpose.
    detail   BLOB
) STRICT;
CREATE INDEX custody_events_file ON custody_events (file_id, at);

-- Messages that leave Haven (e-mail, SMS): notices to victims and staff
-- e-mail. Claimed under a lease like the outbox; `destination_key` is a
-- keyed hash of the address so an opt-out is found without decrypting.
CREATE TABLE deliveries (
    id               BLOB PRIMARY KEY NOT NULL,
    dedupe_key       TEXT NOT NULL UNIQUE,
    audience         TEXT NOT NULL CHECK (audience IN ('victim', 'staff')),
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    kind             TEXT NOT NULL,
    rule             TEXT NOT NULL DEFAULT '',
    lang             TEXT NOT NULL,
    reduced          INTEGER NOT NULL DEFAULT 0 CHECK (reduced IN (0, 1)),
    case_id          BLOB REFERENCES cases (id) ON DELETE CASCADE,
    user_id          BLOB REFERENCES users (id) ON DELETE CASCADE,
    destination      BLOB NOT NULL,
    destination_key  BLOB NOT NULL,
    subject          BLOB,
    body             BLOB NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'opted_out', 'cancelled')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    available_at     INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_until      INTEGER,
    last_error       TEXT,
    provider_id      TEXT,
    created_by       BLOB REFERENCES users (id),
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER
) STRICT;
CREATE INDEX deliveries_pending ON deliveries (available_at) WHERE status = 'pending';
CREATE INDEX deliveries_case ON deliveries (case_id, created_at) WHERE case_id IS NOT NULL;
CREATE INDEX deliveries_destination ON deliveries (destination_key) WHERE status = 'pending';

-- "Stop": no message goes to this address or number on this channel again.
CREATE TABLE opt_outs (
    destination_key  BLOB NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    at               INTEGER NOT NULL,
    source           TEXT NOT NULL CHECK (source IN ('reply', 'staff')),
    PRIMARY KEY (destination_key, channel)
) STRICT;

-- Which staff notifications also go by e-mail (the web UI always shows them).
CREATE TABLE notification_settings (
    user_id  BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    email    INTEGER NOT NULL CHECK (email IN (0, 1)),
    PRIMARY KEY (user_id, kind)
) STRICT;

-- An organization's own wording of a notice template (Fluent), replacing the
-- shipped file's for its cases.
CREATE TABLE message_templates (
    organization_id  BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    lang             TEXT NOT NULL,
    key              TEXT NOT NULL,
    body             TEXT NOT NULL,
    updated_by       BLOB NOT NULL REFERENCES users (id),
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (organization_id, lang, key)
) STRICT;
