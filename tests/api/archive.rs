//! API tests: archive (being built).
