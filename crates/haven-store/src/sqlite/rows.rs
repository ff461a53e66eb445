//! Reads by one parameter on SQLite: the code is `shared/rows.rs`.

include!("../shared/rows.rs");
