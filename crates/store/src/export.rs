//! (being built) export queries.
