//! `getToken(clientId, clientSecret, options?)`: one request to the token endpoint, no cache.

use js_sys::Date;
use wasm_bindgen::prelude::*;

use super::args;
use super::convert;
use super::exchange::{fetch_token, Failure};

async fn run(
    client_id: &JsValue,
    client_secret: &JsValue,
    options: &JsValue,
) -> Result<JsValue, Failure> {
    let args = args::read(client_id, client_secret, options)?;
    let signal = args::signal(options)?;
    let fetched = fetch_token(&args, signal.as_ref(), &|| Date::now() as i64).await?;
    Ok(convert::token(&fetched.token, &fetched.raw))
}

/// One request to the SehatMu token endpoint (no cache): POST with the client credentials
/// form-encoded in the body. Resolves to the {@link AccessToken}; every failure rejects with a
/// {@link SehatmuError}, bad arguments with `invalid_argument` before any network I/O. Never
/// throws synchronously.
#[wasm_bindgen(js_name = getToken, unchecked_return_type = "AccessToken")]
pub async fn get_token(
    #[wasm_bindgen(js_name = clientId, unchecked_param_type = "string")] client_id: JsValue,
    #[wasm_bindgen(js_name = clientSecret, unchecked_param_type = "string")] client_secret: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "GetTokenOptions | null")] options: Option<
        JsValue,
    >,
) -> Result<JsValue, JsValue> {
    let options = options.unwrap_or(JsValue::UNDEFINED);
    run(&client_id, &client_secret, &options)
        .await
        .map_err(|failure| convert::error(&failure.error, failure.cause.as_ref()))
}
