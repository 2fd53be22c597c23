//! `sehatmu-auth`: SehatMu API tokens (OAuth 2 client credentials) for JavaScript.
//!
//! [`core`] is the protocol in plain Rust: it builds the token request and judges the answer,
//! with no I/O and no clock, so every rule is tested natively. `wasm` (built only for
//! `wasm32`) is the thin, synchronous `#[wasm_bindgen]` facade: it converts values, calls the
//! core and turns core errors into `SehatmuError` objects. The `fetch`, the timers and the
//! store calls are done by the package's JavaScript (`js/client.js`).

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

#[cfg(target_arch = "wasm32")]
pub use wasm::{Call, Failure, Policy};
