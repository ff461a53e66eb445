-- A release's purpose is free text about a person: personal data, so it is
-- encrypted like every other (issue 22, finding 8). The plaintext column
-- stays, renamed, only until the server seals what older versions wrote
-- (`seal_legacy_consent_purposes` at start-up empties it); new releases
-- write it empty. The recorder is kept as the witness of the signature.
ALTER TABLE consents RENAME COLUMN purpose TO legacy_purpose;
ALTER TABLE consents ADD COLUMN purpose BLOB;
ALTER TABLE consents ADD COLUMN witnessed_by BLOB REFERENCES users (id);
CREATE INDEX emergency_access_case ON emergency_access (case_id, at);

-- Roles that see personal data, as they were granted (issue 22, finding 11):
-- listed on the organization's access page; the organization's supervisors
-- are told of each (an outbox message in the same transaction).
CREATE TABLE role_grants (
    id               BLOB PRIMARY KEY NOT NULL,
    user_id          BLOB NOT NULL REFERENCES users (id),
    organization_id  BLOB NOT NULL REFERENCES organizations (id),
    role             TEXT NOT NULL,
    granted_by       BLOB REFERENCES users (id),
    granted_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX role_grants_organization ON role_grants (organization_id, granted_at);
