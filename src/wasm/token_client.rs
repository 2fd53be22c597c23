//! `TokenClient`: the token that the rest of the SehatMu API needs, cached, refreshed before it
//! expires, fetched once for any number of concurrent callers, retried after transient
//! failures, and never requested while the server's wait after a failure runs. Every decision
//! is the core's ([`Cache`] for each call, `Refresh` for each refresh, whose loop is
//! `refresh.rs`); this file holds the JS state and the exports.

use alloc::rc::Rc;
use core::cell::RefCell;

use js_sys::{Array, Date, Function, Promise};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

#[cfg(feature = "server")]
use super::api_fetch::authorised_request_then;
use super::api_fetch::{authorised_request, bearer, needs_replay, request_signal};
use super::args::{self, Args};
#[cfg(feature = "server")]
use super::channels;
use super::convert;
use super::events::Listeners;
use super::exchange::{aborted, has_aborted, Failure, OnAbort};
use super::platform::{call_method, get, promise, settler, wait};
use super::store::Store;
#[cfg(feature = "server")]
use super::warm::Warm;
use crate::core::{client_settings, Cache, ClientSettings, Error, Need, Plan};

#[wasm_bindgen(typescript_custom_section)]
const TOKEN_CLIENT_OPTIONS: &str = r#"
/** Options of a {@link TokenClient}: a signal is each call's own, never the client's. */
export interface TokenClientOptions extends RequestOptions {
  clientId: string;
  /**
   * The secret, or (on servers: Node, Deno, Bun, Workers) a function that gives it, called for
   * each token request and never cached: a secret rotated in a vault is sent from the next
   * token request on. A throw, or anything but a non-empty string, is `invalid_argument` for
   * `clientSecret`, and nothing is sent.
   */
  clientSecret: string | (() => string | Promise<string>);
  /** A token with less than this left is refreshed (or with less than half its lifetime, where that is shorter). Default 60000. */
  refreshSkewMs?: number;
  /** Extra tries after `network_error`, `timeout` or `server_error` (never after a 4xx), 0 to 10. Default 2. */
  retries?: number;
  /** Default: in memory, per client. The key is derived from the base URL and the client id, never the secret. */
  store?: TokenStore | SharedTokenStore;
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

/** Options of one {@link TokenClient.authorizationHeader} call. */
export interface AuthorizationHeaderOptions {
  /**
   * The `Authorization` value of a request that the API answered 401 to: the header to send it
   * again with comes back. Sent with the client's token, that token is dropped and one fresh
   * token is fetched for every request it failed; sent with one the client has replaced since,
   * the newer one comes at once. Send it again once: a second 401 is the caller's.
   */
  rejected?: string;
  /** Ends this caller's wait with `aborted`; never the request that other callers share. */
  signal?: AbortSignal | null;
}
"#;

/// The cached token, in the forms its callers take it.
struct Held {
    /// The `AccessToken`.
    token: JsValue,
    /// A promise resolved with it: a warm `getToken()` returns this one.
    resolved: Promise,
    /// `"Bearer <accessToken>"`, made once for every API call it is sent with.
    header: JsValue,
}

/// What a client knows, changed only between awaits (never borrowed across one).
#[derive(Default)]
struct State {
    cache: Cache,
    token: Option<Held>,
    /// The one refresh that every concurrent caller awaits.
    flight: Option<Promise>,
}

/// A client's options and state, shared by its promises.
pub(super) struct Client {
    pub(super) args: Args,
    pub(super) settings: ClientSettings,
    pub(super) store: Option<Store>,
    clock: Option<Function>,
    /// The guard's refusal to send the secret from this browser: every call rejects with it
    /// (the constructor does not throw for it).
    browser_refusal: Option<Error>,
    pub(super) listeners: Listeners,
    /// The listeners of the `TokenClients` this client is a tenant of, and its client id,
    /// which they get in each event's `detail`.
    #[cfg(feature = "server")]
    tenancy: Option<(Rc<Listeners>, JsValue)>,
    state: RefCell<State>,
    /// What `fetch` does with an answer that turns down the warm token a request was sent with
    /// (its header).
    #[cfg(feature = "server")]
    on_rejected: core::cell::OnceCell<Function>,
    /// The answers of a warm call, for the glue to give without a call into the module.
    #[cfg(feature = "server")]
    warm: Warm,
}

impl Client {
    /// A client with `options` for these credentials (a `TokenClient`'s own, or a tenant's of
    /// `TokenClients`).
    ///
    /// # Errors
    /// `invalid_argument`, naming the first option at fault.
    pub(super) fn new(
        options: &JsValue,
        client_id: &JsValue,
        client_secret: &JsValue,
        #[cfg(feature = "server")] tenancy: Option<(Rc<Listeners>, JsValue)>,
    ) -> Result<Rc<Client>, Error> {
        let read = |name| args::option(options, name);
        let (args, signal) = args::read(client_id, client_secret, options, true)?;
        if !signal.is_undefined() {
            return Err(Error::invalid_argument(
                "signal",
                "given to each call (getToken({ signal })), not to the TokenClient",
            ));
        }
        let number = |value: JsValue| (!value.is_undefined()).then(|| value.as_f64());
        let settings = client_settings(number(read("refreshSkewMs")?), number(read("retries")?))?;
        let store = Store::read(
            read("store")?,
            &args,
            &client_id.as_string().unwrap_or_default(),
            settings.retries,
        )?;
        let clock = match read("now")? {
            now if now.is_undefined() => None,
            now => Some(now.dyn_into::<Function>().map_err(|_| {
                Error::invalid_argument("now", "a function returning ms since the epoch")
            })?),
        };
        Ok(Rc::new(Client {
            browser_refusal: args.browser_refusal(),
            listeners: Listeners::default(),
            #[cfg(feature = "server")]
            tenancy,
            args,
            settings,
            store,
            clock,
            state: RefCell::default(),
            #[cfg(feature = "server")]
            on_rejected: core::cell::OnceCell::new(),
            #[cfg(feature = "server")]
            warm: Warm::default(),
        }))
    }

