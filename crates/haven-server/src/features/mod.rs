//! One folder per feature: its service (rules and store calls), its pages
//! and its JSON API.

pub mod account;
pub mod admin;
pub mod cases;
pub mod directory;
pub mod funds;
pub mod home;
pub mod interviews;
pub mod notices;
pub mod record;
pub mod referrals;
pub mod relief;
