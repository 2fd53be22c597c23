//! Bindings to the JS globals every runtime has (`fetch`, `setTimeout`), and property helpers.
//!
//! The globals are bound directly, not through `window`, so the same module runs in Node,
//! Deno, Bun, workers and browsers.

use alloc::boxed::Box;
use core::future::Future;
use core::pin::Pin;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch(url, init)`.
    #[wasm_bindgen(catch, js_name = fetch)]
    pub fn fetch(url: &str, init: &web_sys::RequestInit) -> Result<js_sys::Promise, JsValue>;

    /// The global `setTimeout`: its handle is a number in browsers and an object in Node.
    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout(handler: &js_sys::Function, ms: f64) -> JsValue;

    /// The global `clearTimeout`.
    #[wasm_bindgen(js_name = clearTimeout)]
    pub fn clear_timeout(handle: &JsValue);
}

/// `target[key] = value` on an object this module made: that cannot fail.
pub fn set(target: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(target, &JsValue::from_str(key), &value.into());
}

/// `target[key]`, or `Err` where reading it threw (a getter or a proxy). `undefined` for a
/// target that is not an object, without asking JS: `Reflect.get` would throw, and a thrown
/// error costs tens of microseconds (it captures a stack), which `getToken()` on a warm cache
/// would pay twice per call.
pub fn get(target: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    if !target.is_object() && !target.is_function() {
        return Ok(JsValue::UNDEFINED);
    }
    Reflect::get(target, &JsValue::from_str(key))
}

/// `future_to_promise` through one boxed type: each distinct future type would otherwise get
/// its own copy of the executor's glue in the `.wasm`.
pub fn promise(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let boxed: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>> = Box::pin(future);
    wasm_bindgen_futures::future_to_promise(boxed)
}

/// Calls the method `method` of a JS object: `store.get` and friends.
pub fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let function: Function = get(target, method)?.dyn_into()?;
    function.apply(target, &args.iter().copied().collect::<Array>())
}

/// `Promise.resolve(value)` awaited, a sync or async answer alike, or `Err` once `ms` have
/// passed without one: a store that hangs must not hang the client.
pub async fn settle(value: Result<JsValue, JsValue>, ms: f64) -> Result<JsValue, JsValue> {
    let answer = Promise::resolve(&value?);
    let late = js_sys::Error::new("the token store did not answer in time");
    let mut timer = JsValue::UNDEFINED;
    let deadline = Promise::new(&mut |_, reject| {
        let fire: Function = reject.bind1(&JsValue::NULL, &late).unchecked_into();
        timer = set_timeout(&fire, ms);
    });
    let result = JsFuture::from(Promise::race(&Array::of2(&answer, &deadline))).await;
    clear_timeout(&timer);
    result
}

/// `console.warn` of what went wrong, with the JS error's message.
pub fn warn(what: &str, error: &JsValue) {
    let detail = get(error, "message")
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_default();
    web_sys::console::warn_1(&["sehatmu-auth: ", what, ": ", &detail].concat().into());
}

/// A timer's wait.
pub async fn sleep(ms: u64) {
    let timer = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms as f64);
    });
    let _ = JsFuture::from(timer).await;
}
