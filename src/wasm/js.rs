//! Reading and writing properties of JS objects.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

/// `target[key] = value` on an object this module made: that cannot fail.
pub fn set(target: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(target, &JsValue::from_str(key), &value.into());
}

/// `target[key]`, or `Err` where reading it threw (a getter or a proxy). `undefined` for a
/// target that is not an object, without asking JS: `Reflect.get` would throw, and a thrown
/// error costs tens of microseconds (it captures a stack).
pub fn get(target: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    if !target.is_object() && !target.is_function() {
        return Ok(JsValue::UNDEFINED);
    }
    Reflect::get(target, &JsValue::from_str(key))
}
