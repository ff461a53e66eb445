pub mod mfa;
pub mod mfa_pages;
pub mod pages;
pub mod password;
pub mod throttle;
pub mod tokens;
