//! What every page and API handler is built from: errors and their
//! answers, forms, languages, sessions, security headers, the API caller.

pub mod api;
pub mod error;
pub mod form;
pub mod health;
pub mod i18n;
pub mod pages;
pub mod problems;
pub mod security;
pub mod session;
pub mod shared_lists;
pub mod time;

/// Body size limits a feature's routes need (attachments and imports may be
/// larger than any other body).
pub struct Limits {
    pub upload: usize,
}
