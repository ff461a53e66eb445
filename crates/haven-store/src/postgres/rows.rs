//! Reads by one parameter on PostgreSQL: the code is `shared/rows.rs`.

include!("../shared/rows.rs");