    /// Fires an event to this client's listeners and, with `clientId` added to its `detail`,
    /// to those of the `TokenClients` it is a tenant of.
    #[inline(always)]
    pub(super) fn fire(&self, kind: &str, members: &[(&str, &JsValue)]) {
        self.listeners.fire(kind, members);
        #[cfg(feature = "server")]
        if let Some((listeners, client_id)) = &self.tenancy {
            let mut with_id = alloc::vec::Vec::with_capacity(members.len() + 1);
            with_id.extend_from_slice(members);
            with_id.push(("clientId", client_id));
            listeners.fire(kind, &with_id);
        }
    }

    /// Whether a token request of this client is under way (a client of `TokenClients` is not
    /// let go then).
    #[cfg(feature = "server")]
    pub(super) fn is_refreshing(&self) -> bool {
        self.state.borrow().flight.is_some()
    }

    /// The caller's clock (`now`), or `Date.now` where it has none or it fails.
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

    /// The cached token, if there is one.
    pub(super) fn token(&self) -> Option<JsValue> {
        self.state
            .borrow()
            .token
            .as_ref()
            .map(|held| held.token.clone())
    }

    /// The cache, for a refresh to update between its steps (never across an await).
    pub(super) fn cache(&self) -> core::cell::RefMut<'_, Cache> {
        #[cfg(feature = "server")]
        self.warm.forget();
        core::cell::RefMut::map(self.state.borrow_mut(), |state| &mut state.cache)
    }

    /// `token` is the client's token now (the cache already says until when).
    pub(super) fn keep(&self, token: &JsValue) {
        #[cfg(feature = "server")]
        self.warm.forget();
        self.state.borrow_mut().token = Some(Held {
            token: token.clone(),
            resolved: Promise::resolve(token),
            header: bearer(token).into(),
        });
    }

