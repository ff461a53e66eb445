pub mod intake;
pub mod pages;
