//! The JavaScript API: the only place with `#[wasm_bindgen]`.
//!
//! Everything here is synchronous and does no I/O: [`Call`] checks a token request's
//! arguments and judges what came back, [`Policy`] makes a `TokenClient`'s decisions. The
//! entries in `js/` do the `fetch`, the timers and the store calls in between, in a few
//! lines of JavaScript: written in Rust, that async glue cost more than the rest of the
//! `.wasm` together (see `bench/RESULTS.md`).

mod args;
mod body;
mod call;
mod convert;
mod diagnostics;
mod js;
mod policy;
#[cfg(not(feature = "std"))]
mod runtime;

pub use call::{Call, Failure};
pub use policy::Policy;