    /// The cached token's header, where a call may use it now (starting a refresh ahead
    /// where one is due): the warm path of `fetch` and `authorizationHeader()`, which awaits
    /// nothing.
    fn warm(self: &Rc<Self>) -> Option<JsValue> {
        if self.browser_refusal.is_some() {
            return None;
        }
        let Ok((_, false)) = self.token_or_flight(Need::Fresh) else {
            return None;
        };
        #[cfg(feature = "server")]
        channels::cached(&self.args, "memory");
        let state = self.state.borrow();
        Some(state.token.as_ref()?.header.clone())
    }

    /// The cached token's promise, or the shared refresh's (and `true`), decided without
    /// awaiting anything: a warm cache costs one call into the module.
    fn token_or_flight(self: &Rc<Self>, need: Need) -> Result<(Promise, bool), Error> {
        let now = self.now();
        let ahead = {
            let state = self.state.borrow();
            let plan = state
                .cache
                .plan(now, need == Need::New, self.settings.refresh_skew_ms);
            match (plan, &state.token) {
                (Plan::UseCached, Some(held)) => {
                    #[cfg(feature = "server")]
                    if self.clock.is_none() {
                        let skew = self.settings.refresh_skew_ms;
                        let custom = self.args.fetch.as_ref();
                        let (promise, header) = (&held.resolved, &held.header);
                        let on_rejected = self.on_rejected();
                        self.warm
                            .share(&state.cache, skew, promise, header, custom, on_rejected);
                    }
                    return Ok((held.resolved.clone(), false));
                }
                (Plan::RefreshAhead, Some(held)) => {
                    if state.flight.is_some() {
                        return Ok((held.resolved.clone(), false));
                    }
                    Some((held.token.clone(), held.resolved.clone()))
                }
                (Plan::Blocked { retry_after_ms }, _) => {
                    return Err(Error::rate_limited_locally(retry_after_ms))
                }
                _ => {
                    if let Some(flight) = &state.flight {
                        return Ok((flight.clone(), true));
                    }
                    None
                }
            }
        };
        let background = ahead.is_some();
        let client = Rc::clone(self);
        let flight = promise(async move {
            let result = Rc::clone(&client).refresh(need, background).await;
            client.state.borrow_mut().flight = None;
            result
        });
        self.state.borrow_mut().flight = Some(flight.clone());
        let Some((token, resolved)) = ahead else {
            return Ok((flight, true));
        };
        // No caller awaits a refresh ahead: its failure is handled here, and the next call
        // tries again. The handler is a settler's function (it settles a promise no one
        // holds): a JS function that makes no closure, where `Boolean` would have to be
        // found through `js_sys::global()` and its search for the global object (280 B of the
        // `.wasm`, unzipped).
        let (_, handler) = settler(&JsValue::UNDEFINED, false);
        let _ = call_method(&flight, "catch", &[&handler]);
        let expires_at = get(&token, "expiresAt").unwrap_or_default();
        self.fire("refresh", &[("expiresAt", &expires_at)]);
        Ok((resolved, false))
    }

    /// The token's promise for one caller: a `signal` ends only this caller's wait for a
    /// refresh, with `aborted(signal)` (at once where it has aborted already).
    fn get_token(
        self: &Rc<Self>,
        need: Need,
        signal: Option<AbortSignal>,
        aborted: fn(&AbortSignal) -> JsValue,
    ) -> Promise {
        if let Some(refusal) = &self.browser_refusal {
            return Promise::reject(&convert::error(refusal, None));
        }
        let answer = self.token_or_flight(need);
        #[cfg(feature = "server")]
        self.published(&answer);
        let (shared, pending) = match answer {
            Ok(shared) => shared,
            Err(error) => return Promise::reject(&convert::error(&error, None)),
        };
        match signal {
            Some(signal) if pending || has_aborted(&signal) => {
                promise(until_aborted(shared, signal, aborted))
            }
            _ => shared,
        }
    }

