//! API tests: documents (being built).
