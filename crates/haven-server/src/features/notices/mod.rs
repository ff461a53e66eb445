pub mod delivery;
pub mod service;

pub use service::*;
