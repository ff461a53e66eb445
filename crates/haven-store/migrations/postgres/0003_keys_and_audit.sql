-- Data keys, wrapped by the master key (which is never in the database).
CREATE TABLE data_keys (
    id          BIGINT PRIMARY KEY,
    wrapped     BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    retired_at  TIMESTAMPTZ
);

-- The audit log. Rows are inserted with the action they record; the chain
-- columns are filled afterwards, in order, by the sealer (see ARCHITECTURE.md).
CREATE TABLE audit_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             TIMESTAMPTZ NOT NULL,
    actor_user     UUID,
    actor_org      UUID,
    action         TEXT NOT NULL,
    resource_kind  TEXT,
    resource_id    TEXT,
    request_id     TEXT,
    chain_seq      BIGINT UNIQUE,
    prev_hash      BYTEA,
    hash           BYTEA
);
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE chain_seq IS NULL;
CREATE INDEX audit_log_resource ON audit_log (resource_kind, resource_id, at);
