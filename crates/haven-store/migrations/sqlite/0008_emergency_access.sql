-- Emergency ("break glass") openings of a case outside the opener's scope.
-- The written reason may hold personal details, so it is a Haven ciphertext
-- (bound to emergency_access/reason/<id>). Each is reviewed by another
-- supervisor.
CREATE TABLE emergency_access (
    id               BLOB PRIMARY KEY NOT NULL,
    case_id          BLOB NOT NULL REFERENCES cases (id),
    user_id          BLOB NOT NULL REFERENCES users (id),
    organization_id  BLOB NOT NULL REFERENCES organizations (id),
    reason           BLOB NOT NULL,
    at               INTEGER NOT NULL,
    reviewed_by      BLOB REFERENCES users (id),
    reviewed_at      INTEGER,
    CHECK (reviewed_by IS NULL OR reviewed_by <> user_id)
) STRICT;
CREATE INDEX emergency_access_pending ON emergency_access (organization_id, at) WHERE reviewed_at IS NULL;
