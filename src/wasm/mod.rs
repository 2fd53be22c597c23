//! The JavaScript API: the only place with `#[wasm_bindgen]`.
//!
//! Each function here is short: read the JS values into core types, call the core, do the
//! `fetch`, convert the result (or the error) back into plain JS objects.

mod api_fetch;
mod args;
mod body;
mod convert;
mod diagnostics;
mod fetch;
mod get_token;
mod js;
#[cfg(not(feature = "std"))]
mod runtime;
mod store;
mod token_client;

pub use get_token::get_token;
pub use token_client::TokenClient;
