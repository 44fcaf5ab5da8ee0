//! tokens API tests.
