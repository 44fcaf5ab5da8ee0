//! API tests: tasks (being built).