    /// Publishes what [`Client::token_or_flight`] answered a call with, on the channels that
    /// take it: the cached token (`token-cached`), or the rate-limit wait's refusal (`refused`).
    #[cfg(feature = "server")]
    #[inline(always)]
    fn published(&self, answer: &Result<(Promise, bool), Error>) {
        match answer {
            Ok((_, false)) => channels::cached(&self.args, "memory"),
            Ok((_, true)) => {}
            Err(error) => channels::refused(&self.args, error.retry_after_ms.unwrap_or(0)),
        }
    }

    /// `getToken(options)`, its options read here.
    pub(super) fn get_token_call(self: &Rc<Self>, options: Option<js_sys::Object>) -> Promise {
        // No options, the common call: the glue tells, and the cached token's is a call into
        // the module, the clock's read and nothing else.
        let parsed = match options {
            None => Ok((false, None)),
            Some(options) => call_options(&options, "forceRefresh")
                .map(|(force, signal)| (force.is_truthy(), signal)),
        };
        match parsed {
            Ok((force, signal)) => {
                let need = if force { Need::New } else { Need::Fresh };
                self.get_token(need, signal, aborted_error)
            }
            Err(error) => Promise::reject(&error),
        }
    }

    /// `fetch(input, init)`: see [`TokenClient::fetch`].
    pub(super) fn fetch(self: &Rc<Self>, input: JsValue, init: JsValue) -> Promise {
        let client = Rc::clone(self);
        let custom = client.args.fetch.as_ref();
        let warm = client.warm();
        // On servers, where API calls are many, a request with a warm token is sent now and its
        // answer handed on without a future.
        #[cfg(feature = "server")]
        if let Some(header) = &warm {
            let on_rejected = client.on_rejected();
            let sent = authorised_request_then(custom, &input, &init, header, on_rejected);
            return sent.unwrap_or_else(|error| Promise::reject(&error));
        }
        // With a warm token the request is sent now, before the future's first turn.
        let warm = warm.map(|header| {
            let sent = authorised_request(custom, &input, &init, &header);
            (header, sent)
        });
        promise(async move {
            let (header, sent) = match warm {
                Some(warm) => warm,
                None => {
                    let signal = request_signal(&input, &init);
                    let token = client.current(Need::Fresh, signal).await?;
                    let header = bearer(&token).into();
                    let custom = client.args.fetch.as_ref();
                    let sent = authorised_request(custom, &input, &init, &header);
                    (header, sent)
                }
            };
            let answer = wait(sent?).await?;
            if !needs_replay(&answer, &input, &init)? {
                return Ok(answer);
            }
            client.replay(input, init, &header).await
        })
    }

    /// The token, for `fetch()` with its request's signal, which ends the wait as it ends a
    /// `fetch`: with its reason.
    async fn current(
        self: &Rc<Self>,
        need: Need,
        signal: Option<AbortSignal>,
    ) -> Result<JsValue, JsValue> {
        wait(self.get_token(need, signal, AbortSignal::reason)).await
    }

    /// The one replay of `fetch(input, init)` after the API answered 401 to it, sent with
    /// `header`.
    async fn replay(
        self: &Rc<Self>,
        input: JsValue,
        init: JsValue,
        header: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let signal = request_signal(&input, &init);
        let token = self.current(self.rejected(header), signal).await?;
        let header = bearer(&token).into();
        let sent = authorised_request(self.args.fetch.as_ref(), &input, &init, &header)?;
        wait(sent).await
    }

    /// The handler of the answers that turn down the warm token a request was sent with,
    /// `(input, init, header, answer)`: the answer, or the promise of its replay. One per client,
    /// made on its first use and owned by JavaScript, so that a request still running when its
    /// client is collected gets its answer; it holds the client weakly, as the client holds it.
    #[cfg(feature = "server")]
    fn on_rejected(self: &Rc<Self>) -> &Function {
        self.on_rejected.get_or_init(|| {
            let client = Rc::downgrade(self);
            let handler = Closure::<dyn Fn(_, _, _, _) -> JsValue>::new(
                move |input: JsValue, init: JsValue, header: JsValue, answer: JsValue| {
                    let replay = needs_replay(&answer, &input, &init).unwrap_or(false);
                    match client.upgrade() {
                        Some(client) if replay => {
                            promise(async move { client.replay(input, init, &header).await }).into()
                        }
                        _ => answer,
                    }
                },
            );
            handler.into_js_value().unchecked_into()
        })
    }

