//! (being built) documents queries.
