//! Data keys and key rotation on SQLite: the code is `shared/keys.rs`.

include!("../shared/keys.rs");
