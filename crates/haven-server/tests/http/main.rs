//! In-process HTTP tests of the server. Each test runs once per database as
//! its own test: `cargo test --test http -- <name>::sqlite` runs one alone.

mod account;
mod admin;
mod audit;
mod cases;
mod directory;
mod funds;
mod interviews;
mod notices;
mod record;
mod referrals;
mod relief;
mod support;
mod web;