    /// The API answered 401 to a request sent with `Authorization: header`: what its replay
    /// needs (the core's rule: each token is refreshed once, however many requests it failed).
    /// A header that is not the held token's (or not a header) was the token of a request the
    /// client has replaced since, or none of the client's: the token any call would get.
    fn rejected(&self, header: &JsValue) -> Need {
        #[cfg(feature = "server")]
        self.warm.forget();
        let mut state = self.state.borrow_mut();
        let current = state
            .token
            .as_ref()
            .is_some_and(|held| held.header == *header);
        state.cache.rejected(current)
    }

    /// `authorizationHeader(options)`: the warm token's header at once where there are no
    /// options, else the promise of the header of the token the options call for, their
    /// `signal` ending this caller's wait as it ends `getToken`'s.
    fn header_call(self: &Rc<Self>, options: Option<js_sys::Object>) -> Promise {
        let (need, signal) = match options {
            None => match self.warm() {
                Some(header) => return Promise::resolve(&header),
                None => (Need::Fresh, None),
            },
            Some(options) => match call_options(&options, "rejected") {
                Ok((sent, signal)) => (self.rejected(&sent), signal),
                Err(error) => return Promise::reject(&error),
            },
        };
        let token = self.get_token(need, signal, aborted_error);
        promise(async move { Ok(bearer(&wait(token).await?).into()) })
    }
}

/// The options of one call, `getToken`'s or `authorizationHeader`'s: `name`'s and `signal`;
/// else the `invalid_argument` to reject with.
fn call_options(
    options: &JsValue,
    name: &'static str,
) -> Result<(JsValue, Option<AbortSignal>), JsValue> {
    let read = || Ok((args::option(options, name)?, args::signal(options)?));
    read().map_err(|error: Error| convert::error(&error, None))
}

/// `getToken`'s error when its signal aborts: `aborted`, with the signal's reason as `cause`.
fn aborted_error(signal: &AbortSignal) -> JsValue {
    let Failure { error, cause } = aborted(signal);
    convert::error(&error, cause.as_ref())
}

/// `shared`'s outcome, or `Err(aborted(signal))` as soon as `signal` aborts; the listener is
/// removed either way. The listener rejects a promise with a marker that tells its rejection
/// from `shared`'s: no Rust closure is made.
async fn until_aborted(
    shared: Promise,
    signal: AbortSignal,
    aborted: fn(&AbortSignal) -> JsValue,
) -> Result<JsValue, JsValue> {
    if has_aborted(&signal) {
        return Err(aborted(&signal));
    }
    let marker = JsValue::from(js_sys::Object::new());
    let (on_abort, listener) = settler(&marker, true);
    let Ok(listening) = OnAbort::listen(&signal, listener) else {
        return wait(shared).await;
    };
    let result = wait(Promise::race(&Array::of2(&shared, &on_abort))).await;
    drop(listening);
    match result {
        Err(reason) if reason == marker => Err(aborted(&signal)),
        other => other,
    }
}

/// The token that the rest of the SehatMu API needs: cached, refreshed before it expires,
/// fetched once for any number of concurrent callers, with bounded retries (exponential
/// backoff, full jitter) for transient failures, and never requested while the server's wait
/// after `invalid_credentials` or `rate_limited` runs (calls then reject at once with
/// `rate_limited`).
#[wasm_bindgen]
pub struct TokenClient {
    client: Rc<Client>,
}

