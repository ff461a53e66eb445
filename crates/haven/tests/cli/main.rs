//! Black-box tests of the `haven` binary: configuration errors, serving on
//! both databases, graceful shutdown, demo, backup and restore.

mod audit;
mod backup;
mod configuration;
mod demo;
mod directory;
mod keys;
mod serve;
mod support;
mod tokens;
