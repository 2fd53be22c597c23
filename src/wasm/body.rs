//! The parsed JSON body as the core reads it: only the members it names, each to the depth it
//! looks, read straight from the JS object (no walk over the rest, however large or deep).

use alloc::vec::Vec;
use js_sys::{Array, Object, JSON};
use wasm_bindgen::prelude::*;

use crate::core::{Loose, ResponseBody, FIELD_DEPTH, MEMBER_NAMES};

#[wasm_bindgen(module = "/src/wasm/glue.js")]
extern "C" {
    /// The members of `raw` named in `names`, in their order (glue.js).
    fn members(raw: &JsValue, names: &str) -> Array;
}

fn loose(value: &JsValue, depth: u8) -> Loose {
    if let Some(text) = value.as_string() {
        Loose::Str(text)
    } else if let Some(number) = value.as_f64() {
        Loose::Num(number)
    } else if let Some(flag) = value.as_bool() {
        Loose::Bool(flag)
    } else if Array::is_array(value) {
        let items = value.unchecked_ref::<Array>();
        Loose::Array(match depth {
            0 => Vec::new(),
            // By index, as the entries below: one `get` binding for both, and no iterator type.
            _ => (0..items.length())
                .map(|at| loose(&items.get(at), depth - 1))
                .collect(),
        })
    } else if value.is_object() {
        Loose::Object(match depth {
            0 => Vec::new(),
            _ => {
                let entries = Object::entries(value.unchecked_ref());
                (0..entries.length())
                    .map(|at| {
                        let entry = entries.get(at).unchecked_into::<Array>();
                        let key = entry.get(0).as_string().unwrap_or_default();
                        (key, loose(&entry.get(1), depth - 1))
                    })
                    .collect()
            }
        })
    } else {
        Loose::Null
    }
}

/// The body as `JSON.parse` gives it, and the members the core reads where it is a JSON
/// object (not an array, not a scalar).
pub fn parse(text: &str) -> (JsValue, Option<ResponseBody>) {
    // Only an object can be a token or an error body, and a text that does not start like one
    // need not be parsed: each exception caught through wasm-bindgen 0.2.130 grows linear
    // memory (measured: about 40 B a call, up to some 2 MiB), and "Gateway Timeout" or an HTML
    // page would otherwise throw on every call.
    if !text.trim_start().starts_with('{') {
        return (JsValue::UNDEFINED, None);
    }
    let Ok(raw) = JSON::parse(text) else {
        return (JsValue::UNDEFINED, None);
    };
    if !raw.is_object() || Array::is_array(&raw) {
        return (raw, None);
    }
    // Every member read in one call: `undefined` for each of the many that a body lacks.
    let values = members(&raw, MEMBER_NAMES);
    let body = ResponseBody::from_members(|index| {
        let value = values.get(index as u32);
        (!value.is_undefined()).then(|| loose(&value, FIELD_DEPTH))
    });
    (raw, Some(body))
}
