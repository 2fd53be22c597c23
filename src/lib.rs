//! `sehatmu-auth`: SehatMu API tokens (OAuth 2 client credentials) for JavaScript.
//!
//! [`core`] is the protocol in plain Rust: it builds the token request and judges the answer,
//! with no I/O and no clock, so every rule is tested natively. `wasm` (built only for
//! `wasm32`) is the thin `#[wasm_bindgen]` facade that JavaScript calls: it converts values,
//! calls the platform's `fetch` and turns core errors into `SehatmuError` objects.

// The `.wasm` does without `std`: its panic handler formats every message (core::fmt, the
// panic locations) though nothing can show them. Our own handler traps at once instead (see
// `wasm::runtime`); the `std` feature gives the tests back the standard library.
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
