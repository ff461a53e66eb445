//! Sign-in throttling on PostgreSQL: the code is `shared/throttle.rs`.

include!("../shared/throttle.rs");
