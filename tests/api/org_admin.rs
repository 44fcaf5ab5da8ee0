//! org_admin API tests.
