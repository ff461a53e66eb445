//! Sign-in throttling on SQLite: the code is `shared/throttle.rs`.

include!("../shared/throttle.rs");
