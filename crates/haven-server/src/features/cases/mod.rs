pub mod api;
pub mod caseload;
pub mod consents;
pub mod forms;
pub mod intake;
pub mod pages;
