//! Second factors on PostgreSQL: the code is `shared/mfa.rs`.

include!("../shared/mfa.rs");
