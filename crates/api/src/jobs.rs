//! Scheduled jobs (being built).
