#![allow(clippy::inconsistent_digit_grouping)] // cents written as dollars_cents
//! The case record and the emergency fund, on SQLite and PostgreSQL.

mod case;
mod case_page;
mod caseload;
mod funds;
mod intake;
mod support;
