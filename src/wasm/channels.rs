//! What the server build publishes on `node:diagnostics_channel` (Node, Deno, Bun, workerd
//! with `nodejs_compat`), where someone subscribes: each token request, traced on the
//! `TracingChannel` `sehatmu-auth:token-request`; a call answered without one
//! (`sehatmu-auth:token-cached`); a retry (`sehatmu-auth:retry`); a call the rate-limit wait
//! refused (`sehatmu-auth:refused`). docs/diagnostics.md documents the messages.
//!
//! Nothing is built unless someone subscribes: each publication first asks `subscribed`
//! (channels.js), one call into JavaScript that reads `hasSubscribers`. A message names the
//! client by its id and the request by its URL, whose query holds only `grant_type`: never
//! the secret, never the token. The points where the messages are published are the steps
//! and plans of the core (`Step::Fetch`, `Step::Backoff`, `Plan::UseCached`, `Plan::Blocked`,
//! `Outcome::Stored`): no decision is made here.

use core::future::{poll_fn, Future};
use core::pin::pin;

use wasm_bindgen::prelude::*;

use super::args::Args;
use super::convert;
use super::exchange::{Failure, Fetched};

/// The channels, by their number in channels.js.
#[derive(Clone, Copy)]
#[repr(u32)]
enum Channel {
    TokenRequest = 0,
    TokenCached = 1,
    Retry = 2,
    Refused = 3,
}

#[wasm_bindgen(module = "/src/wasm/channels.js")]
extern "C" {
    /// Whether anyone subscribes to the channel numbered `kind` (channels.js).
    fn subscribed(kind: u32) -> bool;

    #[wasm_bindgen(js_name = publishCached)]
    fn publish_cached(client_id: &str, source: &str);

    #[wasm_bindgen(js_name = publishRetry)]
    fn publish_retry(client_id: &str, attempt: u32, delay_ms: f64, code: &str);

    #[wasm_bindgen(js_name = publishRefused)]
    fn publish_refused(client_id: &str, retry_after_ms: f64);

    /// Publishes `start` with a new context, and returns the context.
    #[wasm_bindgen(js_name = requestStart)]
    fn request_start(client_id: &str, url: &str, attempt: u32) -> JsValue;

    #[wasm_bindgen(js_name = requestEnd)]
    fn request_end(context: &JsValue);

    #[wasm_bindgen(js_name = requestSettled)]
    fn request_settled(context: &JsValue, status: Option<u16>, error: Option<JsValue>);
}

/// Whether anyone subscribes to `channel`.
#[inline(always)]
fn watched(channel: Channel) -> bool {
    subscribed(channel as u32)
}

/// `sehatmu-auth:token-cached`: a call of `args`' client answered from `source` (`"memory"` or
/// `"store"`) without a request.
#[inline(always)]
pub fn cached(args: &Args, source: &str) {
    if watched(Channel::TokenCached) {
        publish_cached(args.client_id(), source);
    }
}

/// `sehatmu-auth:retry`: retry number `attempt` of `args`' client is due in `delay_ms`, after
/// an error of `code`.
pub fn retry(args: &Args, attempt: u32, delay_ms: u64, code: &str) {
    if watched(Channel::Retry) {
        publish_retry(args.client_id(), attempt, delay_ms as f64, code);
    }
}

/// `sehatmu-auth:refused`: the rate-limit wait refused a call of `args`' client, with
/// `retry_after_ms` of it left.
pub fn refused(args: &Args, retry_after_ms: u64) {
    if watched(Channel::Refused) {
        publish_refused(args.client_id(), retry_after_ms as f64);
    }
}

/// `request`, try number `attempt` of a token request with `args`, traced on
/// `sehatmu-auth:token-request` where anyone subscribes: `start` before its first poll (which
/// sends it), `end` after it, then, when it is over, the context's `status` (where a response
/// came) and `error` (a `SehatmuError` like the one its callers get, where it failed), with
/// `error`, `asyncStart` and `asyncEnd`.
pub async fn token_request<F>(args: &Args, attempt: u32, request: F) -> Result<Fetched, Failure>
where
    F: Future<Output = Result<Fetched, Failure>>,
{
    if !watched(Channel::TokenRequest) {
        return request.await;
    }
    let context = request_start(args.client_id(), &args.request.url, attempt);
    let mut request = pin!(request);
    let mut sent = false;
    let result = poll_fn(|cx| {
        let polled = request.as_mut().poll(cx);
        if !core::mem::replace(&mut sent, true) {
            request_end(&context);
        }
        polled
    })
    .await;
    let (status, error) = match &result {
        Ok(fetched) => (Some(fetched.status), None),
        Err(Failure { error, cause }) => {
            (error.status, Some(convert::error(error, cause.as_ref())))
        }
    };
    request_settled(&context, status, error);
    result
}
