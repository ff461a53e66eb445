-- The person a case is about. Personal fields are Haven ciphertexts (envelope
-- bound to persons/<column>/<id>); the blind index is a keyed HMAC of the
-- normalized name and date of birth, for exact-match duplicate checks only.
CREATE TABLE persons (
    id               BLOB PRIMARY KEY NOT NULL,
    organization_id  BLOB NOT NULL REFERENCES organizations (id),
    name             BLOB NOT NULL,
    birth_date       BLOB,
    name_dob_index   BLOB,
    created_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX persons_name_dob_index ON persons (name_dob_index);

ALTER TABLE cases ADD COLUMN person_id BLOB REFERENCES persons (id);
CREATE INDEX cases_person ON cases (person_id);
