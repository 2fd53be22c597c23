//! `sehatmu-auth`: SehatMu API tokens (OAuth 2 client credentials) for JavaScript.
//!
//! [`core`] is the protocol in plain Rust: it builds the token request, judges the answer and
//! makes every decision of a `TokenClient`, with no I/O and no clock, so every rule is tested
//! natively. `wasm` (built only for `wasm32`) is the `#[wasm_bindgen]` API that the `.wasm`
//! exports: `getToken` and `TokenClient`, whose promises are Rust futures over the platform's
//! `fetch`, timers and the caller's store. The package's JavaScript only loads the module.

// Without `std` on wasm32 (why: `wasm::runtime`); the `std` feature brings it back for tests.
#![cfg_attr(all(target_arch = "wasm32", not(feature = "std")), no_std)]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
// `core::Error` carries every field of the contract (about 150 bytes). Errors are the cold
// path and each becomes one JS object; boxing them would only add an allocation.
#![allow(clippy::result_large_err)]

extern crate alloc;

pub mod core;

#[cfg(target_arch = "wasm32")]
mod wasm;

#[cfg(all(target_arch = "wasm32", feature = "server"))]
pub use wasm::TokenClients;
#[cfg(target_arch = "wasm32")]
pub use wasm::{get_token, TokenClient};
