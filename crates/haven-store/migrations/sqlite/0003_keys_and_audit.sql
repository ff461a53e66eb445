-- Data keys, wrapped by the master key (which is never in the database).
CREATE TABLE data_keys (
    id          INTEGER PRIMARY KEY NOT NULL,
    wrapped     BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
) STRICT;

-- The audit log. Rows are inserted with the action they record; the chain
-- columns are filled afterwards, in order, by the sealer (see ARCHITECTURE.md).
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             INTEGER NOT NULL,
    actor_user     BLOB,
    actor_org      BLOB,
    action         TEXT NOT NULL,
    resource_kind  TEXT,
    resource_id    TEXT,
    request_id     TEXT,
    chain_seq      INTEGER UNIQUE,
    prev_hash      BLOB,
    hash           BLOB
) STRICT;
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE chain_seq IS NULL;
CREATE INDEX audit_log_resource ON audit_log (resource_kind, resource_id, at);
