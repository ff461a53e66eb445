-- API tokens for integrations: scoped, expiring, revocable. Only a SHA-256
-- of the token is stored.
CREATE TABLE api_tokens (
    id            UUID PRIMARY KEY,
    token_hash    BYTEA NOT NULL UNIQUE,
    user_id       UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ,
    last_used_at  TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
