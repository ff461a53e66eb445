//! Signing in: the code is `shared/sign_in.rs`.

include!("../shared/sign_in.rs");
