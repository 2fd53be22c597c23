//! `getToken(clientId, clientSecret, options?)`: one request to the token endpoint, no cache.

use js_sys::{Date, Promise};
use wasm_bindgen::prelude::*;

use super::args::{self, Args};
use super::body::parse;
use super::convert;
use super::fetch::{exchange, Failure};
use super::js::promise;
use crate::core::{interpret, ResponseMeta, Token};

/// A token as the core judged it, with the body as parsed and the moment it arrived.
pub struct Fetched {
    /// The normalised token.
    pub token: Token,
    /// The body exactly as parsed.
    pub raw: JsValue,
    /// The clock's reading when the response arrived.
    pub received_at_ms: i64,
}

/// One token request with checked `args`, judged by the core.
///
/// # Errors
/// Every code but `invalid_argument`, with its JS `cause` where there is one.
pub async fn fetch_token(args: &Args, now: &dyn Fn() -> i64) -> Result<Fetched, Failure> {
    let response = exchange(&args.request, args.timeout_ms, args.signal.as_ref(), now).await?;
    let (raw, fields) = parse(&response.text);
    let meta = ResponseMeta {
        status: response.status,
        retry_after: response.retry_after.as_deref(),
        date: response.date.as_deref(),
        received_at_ms: response.received_at_ms,
        body_too_large: response.body_too_large,
    };
    let token = interpret(&meta, &response.text, fields.as_ref(), &args.secret)?;
    Ok(Fetched {
        token,
        raw,
        received_at_ms: response.received_at_ms,
    })
}

async fn run(
    client_id: JsValue,
    client_secret: JsValue,
    options: JsValue,
) -> Result<JsValue, Failure> {
    let args = args::read(&client_id, &client_secret, &options)?;
    let fetched = fetch_token(&args, &|| Date::now() as i64).await?;
    Ok(convert::token(&fetched.token, &fetched.raw))
}

/// Gets an access token from the SehatMu token endpoint: one request, no cache.
///
/// Resolves to an `AccessToken`; rejects with a `SehatmuError` (never throws synchronously).
/// See `spec/api.md` and the package's `.d.ts` for the options and the error codes.
#[wasm_bindgen(js_name = getToken)]
pub fn get_token(client_id: JsValue, client_secret: JsValue, options: JsValue) -> Promise {
    promise(async move {
        run(client_id, client_secret, options)
            .await
            .map_err(|failure| convert::error(&failure.error, failure.cause.as_ref()))
    })
}
