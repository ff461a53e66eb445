//! Sessions on SQLite: the code is `shared/sessions.rs`.

include!("../shared/sessions.rs");
