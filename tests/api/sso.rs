//! sso API tests.
