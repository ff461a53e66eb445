-- TOTP second factor. The secret is encrypted by Haven (envelope bound to
-- user_mfa/secret/<user id>); `last_step` is the last accepted 30-second step,
-- so a code can never be used twice.
CREATE TABLE user_mfa (
    user_id     UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret      BYTEA NOT NULL,
    enabled_at  TIMESTAMPTZ,
    last_step   BIGINT NOT NULL DEFAULT 0
);

-- One-time recovery codes, stored as SHA-256 (they are long random strings).
CREATE TABLE recovery_codes (
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  BYTEA NOT NULL,
    used_at    TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

-- A session is 'full' once every required factor is done; 'mfa' waits for a
-- code; 'enrol' must set up a second factor first.
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'full' CHECK (stage IN ('full', 'mfa', 'enrol'));
