//! The warm path of the server build: a `TokenClient` whose cached token is fresh answers
//! `getToken()`, `authorizationHeader()` and `fetch()` in its glue, without a call into the
//! module. Among an API call's other work a call into the module costs microseconds, not the
//! nanoseconds of a hot loop (measured on Node 24, a warm `authorizationHeader()` before each
//! plain `fetch`: +3.0 µs, where a `WeakMap` and `Date.now()` in JavaScript cost +1.2 µs).
//!
//! The decision stays the core's: when a call finds the token fresh, the client writes into
//! its memo (warm.js) the answers it gave and the instant [`Cache::fresh_until`] names, until
//! which the core answers every call the same; and it forgets them before anything changes the
//! cache. The glue only compares the clock with that instant (scripts/warm-path.mjs). A client
//! with its own clock (`now`) never fills the memo in.

use core::cell::Cell;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use crate::core::{Cache, TOKEN_REJECTED};

#[wasm_bindgen(module = "/src/wasm/warm.js")]
extern "C" {
    #[wasm_bindgen(js_name = warmMemo)]
    fn warm_memo() -> JsValue;

    #[allow(clippy::too_many_arguments)]
    fn remember(
        memo: &JsValue,
        until: f64,
        promise: Option<&Promise>,
        header: &JsValue,
        custom: Option<&Function>,
        rejected: u16,
        on_rejected: Option<&Function>,
    );
}

/// A client's warm memo, and the instant it holds (0 for none).
pub struct Warm {
    memo: JsValue,
    until: Cell<i64>,
}

impl Default for Warm {
    fn default() -> Self {
        Self {
            memo: warm_memo(),
            until: Cell::new(0),
        }
    }
}

impl Warm {
    /// The memo, for the glue to read.
    pub fn memo(&self) -> JsValue {
        self.memo.clone()
    }

    /// A call found the token fresh in `cache`: its answers (`promise`, `header`, and `fetch`'s
    /// `custom` fetch and `on_rejected` handler) hold until the core's `fresh_until`.
    pub fn share(
        &self,
        cache: &Cache,
        refresh_skew_ms: i64,
        promise: &Promise,
        header: &JsValue,
        custom: Option<&Function>,
        on_rejected: &Function,
    ) {
        let Some(until) = cache.fresh_until(refresh_skew_ms) else {
            return;
        };
        if self.until.replace(until) != until {
            let rejected = TOKEN_REJECTED;
            remember(
                &self.memo,
                until as f64,
                Some(promise),
                header,
                custom,
                rejected,
                Some(on_rejected),
            );
        }
    }

    /// Something is about to change the cache: the glue asks the module again from now on.
    pub fn forget(&self) {
        if self.until.replace(0) != 0 {
            remember(&self.memo, 0.0, None, &JsValue::UNDEFINED, None, 0, None);
        }
    }
}
