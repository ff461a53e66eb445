//! The attacker's view, one test per attack (issue 22), each on SQLite and
//! PostgreSQL as tests of their own (`<topic>::<attack>::sqlite`,
//! `<topic>::<attack>::postgres`). Every test here failed on the code before
//! its fix.

mod audit_log;
mod case_access;
mod database_files;
mod helpers;
mod input;
mod matrix;
mod releases;
mod role_grants;
mod sign_in;

use haven_store::on_both;
