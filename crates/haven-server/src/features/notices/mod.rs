pub mod api;
pub mod delivery;
pub mod pages;
pub mod service;

pub use service::*;
