//! sea-orm entities, one per table. Rows map to domain types in the parent module.

pub mod archive_exports;
pub mod audit_log;
pub mod client_owners;
pub mod clients;
pub mod document_files;
pub mod documents;
pub mod integrator_tokens;
pub mod org_units;
pub mod refresh_tokens;
pub mod rule_sets;
pub mod sales_orders;
pub mod sessions;
pub mod sso_requests;
pub mod sso_tickets;
pub mod task_assignees;
pub mod tasks;
pub mod users;
