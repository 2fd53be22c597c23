//! Bindings to the JS globals every runtime has (`fetch`, `setTimeout`), and property helpers.
//!
//! The globals are bound directly, not through `window`, so the same module runs in Node,
//! Deno, Bun, workers and browsers.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

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
