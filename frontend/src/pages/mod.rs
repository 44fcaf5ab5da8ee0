//! One module per page.

pub mod client_detail;
pub mod client_form;
pub mod clients;
pub mod login;
