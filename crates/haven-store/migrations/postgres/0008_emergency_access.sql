-- Emergency ("break glass") openings of a case outside the opener's scope.
-- The written reason may hold personal details, so it is a Haven ciphertext
-- (bound to emergency_access/reason/<id>). Each is reviewed by another
-- supervisor.
CREATE TABLE emergency_access (
    id               UUID PRIMARY KEY,
    case_id          UUID NOT NULL REFERENCES cases (id),
    user_id          UUID NOT NULL REFERENCES users (id),
    organization_id  UUID NOT NULL REFERENCES organizations (id),
    reason           BYTEA NOT NULL,
    at               TIMESTAMPTZ NOT NULL,
    reviewed_by      UUID REFERENCES users (id),
    reviewed_at      TIMESTAMPTZ,
    CHECK (reviewed_by IS NULL OR reviewed_by <> user_id)
);
CREATE INDEX emergency_access_pending ON emergency_access (organization_id, at) WHERE reviewed_at IS NULL;
