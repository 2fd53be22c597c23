//! The store side of `TokenClient`: reading and writing the shared token, every call bounded
//! in time, and, with a store that has `lock`, the lock and the server's wait that make one
//! fetch and one rate-limit wait for every process that shares it. When to do which is the
//! core's `Refresh`; the keys and lifetimes are its `fleet` module's.

use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::prelude::*;

use super::api_fetch::bearer;
use super::args::Args;
use super::platform::{call_method, get, set, settler, wait, Timer};
use crate::core::join;
use crate::core::{
    lock_ttl_ms, store_key, store_timeout_ms, Error, Event, StoreKind, LOCK_SUFFIX, WAIT_SUFFIX,
};

#[wasm_bindgen(typescript_custom_section)]
const TOKEN_STORE: &str = r#"
/** The server's rate-limit wait, as a store with `lock` shares it (under the key + ":wait"). */
export interface SharedWait {
  /** When requests may be sent again, ms since the epoch. */
  retryAt: number;
}

/** A release function, or `null` when another holder has the lock. */
export type TokenStoreLock = (() => void | Promise<void>) | null;

/** Where a {@link TokenClient} keeps its token, to share it between clients. Sync or async. */
export interface TokenStore {
  get(key: string): AccessToken | null | undefined | Promise<AccessToken | null | undefined>;
  /** `ttlMs` is positive and no more than the time the token has left. */
  set(key: string, token: AccessToken, ttlMs: number): void | Promise<void>;
  delete(key: string): void | Promise<void>;
}

/**
 * A store shared by many processes (e.g. Redis): a {@link TokenStore} with `lock`. The client
 * that gets the lock fetches and the others wait for its token in the store (polling with
 * backoff, for as long as a live holder has the lock); the server's wait after a failure is
 * shared too, as a {@link SharedWait} under the key + `":wait"`.
 */
export interface SharedTokenStore {
  get(key: string): AccessToken | SharedWait | null | undefined | Promise<AccessToken | SharedWait | null | undefined>;
  /** `ttlMs` is positive and no more than the time the token (or the wait) has left. */
  set(key: string, value: AccessToken | SharedWait, ttlMs: number): void | Promise<void>;
  delete(key: string): void | Promise<void>;
  /** Takes the lock `key` for `ttlMs` if no one holds it. */
  lock(key: string, ttlMs: number): TokenStoreLock | Promise<TokenStoreLock>;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `console.warn`.
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn console_warn(message: &str);
}

/// `console.warn` of what went wrong, with the JS error's message (never a secret: the
/// errors warned about are a store's).
fn warn(what: &str, error: &JsValue) {
    let detail = get(error, "message")
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_default();
    console_warn(&join(&["sehatmu-auth: ", what, ": ", &detail]));
}

/// `value` awaited, whether it is a promise or not, or `Err(late)` once `ms` have passed
/// without an answer: a store that hangs must not hang the client.
async fn within(value: &JsValue, ms: f64, late: &JsValue) -> Result<JsValue, JsValue> {
    let answer = Promise::resolve(value);
    let (deadline, reject) = settler(late, true);
    let timer = Timer::start(&reject, ms, &JsValue::UNDEFINED, true);
    let result = wait(Promise::race(&Array::of2(&answer, &deadline))).await;
    drop(timer);
    result
}

/// A `TokenClient`'s store, its keys and limits. Each method is one step of the core's
/// `Refresh`, and answers with the event that step came to; a store that throws or does not
/// answer in time is warned about on `console.warn`, and the client goes on without it.
pub struct Store {
    target: JsValue,
    kind: StoreKind,
    key: JsValue,
    lock_key: JsValue,
    wait_key: JsValue,
    lock_ttl_ms: u64,
    timeout_ms: f64,
}

impl Store {
    /// The `store` option, checked: `None` where absent.
    ///
    /// # Errors
    /// `invalid_argument` for a store without `get`, `set` and `delete` methods.
    pub fn read(
        target: JsValue,
        args: &Args,
        client_id: &str,
        retries: u32,
    ) -> Result<Option<Store>, Error> {
        if target.is_undefined() {
            return Ok(None);
        }
        let has = |method| get(&target, method).is_ok_and(|f| f.is_function());
        if !(has("get") && has("set") && has("delete")) {
            return Err(Error::invalid_argument(
                "store",
                "an object with get, set and delete methods",
            ));
        }
        let key = store_key(&args.request.url, client_id);
        let suffixed = |suffix: &str| JsValue::from(join(&[&key, suffix]));
        Ok(Some(Store {
            kind: if has("lock") {
                StoreKind::Shared
            } else {
                StoreKind::Plain
            },
            lock_key: suffixed(LOCK_SUFFIX),
            wait_key: suffixed(WAIT_SUFFIX),
            key: key.into(),
            lock_ttl_ms: lock_ttl_ms(args.timeout_ms, retries),
            timeout_ms: store_timeout_ms(args.timeout_ms),
            target,
        }))
    }

