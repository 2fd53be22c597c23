//! The API requests of `TokenClient.fetch`: the caller's request with the bearer token added,
//! and whether it may be sent a second time after a 401.

use alloc::string::String;
use js_sys::{ArrayBuffer, Function, Promise};
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, Blob, Request, UrlSearchParams};

use super::platform::get;
use crate::core::{join, TOKEN_REJECTED};

/// Whether `fetch(input, init)` can be sent again after a 401: no body, or one of the kinds
/// that a second `fetch` reads afresh (string, `URLSearchParams`, `Blob`, `ArrayBuffer` and
/// views of one). A `Request` with a body and a stream can't be.
fn replayable(input: &JsValue, init: &JsValue) -> bool {
    let request_body = get(input, "body").unwrap_or_default();
    if input.is_instance_of::<Request>() && !request_body.is_null() {
        return false;
    }
    let body = get(init, "body").unwrap_or_default();
    body.is_undefined()
        || body.is_null()
        || body.is_string()
        || body.is_instance_of::<UrlSearchParams>()
        || body.is_instance_of::<Blob>()
        || body.is_instance_of::<ArrayBuffer>()
        || ArrayBuffer::is_view(&body)
}

#[wasm_bindgen(module = "/src/wasm/glue.js")]
extern "C" {
    /// `fetch(input, init)` with `Authorization: header` added, in one call (glue.js); with
    /// `on_rejected`, an answer of status `rejected` goes to `on_rejected(input, init, header,
    /// answer)`.
    #[wasm_bindgen(catch, js_name = authorisedFetch)]
    fn authorised_fetch(
        custom: Option<&Function>,
        input: &JsValue,
        init: &JsValue,
        header: &JsValue,
        rejected: u16,
        on_rejected: Option<&Function>,
    ) -> Result<Promise, JsValue>;
}

/// `fetch(input, init)` (the caller's `fetch` where the client has one) with
/// `Authorization: <header>` added to the headers it would send (`init`'s where it names
/// some, else a `Request`'s own): its promise.
pub fn authorised_request(
    custom: Option<&Function>,
    input: &JsValue,
    init: &JsValue,
    header: &JsValue,
) -> Result<Promise, JsValue> {
    authorised_fetch(custom, input, init, header, 0, None)
}

/// [`authorised_request`] without a future: an answer that turns the header's token down
/// ([`TOKEN_REJECTED`]) is handed to `on_rejected(input, init, header, answer)`, every other
/// answer is the promise's.
#[cfg(feature = "server")]
pub fn authorised_request_then(
    custom: Option<&Function>,
    input: &JsValue,
    init: &JsValue,
    header: &JsValue,
    on_rejected: &Function,
) -> Result<Promise, JsValue> {
    authorised_fetch(
        custom,
        input,
        init,
        header,
        TOKEN_REJECTED,
        Some(on_rejected),
    )
}

/// Whether the API's `answer` to `fetch(input, init)` calls for the one replay: a 401, and a
/// request that can be sent again.
pub fn needs_replay(answer: &JsValue, input: &JsValue, init: &JsValue) -> Result<bool, JsValue> {
    let status = get(answer, "status")?.as_f64();
    Ok(status == Some(f64::from(TOKEN_REJECTED)) && replayable(input, init))
}

/// The signal that aborts `fetch(input, init)`: `init.signal` where `init` names one (`null`
/// for none), else a `Request`'s own.
pub fn request_signal(input: &JsValue, init: &JsValue) -> Option<AbortSignal> {
    let mut signal = get(init, "signal").unwrap_or_default();
    if signal.is_undefined() && input.is_instance_of::<Request>() {
        signal = get(input, "signal").unwrap_or_default();
    }
    // Anything else than a signal makes the `fetch` itself reject.
    signal.is_object().then(|| signal.unchecked_into())
}

/// `"Bearer <accessToken>"` of an `AccessToken`.
pub fn bearer(token: &JsValue) -> String {
    let token = get(token, "accessToken").ok().and_then(|t| t.as_string());
    join(&["Bearer ", &token.unwrap_or_default()])
}
