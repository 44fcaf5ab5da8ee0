//! API tests: the real server over HTTP, every test on SQLite and on PostgreSQL.

mod helpers;

mod access;
mod archive;
mod audit;
mod auth;
mod bad_input;
mod card_export;
mod clients;
mod documents;
mod faults;
mod field;
mod imports;
mod instances;
mod intel;
mod list_cache;
mod observability;
mod org_admin;
mod platform;
mod prospects;
mod sales;
mod scorecards;
mod service;
mod sessions;
mod sso;
mod tasks;
mod tokens;
mod visits;
