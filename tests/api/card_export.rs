//! API tests: card_export (being built).
