-- The access facts of a case: its organization, its team, the 1367 flag, and
-- the victim's releases of information. The case record itself (person,
-- needs, plan, timeline) builds on this table.
CREATE TABLE cases (
    id               UUID PRIMARY KEY,
    organization_id  UUID NOT NULL REFERENCES organizations (id),
    flag_1367        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX cases_organization ON cases (organization_id);

CREATE TABLE case_team (
    case_id    UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    user_id    UUID NOT NULL REFERENCES users (id),
    team_role  TEXT NOT NULL CHECK (team_role IN ('owner_specialist', 'agent', 'interviewer', 'supervisor')),
    PRIMARY KEY (case_id, user_id, team_role)
);
CREATE INDEX case_team_user ON case_team (user_id, case_id);

CREATE TABLE consents (
    id              UUID PRIMARY KEY,
    case_id         UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    parties         TEXT NOT NULL,
    recipient_org   UUID REFERENCES organizations (id),
    recipient_role  TEXT,
    purpose         TEXT NOT NULL,
    fields          TEXT NOT NULL,
    signed_on       DATE NOT NULL,
    expires_on      DATE NOT NULL,
    revoked_at      TIMESTAMPTZ,
    CHECK ((recipient_org IS NULL) <> (recipient_role IS NULL)),
    CHECK (expires_on > signed_on)
);
CREATE INDEX consents_case ON consents (case_id);
CREATE INDEX consents_recipient_org ON consents (recipient_org, case_id);
