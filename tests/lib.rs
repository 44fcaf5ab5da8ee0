//! End-to-end tests live in `api/` (Rust, HTTP) and `e2e/` (browser).
