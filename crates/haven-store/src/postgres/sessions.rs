//! Sessions on PostgreSQL: the code is `shared/sessions.rs`.

include!("../shared/sessions.rs");
