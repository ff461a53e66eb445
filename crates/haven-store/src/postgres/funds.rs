//! Emergency funds on PostgreSQL: the code is `shared/funds.rs`.

include!("../shared/funds.rs");
