//! Emergency funds on SQLite: the code is `shared/funds.rs`.

include!("../shared/funds.rs");
