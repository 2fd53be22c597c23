//! The proxy's rules for `js/proxy.js` (server build only): `InternalProxyRoutes`, the core's
//! [`ProxyRoutes`] made from `createProxy`'s options, and `internalProxyLists`, the header
//! lists. Internal: `sehatmu-auth/proxy` is the API, and no declaration is written for these.

use alloc::string::String;
use alloc::vec::Vec;

use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::args;
use super::convert;
use crate::core::{
    proxy_body_limit, ProxyRoutes, Upstream, DECODED_BY_FETCH, DROPPED_RESPONSE_HEADERS,
    DROPPED_RESPONSE_PREFIX, NULL_BODY_STATUSES, PROXY_REQUEST_HEADERS,
};

/// One proxy's routes and body limit, from its checked options.
#[wasm_bindgen(js_name = InternalProxyRoutes, skip_typescript)]
pub struct InternalProxyRoutes {
    routes: ProxyRoutes,
    max_body_bytes: f64,
}

/// A JS value that is `undefined` as `None`, else `Some` of what `read` makes of it.
fn given<T>(value: &JsValue, read: impl FnOnce(&JsValue) -> T) -> Option<T> {
    (!value.is_undefined()).then(|| read(value))
}

#[wasm_bindgen(js_class = InternalProxyRoutes)]
impl InternalProxyRoutes {
    /// `createProxy`'s `prefix`, `paths`, `upstream` and `maxBodyBytes` as given, and the
    /// client's `baseUrl` (the default upstream): throws the `invalid_argument` SehatmuError
    /// that names the first one at fault.
    #[wasm_bindgen(constructor)]
    pub fn new(
        prefix: &JsValue,
        paths: &JsValue,
        upstream: &JsValue,
        base_url: &JsValue,
        max_body_bytes: &JsValue,
    ) -> Result<InternalProxyRoutes, JsValue> {
        let prefix = given(prefix, JsValue::as_string);
        let paths: Option<Option<Vec<Option<String>>>> = given(paths, |value| {
            Array::is_array(value).then(|| {
                Array::from(value)
                    .iter()
                    .map(|path| path.as_string())
                    .collect()
            })
        });
        // `upstream ?? client.baseUrl`, and only a missing `upstream` blames the client.
        let (value, unknown) = if upstream.is_undefined() || upstream.is_null() {
            (
                base_url,
                upstream.is_undefined() && base_url.as_string().is_none(),
            )
        } else {
            (upstream, false)
        };
        let raw = value.as_string().unwrap_or_default();
        let url = value.as_string().and_then(|text| args::url_parts(&text));
        let upstream = if unknown {
            Upstream::Unknown
        } else {
            Upstream::Given {
                raw: &raw,
                url: url.as_ref(),
            }
        };
        let checked = ProxyRoutes::new(
            prefix.as_ref().map(Option::as_deref),
            paths.as_ref().map(Option::as_deref),
            upstream,
        )
        .and_then(|routes| {
            let max = proxy_body_limit(given(max_body_bytes, JsValue::as_f64))?;
            Ok(InternalProxyRoutes {
                routes,
                max_body_bytes: max,
            })
        });
        checked.map_err(|error| convert::error(&error, None))
    }

    /// The body limit, in bytes.
    #[wasm_bindgen(getter = maxBodyBytes)]
    pub fn max_body_bytes(&self) -> f64 {
        self.max_body_bytes
    }

    /// The upstream URL (a string) for a raw request-target, or the status (400 or 404) that
    /// refuses it.
    pub fn route(&self, target: &str) -> JsValue {
        match self.routes.route(target) {
            Ok(url) => url.into(),
            Err(status) => status.into(),
        }
    }
}

/// The proxy's lists, read once when `js/proxy.js` loads: the request headers that pass, the
/// response headers dropped, the prefix of those dropped too, the content codings `fetch`
/// decodes, the statuses with no body.
#[wasm_bindgen(js_name = internalProxyLists, skip_typescript)]
pub fn internal_proxy_lists() -> Array {
    let strings = |list: &[&str]| {
        list.iter()
            .map(|&s| JsValue::from_str(s))
            .collect::<Array>()
    };
    [
        strings(&PROXY_REQUEST_HEADERS),
        strings(&DROPPED_RESPONSE_HEADERS),
        strings(&[DROPPED_RESPONSE_PREFIX]),
        strings(&DECODED_BY_FETCH),
        NULL_BODY_STATUSES
            .iter()
            .map(|&s| JsValue::from(s))
            .collect(),
    ]
    .into_iter()
    .collect()
}
