-- API tokens for integrations: scoped, expiring, revocable. Only a SHA-256
-- of the token is stored.
CREATE TABLE api_tokens (
    id            BLOB PRIMARY KEY NOT NULL,
    token_hash    BLOB NOT NULL UNIQUE,
    user_id       BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked_at    INTEGER,
    last_used_at  INTEGER
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens (user_id);
