//! One refresh of a `TokenClient`'s token: the loop that takes each step the core's
//! [`Refresh`] decides (read the store, take the lock, fetch, back off, share, release) and
//! fires the lifecycle events they make.

use alloc::rc::Rc;

use js_sys::Math;
use wasm_bindgen::prelude::*;

use super::api_fetch::bearer;
#[cfg(feature = "server")]
use super::channels;
use super::convert;
use super::exchange::{fetch_token, Failure};
use super::platform::{get, sleep};
use super::store::Store;
use super::token_client::Client;
use crate::core::{outcome_error, Event, Need, Outcome, Refresh, RefreshSettings, Step};

impl Client {
    /// The one refresh that every concurrent caller awaits: the core's [`Refresh`] decides
    /// each step, and this loop takes it.
    ///
    /// A refresh in the `background` (ahead of expiry, while the old token serves) does not keep
    /// a Node process alive with its timers.
    pub(super) async fn refresh(
        self: Rc<Self>,
        need: Need,
        background: bool,
    ) -> Result<JsValue, JsValue> {
        let keep_alive = !background;
        let settings = RefreshSettings {
            refresh_skew_ms: self.settings.refresh_skew_ms,
            retries: self.settings.retries,
            store: self.store.as_ref().map(Store::kind),
            lock_ttl_ms: self.store.as_ref().map_or(0, Store::lock_ttl_ms),
        };
        let mut refresh = Refresh::new(settings, need, self.now());
        let current = self.token().as_ref().map(bearer);
        // What the outcome will be made of: the last token fetched or read, the last failure.
        let mut token = JsValue::UNDEFINED;
        let mut failure = None;
        let mut release = None;
        let mut event = Event::Begin;
        // What the `clientSecret` function threw, where it gave no secret.
        #[cfg(feature = "server")]
        let mut refusal_cause = None;
        #[cfg(not(feature = "server"))]
        let refusal_cause = None;
        loop {
            let now = self.now();
            let step = refresh.next(&mut self.cache(), now, event, Math::random());
            // A token taken in is served at once, not after the store write or the lock's
            // release still to come: a caller meanwhile must not get the token it replaces.
            if refresh.has_token() {
                self.keep(&token);
            }
            let store = self.store.as_ref();
            event = match (step, store) {
                (Step::Fetch, _) => {
                    #[cfg(feature = "server")]
                    let current = match self.args.with_current_secret().await {
                        Ok(args) => args,
                        Err(thrown) => {
                            refusal_cause = thrown;
                            event = Event::SecretRefused;
                            continue;
                        }
                    };
                    #[cfg(feature = "server")]
                    let args = &*current;
                    #[cfg(not(feature = "server"))]
                    let args = &self.args;
                    #[cfg(feature = "server")]
                    let fetched = {
                        let now = || self.now();
                        let request = fetch_token(args, None, &now, keep_alive);
                        channels::token_request(args, refresh.failures() + 1, request).await
                    };
                    #[cfg(not(feature = "server"))]
                    let fetched = fetch_token(args, None, &|| self.now(), keep_alive).await;
                    match fetched {
                        Ok(fetched) => {
                            token = convert::token(&fetched.token, &fetched.raw);
                            Event::Fetched {
                                expires_at_ms: fetched.token.expires_at_ms,
                                lifetime_ms: fetched.token.lifetime_ms,
                                received_at_ms: fetched.received_at_ms,
                            }
                        }
                        Err(failed) => {
                            let event = Event::FetchFailed {
                                code: failed.error.code,
                                retry_after_ms: failed.error.retry_after_ms,
                            };
                            failure = Some(failed);
                            event
                        }
                    }
                }
                (Step::Sleep { ms }, _) => {
                    sleep(ms, keep_alive).await;
                    Event::Done
                }
                (Step::Backoff { ms }, _) => {
                    if let Some(failed) = &failure {
                        let attempt = JsValue::from(refresh.failures());
                        let delay = JsValue::from(ms as f64);
                        let code = JsValue::from(failed.error.code.as_str());
                        let detail = [("attempt", &attempt), ("delayMs", &delay), ("code", &code)];
                        self.fire("retry", &detail);
                        #[cfg(feature = "server")]
                        channels::retry(
                            &self.args,
                            refresh.failures(),
                            ms,
                            failed.error.code.as_str(),
                        );
                    }
                    sleep(ms, keep_alive).await;
                    Event::Done
                }
                (Step::ReadStore, Some(store)) => {
                    let (entry, event) = store.read_token(current.as_deref()).await;
                    token = entry;
                    event
                }
                (Step::ReadWait, Some(store)) => store.read_wait().await,
                (Step::Lock { .. }, Some(store)) => {
                    let (taken, event) = store.lock().await;
                    release = taken;
                    event
                }
                (Step::WriteToken { ttl_ms }, Some(store)) => {
                    store.write_token(&token, ttl_ms).await;
                    Event::Done
                }
                (
                    Step::WriteWait {
                        retry_at_ms,
                        ttl_ms,
                    },
                    Some(store),
                ) => {
                    store.write_wait(retry_at_ms, ttl_ms).await;
                    Event::Done
                }
                (Step::Release, Some(store)) => {
                    store.release(release.take()).await;
                    Event::Done
                }
                (Step::Finish(outcome @ (Outcome::Fetched | Outcome::Stored)), _) => {
                    self.keep(&token);
                    let source = if outcome == Outcome::Fetched {
                        "network"
                    } else {
                        "store"
                    };
                    let source = JsValue::from(source);
                    let expires_at = get(&token, "expiresAt").unwrap_or_default();
                    let detail = [("source", &source), ("expiresAt", &expires_at)];
                    self.fire("token", &detail);
                    #[cfg(feature = "server")]
                    if outcome == Outcome::Stored {
                        channels::cached(&self.args, "store");
                    }
                    return Ok(token);
                }
                (Step::Finish(outcome), _) => {
                    #[cfg(feature = "server")]
                    if let Outcome::RateLimited { retry_after_ms } = outcome {
                        channels::refused(&self.args, retry_after_ms);
                    }
                    if let Some(error) = outcome_error(outcome) {
                        return Err(convert::error(&error, refusal_cause.as_ref()));
                    }
                    // A failed fetch always left its failure.
                    let error = failure.map_or(JsValue::UNDEFINED, |Failure { error, cause }| {
                        convert::error(&error, cause.as_ref())
                    });
                    self.fire("error", &[("error", &error)]);
                    return Err(error);
                }
                // A store step with no store: the core asks none.
                (_, None) => Event::StoreFailed,
            };
        }
    }
}
