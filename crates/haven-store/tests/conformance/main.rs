//! The store conformance suite: one set of expectations, run against SQLite
//! and a real PostgreSQL server in every test run.

mod audit;
mod database;
mod keys;
mod sign_in;
mod support;
mod users;
