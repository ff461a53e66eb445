//! Second factors on SQLite: the code is `shared/mfa.rs`.

include!("../shared/mfa.rs");
