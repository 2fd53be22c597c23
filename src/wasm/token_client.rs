//! `TokenClient`: the token that the rest of the SehatMu API needs, cached, refreshed before
//! it expires, fetched once for any number of concurrent callers, and never requested while
//! the server's wait after a failure runs. The decisions are the core's [`Cache`]; this file
//! holds the JS state and does the I/O.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Date, Function, Math, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Blob, Headers, Request, Response, UrlSearchParams};

use super::args::{self, Args};
use super::convert;
use super::fetch::Failure;
use super::get_token::fetch_token;
use super::js::{get, promise, set, set_timeout};
use crate::core::{
    lock_ttl_ms, policy, poll_delay_ms, retry_delay_ms, store_key, Cache, Error, Plan, LOCK_SUFFIX,
    WAIT_SUFFIX,
};

/// A JS callback: `store.get` and friends, or the `now` clock.
fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let function: Function = get(target, method)?.dyn_into()?;
    function.apply(target, &args.iter().copied().collect::<Array>())
}

/// `Promise.resolve(value)` awaited: a sync or async store answer alike.
async fn settle(value: Result<JsValue, JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::resolve(&value?)).await
}

fn warn(what: &str, error: &JsValue) {
    let detail = get(error, "message")
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_default();
    web_sys::console::warn_1(&format!("sehatmu-auth: {what}: {detail}").into());
}

async fn sleep(ms: u64) {
    let timer = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms as f64);
    });
    let _ = JsFuture::from(timer).await;
}

struct Inner {
    args: Args,
    refresh_skew_ms: i64,
    retries: u32,
    store: Option<JsValue>,
    /// Whether the store has `lock`: then one process of many fetches, and the server's wait
    /// is shared through the store.
    shared: bool,
    lock_ttl_ms: u64,
    key: String,
    clock: Option<Function>,
    cache: RefCell<Cache>,
    token: RefCell<Option<JsValue>>,
    /// The server's clock minus ours, from the last response: judges tokens from a store.
    offset_ms: Cell<i64>,
    flight: RefCell<Option<Promise>>,
}

