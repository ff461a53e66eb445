-- The person a case is about. Personal fields are Haven ciphertexts (envelope
-- bound to persons/<column>/<id>); the blind index is a keyed HMAC of the
-- normalized name and date of birth, for exact-match duplicate checks only.
CREATE TABLE persons (
    id               UUID PRIMARY KEY,
    organization_id  UUID NOT NULL REFERENCES organizations (id),
    name             BYTEA NOT NULL,
    birth_date       BYTEA,
    name_dob_index   BYTEA,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX persons_name_dob_index ON persons (name_dob_index);

ALTER TABLE cases ADD COLUMN person_id UUID REFERENCES persons (id);
CREATE INDEX cases_person ON cases (person_id);
