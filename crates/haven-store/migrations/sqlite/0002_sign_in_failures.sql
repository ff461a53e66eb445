-- Failed sign-in attempts, for throttling and temporary lockout. One row per
-- failure (insert-only, so several instances never lose a count). The key is
-- a SHA-256 of "account:<login>" or "address:<ip>": attempted names and
-- addresses are not kept in the clear.
CREATE TABLE sign_in_failures (
    key  BLOB NOT NULL,
    at   INTEGER NOT NULL
) STRICT;
CREATE INDEX sign_in_failures_key_at ON sign_in_failures (key, at);
