//! The JavaScript API: the only place with `#[wasm_bindgen]`. Its exports are the package's:
//! [`get_token`] (`getToken`), [`TokenClient`] and, on servers, `TokenClients`, whose promises are Rust futures over the
//! platform's `fetch`. Each function converts the JS values in, awaits the I/O, asks the core,
//! and converts the result (or the error) out; the TypeScript declarations stand beside what
//! they describe.

mod api_fetch;
mod args;
mod body;
#[cfg(feature = "server")]
mod channels;
mod convert;
#[cfg(feature = "server")]
mod diagnostics;
mod events;
mod exchange;
mod get_token;
mod platform;
#[cfg(feature = "server")]
mod proxy_routes;
mod refresh;
#[cfg(not(feature = "std"))]
mod runtime;
// Token stores are for servers: the browser build leaves them out (`no_store.rs`).
#[cfg_attr(not(feature = "server"), path = "no_store.rs")]
mod store;
mod token_client;
#[cfg(feature = "server")]
mod token_clients;
#[cfg(feature = "server")]
mod warm;

pub use get_token::get_token;
pub use token_client::TokenClient;
#[cfg(feature = "server")]
pub use token_clients::TokenClients;
