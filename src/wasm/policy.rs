//! `Policy`: the decisions of a `TokenClient` (the core's [`Cache`] and retry rules) over
//! its checked options. The `TokenClient` in `js/` holds one and does the I/O it decides on:
//! the fetch, the timers, the store.

use alloc::string::String;

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;

use super::args::{self, Args};
use super::call::Call;
use super::convert;
use super::js::{get, set};
use crate::core::{
    lock_ttl_ms, policy, poll_delay_ms, retry_delay_ms, store_key, Cache, Error, ErrorCode, Plan,
    LOCK_SUFFIX, STORE_TIMEOUT_MS, WAIT_SUFFIX,
};

/// A `TokenClient`'s options, checked, and what it knows of its token and the server's wait.
#[wasm_bindgen]
pub struct Policy {
    args: Args,
    refresh_skew_ms: i64,
    retries: u32,
    store: Option<JsValue>,
    clock: Option<Function>,
    shared: bool,
    key: String,
    cache: Cache,
}

impl Policy {
    fn from_options(options: &JsValue) -> Result<Policy, Error> {
        if !options.is_object() {
            return Err(Error::invalid_argument("options", "an object"));
        }
        let read = |name: &'static str| {
            get(options, name).map_err(|_| Error::invalid_argument(name, "readable"))
        };
        let client_id = read("clientId")?;
        let args = args::read(&client_id, &read("clientSecret")?, options)?;
        let number = |value: JsValue| (!value.is_undefined()).then(|| value.as_f64());
        let (refresh_skew_ms, retries) =
            policy(number(read("refreshSkewMs")?), number(read("retries")?))?;
        let store = Some(read("store")?).filter(|s| !s.is_undefined());
        let has = |store: &JsValue, method| get(store, method).is_ok_and(|f| f.is_function());
        if let Some(store) = &store {
            if !(has(store, "get") && has(store, "set") && has(store, "delete")) {
                return Err(Error::invalid_argument(
                    "store",
                    "an object with get, set and delete methods",
                ));
            }
        }
        let clock = match read("now")? {
            now if now.is_undefined() => None,
            now => Some(now.dyn_into::<Function>().map_err(|_| {
                Error::invalid_argument("now", "a function returning ms since the epoch")
            })?),
        };
        let key = store_key(
            &args.request.url,
            &client_id.as_string().unwrap_or_default(),
        );
        Ok(Policy {
            shared: store.as_ref().is_some_and(|s| has(s, "lock")),
            key,
            args,
            refresh_skew_ms,
            retries,
            store,
            clock,
            cache: Cache::default(),
        })
    }
}

#[wasm_bindgen]
impl Policy {
    /// Checks a `TokenClient`'s options; throws a `SehatmuError` (`invalid_argument`) where
    /// one is wrong.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Policy, JsValue> {
        Self::from_options(&options).map_err(|error| convert::error(&error, None))
    }

    /// The token request to send.
    pub fn call(&self) -> Call {
        Call::from_args(self.args.clone())
    }

    /// The settings the I/O needs, read once: `{ store, clock, shared, key, lockKey,
    /// waitKey, lockTtlMs, storeTimeoutMs, refreshSkewMs }`. `store` and `clock` are the
    /// options as given (or `undefined`); `shared` says whether the store has `lock` (then one
    /// process of many fetches, and the server's wait is shared through the store); the keys
    /// come from the token URL and the client id, never the secret; `storeTimeoutMs` is how
    /// long a store call may take before the client goes on without it.
    #[wasm_bindgen(getter)]
    pub fn settings(&self) -> JsValue {
        let out = Object::new();
        set(&out, "store", self.store.clone());
        set(&out, "clock", self.clock.clone());
        set(&out, "shared", self.shared);
        set(&out, "key", self.key.as_str());
        set(&out, "lockKey", [&self.key, LOCK_SUFFIX].concat());
        set(&out, "waitKey", [&self.key, WAIT_SUFFIX].concat());
        set(
            &out,
            "lockTtlMs",
            lock_ttl_ms(self.args.timeout_ms, self.retries) as f64,
        );
        let store_timeout_ms = self
            .args
            .timeout_ms
            .map_or(STORE_TIMEOUT_MS, |ms| ms.min(STORE_TIMEOUT_MS));
        set(&out, "storeTimeoutMs", store_timeout_ms);
        set(&out, "refreshSkewMs", self.refresh_skew_ms as f64);
        out.into()
    }

    /// Whether the cached token serves a call at `now` (`true`) or a fetch is due (`false`);
    /// throws the local `rate_limited` while the server's wait runs.
    pub fn cached(&self, now: f64, force: bool) -> Result<bool, JsValue> {
        match self.cache.plan(now as i64, force, self.refresh_skew_ms) {
            Plan::UseCached => Ok(true),
            Plan::Fetch => Ok(false),
            Plan::Blocked { retry_after_ms } => Err(convert::error(
                &Error::rate_limited_locally(retry_after_ms),
                None,
            )),
        }
    }

    /// A token usable until `until` (local clock) is cached.
    #[wasm_bindgen(js_name = storeUntil)]
    pub fn store_until(&mut self, until: f64) {
        self.cache.store(until as i64);
    }

    /// The cached token is dropped.
    pub fn clear(&mut self) {
        self.cache.clear();
    }

    /// Try number `failures` (1 first) failed at `now` with an error of `code`: the wait it
    /// imposes is recorded; returns the delay before the next try, or `undefined` for none.
    pub fn fail(
        &mut self,
        code: &str,
        retry_after_ms: Option<f64>,
        now: f64,
        failures: u32,
        random: f64,
    ) -> Option<f64> {
        let code = ErrorCode::from_name(code)?;
        let retry_after_ms = retry_after_ms.map(|ms| ms as u64);
        self.cache.fail(code, retry_after_ms, now as i64);
        retry_delay_ms(failures, self.retries, code, retry_after_ms, random).map(|ms| ms as f64)
    }

    /// Another process was told to wait until `until`: this client waits too.
    #[wasm_bindgen(js_name = blockUntil)]
    pub fn block_until(&mut self, until: f64) {
        self.cache.block_until(until as i64);
    }

    /// The end of the server's wait where one runs at `now`: to share it.
    #[wasm_bindgen(js_name = blockedUntil)]
    pub fn blocked_until(&self, now: f64) -> Option<f64> {
        self.cache.blocked_until(now as i64).map(|u| u as f64)
    }

    /// How long a store may keep the token: positive and no more than it has left.
    pub fn ttl(&self, now: f64) -> Option<f64> {
        self.cache.ttl_ms(now as i64).map(|ms| ms as f64)
    }

    /// The pause before look number `polls` at the store while another process holds the
    /// lock (`random` in `[0, 1)`).
    #[wasm_bindgen(js_name = pollDelay)]
    pub fn poll_delay(&self, polls: u32, random: f64) -> f64 {
        poll_delay_ms(polls, random) as f64
    }

    /// The `timeout` error of a wait of `waited` ms for another process's token.
    #[wasm_bindgen(js_name = lockTimeout)]
    pub fn lock_timeout(&self, waited: f64) -> JsValue {
        convert::error(&Error::lock_wait_timeout(waited as u64), None)
    }
}