#[wasm_bindgen]
impl TokenClient {
    /// Checks the options; throws a {@link SehatmuError} (`invalid_argument`) where one is
    /// wrong (the web entry rejects the first call instead).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "TokenClientOptions")] options: JsValue,
    ) -> Result<TokenClient, JsValue> {
        Self::from_options(&options).map_err(|error| convert::error(&error, None))
    }

    /// The cached token while more than `refreshSkewMs` is left; else one shared refresh.
    /// Rejects at once with `rate_limited` while a server-imposed wait runs.
    #[wasm_bindgen(js_name = getToken, unchecked_return_type = "Promise<AccessToken>")]
    pub fn get_token(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "TokenCallOptions | null")] options: Option<
            js_sys::Object,
        >,
    ) -> Promise {
        self.client.get_token_call(options)
    }

    /// `"Bearer <accessToken>"`, for an `Authorization` header. With `{ rejected }`, the
    /// header of a request that the API answered 401 to: the header to send it again with
    /// (the one replay of {@link TokenClient.fetch}, for other HTTP clients).
    #[wasm_bindgen(js_name = authorizationHeader, unchecked_return_type = "Promise<string>")]
    pub fn authorization_header(
        &self,
        // An imported type, not a `JsValue`: the glue tells a missing argument, so a call
        // without options still costs one crossing.
        #[wasm_bindgen(unchecked_optional_param_type = "AuthorizationHeaderOptions | null")]
        options: Option<js_sys::Object>,
    ) -> Promise {
        self.client.header_call(options)
    }

    /// The platform's `fetch` (or the client's own `fetch` option) with the token added; a
    /// 401 from the API gets one retry (replayable bodies only), with a newer token where the
    /// client has one and else with one fresh token that every request the old one failed
    /// shares. The request's signal (`init.signal`, or a `Request`'s own) also ends its wait
    /// for a token, with the signal's reason.
    #[wasm_bindgen(unchecked_return_type = "Promise<Response>")]
    pub fn fetch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RequestInfo | URL")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestInit")] init: JsValue,
    ) -> Promise {
        self.client.fetch(input, init)
    }

    /// The warm memo that the server glue's `getToken()`, `authorizationHeader()` and `fetch()`
    /// answer from (src/wasm/warm.rs): not part of the API.
    #[cfg(feature = "server")]
    #[wasm_bindgen(getter = __memo, skip_typescript)]
    pub fn memo(&self) -> JsValue {
        self.client.warm.memo()
    }

    /// Forgets the cached token, in the store too.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn clear(&self) -> Promise {
        let client = Rc::clone(&self.client);
        promise(async move {
            {
                #[cfg(feature = "server")]
                client.warm.forget();
                let mut state = client.state.borrow_mut();
                state.cache.clear();
                state.token = None;
            }
            if let Some(store) = &client.store {
                store.delete().await?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Calls `listener` for each event of `type` (see `TokenClientEventMap`).
    #[wasm_bindgen(js_name = addEventListener, skip_typescript)]
    pub fn add_event_listener(&self, kind: JsValue, listener: JsValue) {
        self.client.listeners.change(true, kind, listener);
    }

    /// Stops calling `listener` for `type`.
    #[wasm_bindgen(js_name = removeEventListener, skip_typescript)]
    pub fn remove_event_listener(&self, kind: JsValue, listener: JsValue) {
        self.client.listeners.change(false, kind, listener);
    }

    /// The base URL the tokens come from (the default host where none was given), without a
    /// trailing slash: where a proxy in front of the API forwards to by default.
    //
    // A JS string made here, not a returned `String`: wasm-bindgen would shrink that into a
    // boxed slice, whose panic path brings `core::fmt` into the `.wasm`.
    #[wasm_bindgen(getter, js_name = baseUrl, unchecked_return_type = "string")]
    pub fn base_url(&self) -> JsValue {
        JsValue::from_str(&self.client.args.request.base_url())
    }
}

impl TokenClient {
    fn from_options(options: &JsValue) -> Result<TokenClient, Error> {
        if !options.is_object() {
            return Err(Error::invalid_argument("options", "an object"));
        }
        let read = |name| args::option(options, name);
        let client = Client::new(
            options,
            &read("clientId")?,
            &read("clientSecret")?,
            #[cfg(feature = "server")]
            None,
        )?;
        Ok(TokenClient::from(client))
    }
}

impl From<Rc<Client>> for TokenClient {
    fn from(client: Rc<Client>) -> Self {
        Self { client }
    }
}