impl Inner {
    fn now(&self) -> i64 {
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

    /// A token that another process (or an earlier run) left in the store, if usable.
    async fn stored_token(&self) -> Option<(JsValue, i64)> {
        let store = self.store.as_ref()?;
        let entry = match settle(call(store, "get", &[&self.key.as_str().into()])).await {
            Ok(entry) => entry,
            Err(error) => {
                warn(
                    "the token store's get failed; fetching a token instead",
                    &error,
                );
                return None;
            }
        };
        let token = get(&entry, "accessToken").ok()?.as_string()?;
        let expires_at = get(&entry, "expiresAt").ok()?.as_f64()?;
        if token.is_empty() || !expires_at.is_finite() {
            return None;
        }
        let usable_until = (expires_at as i64).saturating_sub(self.offset_ms.get());
        let left = usable_until.saturating_sub(self.now());
        (left > self.refresh_skew_ms).then_some((entry, usable_until))
    }

    async fn remember(&self, token: JsValue, usable_until: i64, share: bool) {
        self.cache.borrow_mut().store(usable_until);
        self.token.replace(Some(token.clone()));
        let (Some(store), true) = (&self.store, share) else {
            return;
        };
        let now = self.now();
        let Some(ttl) = self.cache.borrow().ttl_ms(now) else {
            return;
        };
        let args = [&self.key.as_str().into(), &token, &(ttl as f64).into()];
        if let Err(error) = settle(call(store, "set", &args)).await {
            warn(
                "the token store's set failed; the token is cached in memory only",
                &error,
            );
        }
    }

    /// A token found in the store, taken into the memory cache.
    async fn adopt(&self, (token, usable_until): (JsValue, i64)) -> JsValue {
        self.remember(token.clone(), usable_until, false).await;
        token
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
    async fn fetch_with_retries(&self) -> Result<JsValue, JsValue> {
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

    fn suffixed(&self, suffix: &str) -> JsValue {
        format!("{}{suffix}", self.key).into()
    }

    /// Tells the other processes of the server's wait, where the store is shared.
    async fn share_wait(&self) {
        let now = self.now();
        let until = self.cache.borrow().blocked_until(now);
        let (Some(store), Some(until), true) = (&self.store, until, self.shared) else {
            return;
        };
        let wait = Object::new();
        set(&wait, "retryAt", until as f64);
        let ttl = JsValue::from((until - now) as f64);
        if let Err(error) = settle(call(
            store,
            "set",
            &[&self.suffixed(WAIT_SUFFIX), &wait, &ttl],
        ))
        .await
        {
            warn(
                "the token store's set of the rate-limit wait failed",
                &error,
            );
        }
    }

    /// The wait another process was told, if it still runs: it holds this client back too.
    async fn shared_wait(&self) -> Option<u64> {
        let store = self.store.as_ref()?;
        let wait = settle(call(store, "get", &[&self.suffixed(WAIT_SUFFIX)]))
            .await
            .ok()?;
        let until = get(&wait, "retryAt").ok()?.as_f64()? as i64;
        let now = self.now();
        self.cache.borrow_mut().block_until(until);
        u64::try_from(until.saturating_sub(now))
            .ok()
            .filter(|ms| *ms > 0)
    }

    /// One process of many fetches: the one that takes the store's lock. The others look in
    /// the store, with backoff, for the token it stores, and take the lock if it expires.
    async fn refresh_under_lock(&self, force: bool) -> Result<JsValue, JsValue> {
        let Some(store) = &self.store else {
            return self.fetch_with_retries().await;
        };
        let current = self.token.borrow().as_ref().map(bearer);
        let waited_from = self.now();
        let ttl = JsValue::from(self.lock_ttl_ms as f64);
        let mut polls = 0;
        loop {
            if let Some(wait) = self.shared_wait().await {
                return Err(convert::error(&Error::rate_limited_locally(wait), None));
            }
            match settle(call(store, "lock", &[&self.suffixed(LOCK_SUFFIX), &ttl])).await {
                Err(error) => {
                    warn("the token store's lock failed; fetching without it", &error);
                    return self.fetch_with_retries().await;
                }
                Ok(release) if release.is_function() => {
                    // Another process may have stored a token since this one looked.
                    let stored = if force {
                        None
                    } else {
                        self.stored_token().await
                    };
                    let result = match stored {
                        Some(found) => Ok(self.adopt(found).await),
                        None => self.fetch_with_retries().await,
                    };
                    let release: Function = release.unchecked_into();
                    if let Err(error) = settle(release.call0(&JsValue::UNDEFINED)).await {
                        warn(
                            "releasing the token store's lock failed; it expires by itself",
                            &error,
                        );
                    }
                    return result;
                }
                Ok(_) => {
                    if let Some(found) = self.stored_token().await {
                        // A forced refresh wants a token other than the one it has.
                        if !force || current.as_deref() != Some(bearer(&found.0).as_str()) {
                            return Ok(self.adopt(found).await);
                        }
                    }
                    let waited = self.now().saturating_sub(waited_from);
                    if waited > self.lock_ttl_ms as i64 {
                        return Err(convert::error(
                            &Error::lock_wait_timeout(waited as u64),
                            None,
                        ));
                    }
                    sleep(poll_delay_ms(polls, Math::random())).await;
                    polls += 1;
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

/// Whether `fetch(input, init)` can be sent again after a 401: no body, or one of the kinds
/// that a second `fetch` reads afresh (string, `URLSearchParams`, `Blob`, `ArrayBuffer` and
/// views of one). A `Request` with a body and a stream can't be.
fn replayable(input: &JsValue, init: &JsValue) -> bool {
    let request_body = get(input, "body").unwrap_or_default();
    if input.is_instance_of::<Request>() && !request_body.is_null() {
        return false;
    }
    let body = get(init, "body").unwrap_or_default();
    body.is_undefined()
        || body.is_null()
        || body.is_string()
        || body.is_instance_of::<UrlSearchParams>()
        || body.is_instance_of::<Blob>()
        || body.is_instance_of::<ArrayBuffer>()
        || ArrayBuffer::is_view(&body)
}

/// `fetch(input, init)` with `Authorization: <header>` added to the headers it would send.
async fn authorised_fetch(
    input: &JsValue,
    init: &JsValue,
    header: &str,
) -> Result<Response, JsValue> {
    let given = get(init, "headers").unwrap_or_default();
    let given = match input.dyn_ref::<Request>() {
        Some(request) if given.is_undefined() => request.headers().into(),
        _ => given,
    };
    let headers = if given.is_undefined() {
        Headers::new()?
    } else {
        Headers::new_with_headers(&given.unchecked_into())?
    };
    headers.set("Authorization", header)?;
    let init = Object::assign(
        &Object::new(),
        &if init.is_object() {
            init.clone().into()
        } else {
            Object::new()
        },
    );
    set(&init, "headers", headers);
    let global = js_sys::global();
    let response = call(&global, "fetch", &[input, &init])?;
    Ok(JsFuture::from(Promise::resolve(&response))
        .await?
        .unchecked_into())
}

fn bearer(token: &JsValue) -> String {
    let token = get(token, "accessToken").ok().and_then(|t| t.as_string());
    format!("Bearer {}", token.unwrap_or_default())
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
                settle(call(store, "delete", &[&inner.key.as_str().into()])).await?;
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
        Ok(TokenClient {
            inner: Rc::new(Inner {
                key: store_key(&token_url, &client_id),
                shared,
                lock_ttl_ms,
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
