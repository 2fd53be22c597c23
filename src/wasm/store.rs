//! The store side of `TokenClient`: reading and writing the shared token, and, with a store
//! that has `lock`, one fetch and one rate-limit wait for every process that shares it.

use js_sys::{Function, Math, Object};
use wasm_bindgen::prelude::*;

use super::api_fetch::bearer;
use super::convert;
use super::js::{call, get, set, settle, sleep, warn};
use super::token_client::Inner;
use crate::core::{poll_delay_ms, Error, LOCK_SUFFIX, WAIT_SUFFIX};

impl Inner {
    /// A token that another process (or an earlier run) left in the store, if usable.
    pub(super) async fn stored_token(&self) -> Option<(JsValue, i64)> {
        let store = self.store.as_ref()?;
        let entry = match settle(
            call(store, "get", &[&self.key.as_str().into()]),
            self.store_timeout_ms,
        )
        .await
        {
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

    pub(super) async fn remember(&self, token: JsValue, usable_until: i64, share: bool) {
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
        if let Err(error) = settle(call(store, "set", &args), self.store_timeout_ms).await {
            warn(
                "the token store's set failed; the token is cached in memory only",
                &error,
            );
        }
    }

    /// A token found in the store, taken into the memory cache.
    pub(super) async fn adopt(&self, (token, usable_until): (JsValue, i64)) -> JsValue {
        self.remember(token.clone(), usable_until, false).await;
        token
    }

    fn suffixed(&self, suffix: &str) -> JsValue {
        [&self.key, suffix].concat().into()
    }

    /// Tells the other processes of the server's wait, where the store is shared.
    pub(super) async fn share_wait(&self) {
        let now = self.now();
        let until = self.cache.borrow().blocked_until(now);
        let (Some(store), Some(until), true) = (&self.store, until, self.shared) else {
            return;
        };
        let wait = Object::new();
        set(&wait, "retryAt", until as f64);
        let ttl = JsValue::from((until - now) as f64);
        let args = [&self.suffixed(WAIT_SUFFIX), &wait, &ttl];
        if let Err(error) = settle(call(store, "set", &args), self.store_timeout_ms).await {
            warn(
                "the token store's set of the rate-limit wait failed",
                &error,
            );
        }
    }

    /// The wait another process was told, if it still runs: it holds this client back too.
    async fn shared_wait(&self) -> Option<u64> {
        let store = self.store.as_ref()?;
        let wait = settle(
            call(store, "get", &[&self.suffixed(WAIT_SUFFIX)]),
            self.store_timeout_ms,
        )
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
    pub(super) async fn refresh_under_lock(&self, force: bool) -> Result<JsValue, JsValue> {
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
            match settle(
                call(store, "lock", &[&self.suffixed(LOCK_SUFFIX), &ttl]),
                self.store_timeout_ms,
            )
            .await
            {
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
                    if let Err(error) =
                        settle(release.call0(&JsValue::UNDEFINED), self.store_timeout_ms).await
                    {
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
}
