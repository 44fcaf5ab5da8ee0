//! One module per page.

pub mod admin;
pub mod admin_org;
pub mod admin_tokens;
pub mod admin_users;
pub mod archive;
pub mod audit_log;
pub mod client_detail;
pub mod client_form;
pub mod client_intel;
pub mod clients;
pub mod dashboard;
pub mod login;
pub mod performance;
pub mod phone;
pub mod plans;
pub mod prospects;
pub mod service;
pub mod visit_map;
pub mod visits;
