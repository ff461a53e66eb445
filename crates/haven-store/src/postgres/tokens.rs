//! API tokens on PostgreSQL: the code is `shared/tokens.rs`.

include!("../shared/tokens.rs");
