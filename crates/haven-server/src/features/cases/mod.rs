pub mod consents;
pub mod intake;
pub mod pages;
