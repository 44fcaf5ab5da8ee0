//! Youguanjia's web frontend: a Leptos app rendered in the browser (WASM).
//!
//! It talks to the REST API of the same origin through [`api`], shares its types with the
//! server through the `domain` crate, and speaks Chinese (default) or English ([`i18n`]).

// First, so its `label!` macro is in scope in the modules below.
#[macro_use]
pub mod i18n;
pub mod api;
pub mod app;
pub mod charts;
pub mod components;
pub mod offline;
pub mod pages;
pub mod state;

fn main() {
    // Panics show up in the browser console with a Rust message instead of "unreachable".
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
