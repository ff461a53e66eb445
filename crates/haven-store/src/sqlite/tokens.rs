//! API tokens on SQLite: the code is `shared/tokens.rs`.

include!("../shared/tokens.rs");
