//! The protocol core: pure Rust, no I/O, no clock, no `JsValue`. Every decision of the package
//! lives here, so each one is tested natively with canned inputs.
//!
//! - [`build_request`] turns checked arguments into the exact token request; [`no_answer`]
//!   decides what an exchange without an answer failed of; [`interpret`] turns `(status,
//!   headers, body)` into a [`Token`] or an [`Error`] with its [`ErrorCode`].
//! - [`Cache`] is a `TokenClient`'s state (its token, the server's wait, the clock offset) and
//!   its [`Plan`] for each call; [`Refresh`] is one refresh, as a state machine: the store, the
//!   lock, the fetch, its retries ([`retry_delay_ms`]); [`client_settings`] checks the options.
//! - [`fleet`](store_key)'s rules share one token between processes: store keys, the lock's
//!   lifetime, polling, and [`LockWait`].
//! - [`ProxyRoutes`] is `sehatmu-auth/proxy`'s path rule (which request paths it forwards, and
//!   to which URL), with the checks of its options and the header lists it passes and drops.
//!
//! The wasm facade (`src/wasm`) does the I/O in between: the `fetch`, the timers, the store
//! calls; native tests feed canned responses.

mod body;
mod cache;
mod error;
mod exchange;
mod fleet;
mod form;
mod guard;
mod options;
// Servers only: the browser build's .wasm must not change for it.
#[cfg(feature = "server")]
mod proxy;
mod refresh;
mod request;
mod response;
mod retry;
mod secret;
mod tenants;
mod text;
mod time;

#[cfg(any(test, feature = "serde_json"))]
pub use body::json;
pub use body::{Loose, ResponseBody, FIELD_DEPTH, MEMBER_NAMES};
pub use cache::{Cache, Plan, TOKEN_REJECTED};
pub use error::{Error, ErrorCode, Issue};
pub use exchange::no_answer;
pub use fleet::{
    lock_ttl_ms, poll_delay_ms, store_key, store_timeout_ms, LockWait, LOCK_SUFFIX,
    MAX_LOCK_HOLDERS, STORE_TIMEOUT_MS, UNTIMED_TRY_MS, WAIT_SUFFIX,
};
pub use form::form_encode;
pub use guard::{browser_refusal, Runtime, ALLOW_BROWSER_OPTION};
pub use options::{client_settings, ClientSettings, DEFAULT_REFRESH_SKEW_MS};
#[cfg(feature = "server")]
pub use proxy::{
    proxy_body_limit, ProxyRoutes, Upstream, DECODED_BY_FETCH, DEFAULT_PROXY_BODY_BYTES,
    DEFAULT_PROXY_PATHS, DROPPED_RESPONSE_HEADERS, DROPPED_RESPONSE_PREFIX, NULL_BODY_STATUSES,
    PROXY_REQUEST_HEADERS,
};
pub use refresh::{
    outcome_error, Event, Need, Outcome, Refresh, RefreshSettings, Step, StoreKind,
    SECRET_FUNCTION_MUST,
};
pub use request::{
    build_request, credential, is_loopback_host, timeout, token_url, FormBody, ParsedUrl,
    TokenRequest, BASE_URL_MUST, DEFAULT_BASE_URL, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS,
    REQUEST_INIT, TOKEN_PATH,
};
pub use response::{
    decode_body, interpret, interpret_with, is_bearer_token, ClientField, ResponseMeta, Token,
    DEFAULT_RETRY_AFTER_MS, MAX_BODY_BYTES, MAX_ERROR_BODY_BYTES,
};
pub use retry::{retry_delay_ms, BACKOFF_BASE_MS, BACKOFF_CAP_MS, DEFAULT_RETRIES, MAX_RETRIES};
pub use secret::{ClientSecret, REDACTED};
pub use tenants::{tenant_settings, TenantSettings, Tenants, DEFAULT_IDLE_MS, DEFAULT_MAX_CLIENTS};
pub use text::{contains_ignore_ascii_case, decimal, join, one_line, replace_all, truncate_bytes};
pub use time::{
    format_iso, parse_decimal, parse_http_date, parse_iso, MAX_INSTANT_MS, MIN_INSTANT_MS,
};