    /// What the store can do.
    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    /// How long the fetching client holds the lock.
    pub fn lock_ttl_ms(&self) -> u64 {
        self.lock_ttl_ms
    }

    /// What a call of the store's code gave (its value, a promise, or what it threw),
    /// awaited for at most the store's time limit.
    async fn answer(&self, called: Result<JsValue, JsValue>) -> Result<JsValue, JsValue> {
        let late = js_sys::Error::new("the token store did not answer in time");
        within(&called?, self.timeout_ms, &late.into()).await
    }

    /// `store.method(...args)`, answered within the store's time limit; a failure is warned
    /// about with `what`.
    async fn call(&self, method: &str, args: &[&JsValue], what: &str) -> Option<JsValue> {
        match self.answer(call_method(&self.target, method, args)).await {
            Ok(answer) => Some(answer),
            Err(error) => {
                warn(what, &error);
                None
            }
        }
    }

    /// The token entry, and the event it makes: [`Event::Stored`] with its fields (and
    /// whether it is the bearer `current`), or [`Event::StoreFailed`].
    pub async fn read_token(&self, current: Option<&str>) -> (JsValue, Event) {
        let what = "the token store's get failed; fetching a token instead";
        let Some(entry) = self.call("get", &[&self.key], what).await else {
            return (JsValue::UNDEFINED, Event::StoreFailed);
        };
        let event = Event::Stored {
            access_token: get(&entry, "accessToken").ok().and_then(|t| t.as_string()),
            expires_at_ms: get(&entry, "expiresAt").ok().and_then(|e| e.as_f64()),
            current: current.is_some_and(|bearer_now| bearer(&entry) == bearer_now),
        };
        (entry, event)
    }

    /// The server's wait another process was told: [`Event::Wait`].
    pub async fn read_wait(&self) -> Event {
        let what = "the token store's get of the rate-limit wait failed";
        let wait = self.call("get", &[&self.wait_key], what).await;
        Event::Wait {
            retry_at_ms: wait.and_then(|w| get(&w, "retryAt").ok()?.as_f64()),
        }
    }

    /// Tries to take the lock: its release function where it was taken, and
    /// [`Event::Locked`] (or [`Event::StoreFailed`]).
    pub async fn lock(&self) -> (Option<Function>, Event) {
        let what = "the token store's lock failed; fetching without it";
        let ttl = JsValue::from(self.lock_ttl_ms as f64);
        match self.call("lock", &[&self.lock_key, &ttl], what).await {
            None => (None, Event::StoreFailed),
            Some(release) => match release.dyn_into::<Function>() {
                Ok(release) => (Some(release), Event::Locked(true)),
                Err(_) => (None, Event::Locked(false)),
            },
        }
    }

    /// Puts a token that just arrived in the store for `ttl_ms`.
    pub async fn write_token(&self, token: &JsValue, ttl_ms: u64) {
        let what = "the token store's set failed; the token is cached in memory only";
        let ttl = JsValue::from(ttl_ms as f64);
        self.call("set", &[&self.key, token, &ttl], what).await;
    }

    /// Tells the other processes of the server's wait.
    pub async fn write_wait(&self, retry_at_ms: i64, ttl_ms: u64) {
        let what = "the token store's set of the rate-limit wait failed";
        let wait = Object::new();
        set(&wait, "retryAt", retry_at_ms as f64);
        let ttl = JsValue::from(ttl_ms as f64);
        self.call("set", &[&self.wait_key, &wait, &ttl], what).await;
    }

    /// Calls the lock's release function.
    pub async fn release(&self, release: Option<Function>) {
        let Some(release) = release else {
            return;
        };
        if let Err(error) = self.answer(release.call0(&JsValue::UNDEFINED)).await {
            warn(
                "releasing the token store's lock failed; it expires by itself",
                &error,
            );
        }
    }

    /// `store.delete(key)`, for `clear()`: its failure is the caller's.
    pub async fn delete(&self) -> Result<JsValue, JsValue> {
        self.answer(call_method(&self.target, "delete", &[&self.key]))
            .await
    }
}
