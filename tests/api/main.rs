//! API tests: the real server over HTTP, every test on SQLite and on PostgreSQL.

mod helpers;

mod audit;
mod auth;
mod bad_input;
mod clients;
mod platform;
mod sessions;
