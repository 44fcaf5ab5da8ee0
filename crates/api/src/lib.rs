//! The Youguanjia server: REST API (actix-web), OpenAPI (utoipa), auth, the static frontend.

pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod demo_seed;
pub mod error;
pub mod extract;
pub mod guard;
pub mod intel;
pub mod jobs;
pub mod metrics;
pub mod openapi;
pub mod response_cache;
pub mod routes;
pub mod startup;
pub mod state;
pub mod static_files;
pub mod telemetry;
