//! access API tests.
