//! The API requests of `TokenClient.fetch`: the caller's request with the bearer token added,
//! and whether it may be sent a second time after a 401.

use alloc::string::String;
use js_sys::{ArrayBuffer, Function, Object, Promise};
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, Blob, Headers, Request, UrlSearchParams};

use super::platform::{fetch, get, set};
use crate::core::join;

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

#[wasm_bindgen]
extern "C" {
    /// `Headers`, for a `set` whose value is the JS string it is (web-sys's takes a `&str`,
    /// made anew from UTF-8 on each call).
    #[wasm_bindgen(js_name = Headers)]
    type HeaderList;
    #[wasm_bindgen(method, catch)]
    fn set(this: &HeaderList, name: &str, value: &JsValue) -> Result<(), JsValue>;

    /// A promise, for a `then` with a JS function (js-sys's takes a Rust closure).
    #[cfg(feature = "server")]
    type Thenable;
    #[cfg(feature = "server")]
    #[wasm_bindgen(method)]
    fn then(this: &Thenable, on_fulfilled: &Function) -> Promise;
}

/// `promise.then(on_fulfilled)`.
#[cfg(feature = "server")]
pub fn then(promise: &Promise, on_fulfilled: &Function) -> Promise {
    promise.unchecked_ref::<Thenable>().then(on_fulfilled)
}

/// What `fetch(input, init)` takes for `name` (`headers`, `signal`): `init`'s where it names
/// one, else a `Request`'s own.
fn request_member(input: &JsValue, init: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    let given = get(init, name)?;
    if given.is_undefined() && input.is_instance_of::<Request>() {
        return get(input, name);
    }
    Ok(given)
}

/// `fetch(input, init)` (the caller's `fetch` where the client has one) with
/// `Authorization: <header>` added to the headers it would send: its promise.
pub fn authorised_request(
    custom: Option<&Function>,
    input: &JsValue,
    init: &JsValue,
    header: &JsValue,
) -> Result<Promise, JsValue> {
    let given = request_member(input, init, "headers")?;
    let headers = if given.is_undefined() {
        Headers::new()?
    } else {
        Headers::new_with_headers(given.unchecked_ref())?
    };
    headers
        .unchecked_ref::<HeaderList>()
        .set("Authorization", header)?;
    let with_token = Object::new();
    if init.is_object() {
        Object::assign(&with_token, init.unchecked_ref());
    }
    set(&with_token, "headers", headers);
    fetch(custom, input, &with_token)
}

/// Whether the API's `answer` to `fetch(input, init)` calls for the one replay: a 401, and a
/// request that can be sent again.
pub fn needs_replay(answer: &JsValue, input: &JsValue, init: &JsValue) -> Result<bool, JsValue> {
    Ok(get(answer, "status")?.as_f64() == Some(401.0) && replayable(input, init))
}

/// The signal that aborts `fetch(input, init)`: `init.signal` where `init` names one (`null`
/// for none), else a `Request`'s own.
pub fn request_signal(input: &JsValue, init: &JsValue) -> Option<AbortSignal> {
    let signal = request_member(input, init, "signal").unwrap_or_default();
    // Anything else than a signal makes the `fetch` itself reject.
    signal.is_object().then(|| signal.unchecked_into())
}

/// `"Bearer <accessToken>"` of an `AccessToken`.
pub fn bearer(token: &JsValue) -> String {
    let token = get(token, "accessToken").ok().and_then(|t| t.as_string());
    join(&["Bearer ", &token.unwrap_or_default()])
}
