//! `TokenClient`: the token that the rest of the SehatMu API needs, cached, refreshed before
//! it expires, fetched once for any number of concurrent callers, and never requested while
//! the server's wait after a failure runs. The decisions are the core's [`Cache`]; this file
//! holds the JS state and does the I/O.

use alloc::rc::Rc;
use alloc::string::String;
use core::cell::{Cell, RefCell};

use js_sys::{Array, Date, Function, Math, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use super::api_fetch::{authorised_fetch, bearer, replayable};
use super::args::{self, Args};
use super::convert;
use super::fetch::Failure;
use super::get_token::fetch_token;
use super::js::{call, get, promise, settle, sleep};
use crate::core::{
    lock_ttl_ms, policy, retry_delay_ms, store_key, Cache, Error, Plan, STORE_TIMEOUT_MS,
};

/// A client's state, shared by its promises (`Rc`): the store side is in `store.rs`.
pub(super) struct Inner {
    pub(super) args: Args,
    pub(super) refresh_skew_ms: i64,
    pub(super) retries: u32,
    pub(super) store: Option<JsValue>,
    /// Whether the store has `lock`: then one process of many fetches, and the server's wait
    /// is shared through the store.
    pub(super) shared: bool,
    pub(super) lock_ttl_ms: u64,
    /// How long a store call may take before the client goes on without it.
    pub(super) store_timeout_ms: f64,
    pub(super) key: String,
    pub(super) clock: Option<Function>,
    pub(super) cache: RefCell<Cache>,
    pub(super) token: RefCell<Option<JsValue>>,
    /// The server's clock minus ours, from the last response: judges tokens from a store.
    pub(super) offset_ms: Cell<i64>,
    pub(super) flight: RefCell<Option<Promise>>,
}

impl Inner {
    pub(super) fn now(&self) -> i64 {
        let Some(clock) = &self.clock else {
            return Date::now() as i64;
        };
        clock
            .call0(&JsValue::UNDEFINED)
            .ok()
            .and_then(|v| v.as_f64())
            .filter(|ms| ms.is_finite())
            .map_or_else(|| Date::now() as i64, |ms| ms as i64)
    }

    /// The one refresh that every concurrent caller awaits.
    async fn refresh(&self, force: bool) -> Result<JsValue, JsValue> {
        if !force {
            if let Some(found) = self.stored_token().await {
                return Ok(self.adopt(found).await);
            }
        }
        if self.shared {
            self.refresh_under_lock(force).await
        } else {
            self.fetch_with_retries().await
        }
    }

    /// Fetches, retrying transient failures; a server-imposed wait is recorded (and shared).
    pub(super) async fn fetch_with_retries(&self) -> Result<JsValue, JsValue> {
        let mut failures = 0;
        loop {
            match fetch_token(&self.args, &|| self.now()).await {
                Ok(fetched) => {
                    let token = convert::token(&fetched.token, &fetched.raw);
                    let server_received = fetched.token.expires_at_ms - fetched.token.lifetime_ms;
                    self.offset_ms.set(server_received - fetched.received_at_ms);
                    let usable_until = fetched.received_at_ms + fetched.token.lifetime_ms;
                    self.remember(token.clone(), usable_until, true).await;
                    return Ok(token);
                }
                Err(Failure { error, cause }) => {
                    let now = self.now();
                    self.cache.borrow_mut().fail(&error, now);
                    failures += 1;
                    match retry_delay_ms(failures, self.retries, &error, Math::random()) {
                        Some(delay) => sleep(delay).await,
                        None => {
                            self.share_wait().await;
                            return Err(convert::error(&error, cause.as_ref()));
                        }
                    }
                }
            }
        }
    }

    /// The cached token, or the shared refresh.
    fn token_or_flight(self: &Rc<Self>, force: bool) -> Result<Promise, Error> {
        // The clock is the caller's code: read it before borrowing, so no call of it can
        // find a borrow held.
        let now = self.now();
        let plan = self.cache.borrow().plan(now, force, self.refresh_skew_ms);
        match plan {
            Plan::UseCached => {
                if let Some(token) = self.token.borrow().as_ref() {
                    return Ok(Promise::resolve(token));
                }
            }
            Plan::Blocked { retry_after_ms } => {
                return Err(Error::rate_limited_locally(retry_after_ms))
            }
            Plan::Fetch => {}
        }
        if let Some(flight) = self.flight.borrow().as_ref() {
            return Ok(flight.clone());
        }
        let inner = Rc::clone(self);
        let flight = promise(async move {
            let result = inner.refresh(force).await;
            inner.flight.replace(None);
            result
        });
        self.flight.replace(Some(flight.clone()));
        Ok(flight)
    }

    /// The token's promise for a caller: the cached token or the shared refresh, decided
    /// without awaiting anything (a warm cache costs one resolved promise); a `signal` ends
    /// only this caller's wait.
    fn get_token(self: &Rc<Self>, force: bool, signal: Option<AbortSignal>) -> Promise {
        match self.token_or_flight(force) {
            Err(error) => Promise::reject(&convert::error(&error, None)),
            Ok(shared) => match signal {
                None => shared,
                Some(signal) => promise(until_aborted(shared, signal)),
            },
        }
    }
}

/// `shared`, or `aborted` as soon as `signal` aborts, whichever comes first; the listener is
/// removed either way.
async fn until_aborted(shared: Promise, signal: AbortSignal) -> Result<JsValue, JsValue> {
    let aborted = |signal: &AbortSignal| convert::error(&Error::aborted(), Some(&signal.reason()));
    if signal.aborted() {
        return Err(aborted(&signal));
    }
    let reject_slot: Rc<RefCell<Option<Function>>> = Rc::default();
    let slot = reject_slot.clone();
    let on_abort_promise = Promise::new(&mut |_, reject| {
        slot.replace(Some(reject));
    });
    let source = signal.clone();
    let on_abort = Closure::<dyn FnMut()>::new(move || {
        if let Some(reject) = reject_slot.borrow().as_ref() {
            let _ = reject.call1(&JsValue::UNDEFINED, &aborted(&source));
        }
    });
    let listener: &Function = on_abort.as_ref().unchecked_ref();
    let _ = signal.add_event_listener_with_callback("abort", listener);
    let race = Promise::race(&Array::of2(&shared, &on_abort_promise));
    let result = JsFuture::from(race).await;
    let _ = signal.remove_event_listener_with_callback("abort", listener);
    result
}

/// Caches, refreshes and shares one SehatMu access token. See `spec/api.md`.
#[wasm_bindgen]
pub struct TokenClient {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl TokenClient {
    /// Checks the options; throws a `SehatmuError` (`invalid_argument`) where one is wrong.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<TokenClient, JsValue> {
        Self::from_options(&options).map_err(|error| convert::error(&error, None))
    }

    /// The cached token while more than `refreshSkewMs` is left; else one shared refresh.
    /// Rejects at once with `rate_limited` while a server-imposed wait runs.
    #[wasm_bindgen(js_name = getToken)]
    pub fn get_token(&self, options: JsValue) -> Promise {
        let force = get(&options, "forceRefresh").is_ok_and(|f| f.is_truthy());
        let signal = get(&options, "signal")
            .ok()
            .filter(|s| s.is_object())
            .map(JsCast::unchecked_into);
        self.inner.get_token(force, signal)
    }

    /// `"Bearer <accessToken>"`, for an `Authorization` header.
    #[wasm_bindgen(js_name = authorizationHeader)]
    pub fn authorization_header(&self) -> Promise {
        let inner = Rc::clone(&self.inner);
        promise(async move {
            let token = JsFuture::from(inner.get_token(false, None)).await?;
            Ok(bearer(&token).into())
        })
    }

    /// The platform's `fetch` with the token added; on a 401 from the API it gets a fresh
    /// token and sends the request once more, where the body can be sent again.
    pub fn fetch(&self, input: JsValue, init: JsValue) -> Promise {
        let inner = Rc::clone(&self.inner);
        promise(async move {
            let token = JsFuture::from(inner.get_token(false, None)).await?;
            let response = authorised_fetch(&input, &init, &bearer(&token)).await?;
            if response.status() != 401 || !replayable(&input, &init) {
                return Ok(response.into());
            }
            inner.cache.borrow_mut().clear();
            let token = JsFuture::from(inner.get_token(true, None)).await?;
            Ok(authorised_fetch(&input, &init, &bearer(&token))
                .await?
                .into())
        })
    }

    /// Forgets the cached token, in the store too.
    pub fn clear(&self) -> Promise {
        let inner = Rc::clone(&self.inner);
        promise(async move {
            inner.cache.borrow_mut().clear();
            inner.token.replace(None);
            if let Some(store) = &inner.store {
                let key = inner.key.as_str().into();
                settle(call(store, "delete", &[&key]), inner.store_timeout_ms).await?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}

impl TokenClient {
    fn from_options(options: &JsValue) -> Result<TokenClient, Error> {
        if !options.is_object() {
            return Err(Error::invalid_argument("options", "an object"));
        }
        let read = |name: &'static str| {
            get(options, name).map_err(|_| Error::invalid_argument(name, "readable"))
        };
        let args = args::read(&read("clientId")?, &read("clientSecret")?, options)?;
        let number = |value: JsValue| (!value.is_undefined()).then(|| value.as_f64());
        let (refresh_skew_ms, retries) =
            policy(number(read("refreshSkewMs")?), number(read("retries")?))?;
        let store = Some(read("store")?).filter(|s| !s.is_undefined());
        let shared = store
            .as_ref()
            .is_some_and(|s| get(s, "lock").is_ok_and(|f| f.is_function()));
        if let Some(store) = &store {
            let has = |method| get(store, method).is_ok_and(|f| f.is_function());
            if !(has("get") && has("set") && has("delete")) {
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
        let client_id = read("clientId")?.as_string().unwrap_or_default();
        let token_url = args.request.url.clone();
        let lock_ttl_ms = lock_ttl_ms(args.timeout_ms, retries);
        let store_timeout_ms = args
            .timeout_ms
            .map_or(STORE_TIMEOUT_MS, |ms| ms.min(STORE_TIMEOUT_MS));
        Ok(TokenClient {
            inner: Rc::new(Inner {
                key: store_key(&token_url, &client_id),
                shared,
                lock_ttl_ms,
                store_timeout_ms,
                args,
                refresh_skew_ms,
                retries,
                store,
                clock,
                cache: RefCell::default(),
                token: RefCell::default(),
                offset_ms: Cell::new(0),
                flight: RefCell::default(),
            }),
        })
    }
}
