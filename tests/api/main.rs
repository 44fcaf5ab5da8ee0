//! API tests: the real server over HTTP, every test on SQLite and on PostgreSQL.

mod helpers;

mod access;
mod audit;
mod auth;
mod bad_input;
mod clients;
mod org_admin;
mod platform;
mod sessions;
mod sso;
mod tokens;
