pub mod consents;
pub mod forms;
pub mod intake;
pub mod pages;
