//! `getToken(clientId, clientSecret, options?)`: one request to the token endpoint, no cache.

use js_sys::{Date, Promise};
use wasm_bindgen::prelude::*;

use super::args;
#[cfg(feature = "server")]
use super::channels;
use super::convert;
use super::exchange::{fetch_token, Failure};
use super::platform::promise;

async fn run(
    client_id: &JsValue,
    client_secret: &JsValue,
    options: &JsValue,
) -> Result<JsValue, Failure> {
    let (args, signal) = args::read(client_id, client_secret, options, false)?;
    let signal = args::signal_of(signal)?;
    if let Some(refusal) = args.browser_refusal() {
        return Err(refusal.into());
    }
    let request = fetch_token(&args, signal.as_ref(), &|| Date::now() as i64, true);
    // One try: getToken never retries.
    #[cfg(feature = "server")]
    let request = channels::token_request(&args, 1, request);
    let fetched = request.await?;
    Ok(convert::token(&fetched.token, &fetched.raw))
}

/// One request to the SehatMu token endpoint (no cache): POST with the client credentials
/// form-encoded in the body. Resolves to the {@link AccessToken}; every failure rejects with a
/// {@link SehatmuError}, bad arguments with `invalid_argument` before any network I/O. Never
/// throws synchronously.
//
// Its promise is the Rust future's, a task of the crate's one executor (`promise`): an
// `async fn` export would bring wasm-bindgen-futures' executor along with its own glue.
#[wasm_bindgen(js_name = getToken, unchecked_return_type = "Promise<AccessToken>")]
pub fn get_token(
    #[wasm_bindgen(js_name = clientId, unchecked_param_type = "string")] client_id: JsValue,
    #[wasm_bindgen(js_name = clientSecret, unchecked_param_type = "string")] client_secret: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "GetTokenOptions | null")] options: JsValue,
) -> Promise {
    promise(async move {
        run(&client_id, &client_secret, &options)
            .await
            .map_err(|failure| convert::error(&failure.error, failure.cause.as_ref()))
    })
}
