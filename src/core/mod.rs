//! The protocol core: pure Rust, no I/O, no clock, no `JsValue`.
//!
//! [`build_request`] turns checked arguments into the exact token request, and [`interpret`]
//! turns `(status, headers, body)` into a [`Token`] or an [`Error`] with its [`ErrorCode`].
//! The wasm facade does the fetch in between; native tests feed canned responses.

mod body;
mod cache;
mod error;
mod form;
mod request;
mod response;
mod secret;
mod text;
mod time;

#[cfg(any(test, feature = "serde_json"))]
pub use body::json;
pub use body::{Loose, ResponseBody, FIELD_DEPTH};
pub use cache::{
    lock_ttl_ms, policy, poll_delay_ms, retry_delay_ms, store_key, Cache, Plan, BACKOFF_BASE_MS,
    BACKOFF_CAP_MS, DEFAULT_REFRESH_SKEW_MS, DEFAULT_RETRIES, LOCK_SUFFIX, MAX_RETRIES,
    STORE_TIMEOUT_MS, UNTIMED_TRY_MS, WAIT_SUFFIX,
};
pub use error::{Error, ErrorCode, Issue};
pub use form::form_encode;
pub use request::{
    build_request, credential, is_loopback_host, timeout, token_url, FormBody, ParsedUrl,
    TokenRequest, BASE_URL_MUST, DEFAULT_BASE_URL, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS,
    REQUEST_HEADERS, TOKEN_PATH,
};
pub use response::{
    interpret, ResponseMeta, Token, TokenClient, DEFAULT_RETRY_AFTER_MS, MAX_BODY_BYTES,
    MAX_ERROR_BODY_BYTES,
};
pub use secret::{ClientSecret, REDACTED};
pub use text::{contains_ignore_ascii_case, decimal, one_line, replace_all, truncate_bytes};
pub use time::{format_iso, parse_decimal, parse_http_date, parse_iso, MAX_INSTANT_MS};
