-- Organizations, staff users and their sessions.
-- Times are INTEGER milliseconds since the Unix epoch (UTC) so that they sort
-- and compare as numbers; ids are 16-byte UUID blobs.

CREATE TABLE organizations (
    id          BLOB PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('law_enforcement', 'ngo', 'service_provider')),
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    id               BLOB PRIMARY KEY NOT NULL,
    organization_id  BLOB NOT NULL REFERENCES organizations (id),
    login            TEXT NOT NULL UNIQUE,
    display_name     TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    disabled         INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX users_organization ON users (organization_id);

CREATE TABLE user_roles (
    user_id  BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
) STRICT, WITHOUT ROWID;

-- Only a hash of the session token is stored: a copy of the database does not
-- let anyone sign in.
CREATE TABLE sessions (
    token_hash    BLOB PRIMARY KEY NOT NULL,
    id            BLOB NOT NULL UNIQUE,
    user_id       BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    csrf_token    BLOB NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);
