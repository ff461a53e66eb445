-- A release's purpose is free text about a person: personal data, so it is
-- encrypted like every other (issue 22, finding 8). The plaintext column
-- stays, renamed, only until the server seals what older versions wrote
-- (`seal_legacy_consent_purposes` at start-up empties it); new releases
-- write it empty. The recorder is kept as the witness of the signature.
ALTER TABLE consents RENAME COLUMN purpose TO legacy_purpose;
ALTER TABLE consents ALTER COLUMN legacy_purpose SET DEFAULT '';
ALTER TABLE consents ADD COLUMN purpose BYTEA;
ALTER TABLE consents ADD COLUMN witnessed_by UUID REFERENCES users (id);
CREATE INDEX emergency_access_case ON emergency_access (case_id, at);
