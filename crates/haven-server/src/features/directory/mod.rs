pub mod api;
pub mod hotlines;
pub mod pages;
pub mod service;

pub use service::*;
