//! `sehatmu-auth`: SehatMu API tokens (OAuth 2 client credentials) for JavaScript.
//!
//! [`core`] is the protocol in plain Rust: it builds the token request and judges the answer,
//! with no I/O and no clock, so every rule is tested natively. `wasm` (built only for
//! `wasm32`) is the thin `#[wasm_bindgen]` facade that JavaScript calls: it converts values,
//! calls the platform's `fetch` and turns core errors into `SehatmuError` objects.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
// `core::Error` carries every field of the contract (about 150 bytes). Errors are the cold
// path and each becomes one JS object; boxing them would only add an allocation.
#![allow(clippy::result_large_err)]

pub mod core;

#[cfg(target_arch = "wasm32")]
mod wasm;

#[cfg(target_arch = "wasm32")]
pub use wasm::{get_token, TokenClient};
