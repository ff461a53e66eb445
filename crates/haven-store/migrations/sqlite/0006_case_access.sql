-- The access facts of a case: its organization, its team, the 1367 flag, and
-- the victim's releases of information. The case record itself (person,
-- needs, plan, timeline) builds on this table.
CREATE TABLE cases (
    id               BLOB PRIMARY KEY NOT NULL,
    organization_id  BLOB NOT NULL REFERENCES organizations (id),
    flag_1367        INTEGER NOT NULL DEFAULT 0 CHECK (flag_1367 IN (0, 1)),
    created_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX cases_organization ON cases (organization_id);

CREATE TABLE case_team (
    case_id    BLOB NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    user_id    BLOB NOT NULL REFERENCES users (id),
    team_role  TEXT NOT NULL CHECK (team_role IN ('owner_specialist', 'agent', 'interviewer', 'supervisor')),
    PRIMARY KEY (case_id, user_id, team_role)
) STRICT, WITHOUT ROWID;
CREATE INDEX case_team_user ON case_team (user_id, case_id);

-- Dates are ISO text (YYYY-MM-DD), which sorts and compares correctly.
CREATE TABLE consents (
    id              BLOB PRIMARY KEY NOT NULL,
    case_id         BLOB NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    parties         TEXT NOT NULL,
    recipient_org   BLOB REFERENCES organizations (id),
    recipient_role  TEXT,
    purpose         TEXT NOT NULL,
    fields          TEXT NOT NULL,
    signed_on       TEXT NOT NULL,
    expires_on      TEXT NOT NULL,
    revoked_at      INTEGER,
    CHECK ((recipient_org IS NULL) <> (recipient_role IS NULL)),
    CHECK (expires_on > signed_on)
) STRICT;
CREATE INDEX consents_case ON consents (case_id);
CREATE INDEX consents_recipient_org ON consents (recipient_org, case_id);
