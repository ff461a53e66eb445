//! Data keys and key rotation on PostgreSQL: the code is `shared/keys.rs`.

include!("../shared/keys.rs");
