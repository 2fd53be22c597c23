//! The parsed JSON body as the core reads it: only the members it names, each to the depth it
//! looks, read straight from the JS object (no walk over the rest, however large or deep).

use alloc::vec::Vec;
use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use crate::core::{Loose, ResponseBody, FIELD_DEPTH, MEMBER_NAMES};

use super::platform::Members;

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

/// The members the core reads of a JSON object body, from what glue.js's `members` gave for
/// [`MEMBER_NAMES`] (`undefined` where the body is no JSON object): only the members the body
/// has cross over, one by one.
pub fn response_body(members: JsValue) -> Option<ResponseBody> {
    let read = Members::of(members, MEMBER_NAMES)?;
    Some(ResponseBody::from_members(|index| {
        let index = index as u32;
        let value = (read.present & (1 << index) != 0).then(|| read.get(index).ok());
        value.flatten().map(|value| loose(&value, FIELD_DEPTH))
    }))
}
