//! One refresh of a `TokenClient`'s token, as a state machine without I/O: the flight that
//! every concurrent caller shares. It says which [`Step`] to take next (read the store, take
//! the lock, fetch, back off, share the token or the server's wait, release the lock) and is
//! told, as an [`Event`], what came of it. The wasm facade does each step and feeds the event
//! back; every decision, from the retries to a waiter's patience, is taken here.
//!
//! ```
//! use sehatmu_auth::core::{Cache, ErrorCode, Event, Need, Outcome, Refresh, RefreshSettings, Step};
//! let settings = RefreshSettings { refresh_skew_ms: 60_000, retries: 1, store: None, lock_ttl_ms: 0 };
//! let (mut cache, mut refresh) = (Cache::default(), Refresh::new(settings, Need::Fresh, 0));
//! assert_eq!(refresh.next(&mut cache, 0, Event::Begin, 0.5), Step::Fetch);
//! let failed = Event::FetchFailed { code: ErrorCode::ServerError, retry_after_ms: None };
//! assert_eq!(refresh.next(&mut cache, 0, failed, 0.5), Step::Backoff { ms: 125 });
//! assert_eq!(refresh.next(&mut cache, 125, Event::Done, 0.5), Step::Fetch);
//! let fetched = Event::Fetched { expires_at_ms: 3_600_125, lifetime_ms: 3_600_000, received_at_ms: 125 };
//! assert_eq!(refresh.next(&mut cache, 125, fetched, 0.5), Step::Finish(Outcome::Fetched));
//! ```

#[cfg(feature = "server")]
use super::fleet::poll_delay_ms;
use super::fleet::LockWait;
use super::{retry_delay_ms, Cache, Error, ErrorCode};

/// What a client's store can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// `get`, `set` and `delete`: a token shared, each client fetching on its own.
    Plain,
    /// With `lock` too: one client of many fetches, and the server's wait is shared.
    Shared,
}

/// What a refresh is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// A token with more than the skew left: a store's, else a new one.
    Fresh,
    /// A token other than the client's own, which the API rejected: a store's where it is
    /// another (a process sharing the store replaced it already), else a new one.
    Replacement,
    /// A new token (`forceRefresh`): the store is read only while another process holds its
    /// lock, for the token that process fetches.
    New,
}

/// The settings a refresh runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefreshSettings {
    /// A token with less than this left is not taken from a store.
    pub refresh_skew_ms: i64,
    /// Extra tries after a transient failure.
    pub retries: u32,
    /// The client's store, if it has one (none without the `server` feature: the refresh then
    /// never takes a store's steps).
    pub store: Option<StoreKind>,
    /// How long the fetching client holds a shared store's lock.
    pub lock_ttl_ms: u64,
}

/// What to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Read the token entry from the store; answer [`Event::Stored`] or [`Event::StoreFailed`].
    ReadStore,
    /// Read the server's wait from a shared store; answer [`Event::Wait`] or
    /// [`Event::StoreFailed`].
    ReadWait,
    /// Try to take a shared store's lock for `ttl_ms`; answer [`Event::Locked`] or
    /// [`Event::StoreFailed`].
    Lock {
        /// The lock's lifetime.
        ttl_ms: u64,
    },
    /// Send one token request; answer [`Event::Fetched`] or [`Event::FetchFailed`] (or, where
    /// the secret comes from the caller's function and it gave none, [`Event::SecretRefused`]).
    Fetch,
    /// Wait `ms` before looking at the store again; answer [`Event::Done`].
    Sleep {
        /// The pause.
        ms: u64,
    },
    /// Wait `ms` before retry number [`Refresh::failures`] of the token request; answer
    /// [`Event::Done`].
    Backoff {
        /// The pause.
        ms: u64,
    },
    /// Put the fetched token in the store for `ttl_ms`; answer [`Event::Done`] (a failure is
    /// only warned about).
    WriteToken {
        /// How long the store may keep it: no more than it has left.
        ttl_ms: u64,
    },
    /// Put the server's wait in a shared store; answer [`Event::Done`].
    WriteWait {
        /// When requests may be sent again, ms since the epoch.
        retry_at_ms: i64,
        /// How long the store keeps it.
        ttl_ms: u64,
    },
    /// Release the lock this client took; answer [`Event::Done`].
    Release,
    /// The refresh is over.
    Finish(Outcome),
}

/// How a refresh ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// With the token of the last [`Event::Fetched`].
    Fetched,
    /// With the entry of the last [`Event::Stored`].
    Stored,
    /// With the error of the last [`Event::FetchFailed`], for good.
    FetchFailed,
    /// With a local `rate_limited`: another process was told to wait.
    RateLimited {
        /// How much of the wait is left.
        retry_after_ms: u64,
    },
    /// With `timeout`: the holders of the lock stored no token in time.
    LockTimeout {
        /// How long this client waited.
        waited_ms: u64,
    },
    /// With `invalid_argument` for `clientSecret`: its function gave no secret, so no request
    /// was sent.
    #[cfg(feature = "server")]
    SecretRefused,
}

/// What came of a step.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The first call of [`Refresh::next`].
    Begin,
    /// The store's token entry, as its `accessToken` and `expiresAt` read, and whether it is
    /// the token the client already had (which a [`Need::Replacement`] or [`Need::New`]
    /// refresh does not take).
    Stored {
        /// `accessToken`, where it is a string.
        access_token: Option<alloc::string::String>,
        /// `expiresAt`, where it is a number.
        expires_at_ms: Option<f64>,
        /// Whether it is the client's current token.
        current: bool,
    },
    /// The shared wait's `retryAt`, where there is one.
    Wait {
        /// `retryAt`, where it is a number.
        retry_at_ms: Option<f64>,
    },
    /// Whether the lock was taken (`false`: another holder has it).
    Locked(bool),
    /// A store call threw, or did not answer in time.
    StoreFailed,
    /// A token arrived: see [`Cache::take_fetched`].
    Fetched {
        /// The server's expiry.
        expires_at_ms: i64,
        /// What it had left at receipt, on the server's clock.
        lifetime_ms: i64,
        /// The local clock at receipt.
        received_at_ms: i64,
    },
    /// A token request failed.
    FetchFailed {
        /// Its code.
        code: ErrorCode,
        /// Its `retryAfterMs`.
        retry_after_ms: Option<u64>,
    },
    /// The `clientSecret` function threw, or gave anything but a non-empty string: nothing was
    /// sent, so nothing counts against the client (no retry, no wait, no `error` event).
    #[cfg(feature = "server")]
    SecretRefused,
    /// A pause, a store write or a release is over.
    Done,
}

/// Where a refresh is. Without the `server` feature (the browser build, which has no stores)
/// the store's phases are never entered, and their steps are not compiled in: 0.7 KB of the
/// browser's `.wasm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "server"), allow(dead_code))]
enum Phase {
    Start,
    /// Reading the store; `locked` where this client holds the lock.
    ReadingStore {
        locked: bool,
    },
    /// Reading the store while another client holds the lock.
    Polling,
    ReadingWait,
    Locking,
    Fetching,
    BackingOff,
    PollPause,
    Sharing(Outcome),
    Releasing(Outcome),
    Over,
}

/// One refresh: see the module's docs.
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub struct Refresh {
    settings: RefreshSettings,
    need: Need,
    phase: Phase,
    failures: u32,
    locked: bool,
    polls: u32,
    wait: LockWait,
}

impl Refresh {
    /// A refresh for `need` that begins at `now_ms`.
    pub fn new(settings: RefreshSettings, need: Need, now_ms: i64) -> Self {
        Self {
            wait: LockWait::new(now_ms, settings.lock_ttl_ms),
            settings,
            need,
            phase: Phase::Start,
            failures: 0,
            locked: false,
            polls: 0,
        }
    }

    /// Whether the refresh has its token (fetched, or taken from the store) and only shares it
    /// or releases the lock before it ends: the client should serve that token from now on.
    pub fn has_token(&self) -> bool {
        matches!(
            self.phase,
            Phase::Sharing(Outcome::Fetched) | Phase::Releasing(Outcome::Fetched | Outcome::Stored)
        )
    }

    /// How many tries have failed so far: the number of the retry a [`Step::Backoff`] is for.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The next step, given what came of the last one (`event`) at `now_ms`; `cache` is the
    /// client's, which the refresh keeps up to date; `random` in `[0, 1)` jitters the pauses.
    pub fn next(&mut self, cache: &mut Cache, now_ms: i64, event: Event, random: f64) -> Step {
        let step = self.decide(cache, now_ms, event, random);
        if let Step::Finish(_) = step {
            self.phase = Phase::Over;
        }
        step
    }

    /// Takes the store's entry into `cache` where it is a token this refresh may end with.
    #[cfg(feature = "server")]
    fn take(&self, cache: &mut Cache, now_ms: i64, event: Event) -> bool {
        let Event::Stored {
            access_token,
            expires_at_ms,
            current,
        } = event
        else {
            return false;
        };
        let wanted = self.need == Need::Fresh || !current;
        let skew = self.settings.refresh_skew_ms;
        wanted && cache.take_stored(access_token.as_deref(), expires_at_ms, now_ms, skew)
    }

    fn decide(&mut self, cache: &mut Cache, now_ms: i64, event: Event, random: f64) -> Step {
        match (self.phase, event) {
            #[cfg(feature = "server")]
            (Phase::Start, _) if self.need != Need::New && self.settings.store.is_some() => {
                self.phase = Phase::ReadingStore { locked: false };
                Step::ReadStore
            }
            (Phase::Start, _) => self.fetch_or_wait(),
            #[cfg(feature = "server")]
            (Phase::ReadingStore { locked }, event) => {
                let taken = self.take(cache, now_ms, event);
                match (taken, locked) {
                    (true, _) => self.finish(Outcome::Stored),
                    (false, true) => self.fetch(),
                    (false, false) => self.fetch_or_wait(),
                }
            }
            #[cfg(feature = "server")]
            (Phase::ReadingWait, event) => {
                if let Event::Wait {
                    retry_at_ms: Some(until),
                } = event
                {
                    // A finite f64 saturates into i64; NaN becomes 0, a wait long over.
                    cache.block_until(until as i64);
                }
                if let Some(until) = cache.blocked_until(now_ms) {
                    let left = u64::try_from(until.saturating_sub(now_ms)).unwrap_or(0);
                    return self.finish(Outcome::RateLimited {
                        retry_after_ms: left,
                    });
                }
                self.phase = Phase::Locking;
                Step::Lock {
                    ttl_ms: self.settings.lock_ttl_ms,
                }
            }
            #[cfg(feature = "server")]
            (Phase::Locking, Event::Locked(true)) => {
                self.locked = true;
                if self.need == Need::New {
                    self.fetch()
                } else {
                    // Another process may have stored a token since this one looked.
                    self.phase = Phase::ReadingStore { locked: true };
                    Step::ReadStore
                }
            }
            #[cfg(feature = "server")]
            (Phase::Locking, Event::Locked(false)) => {
                self.phase = Phase::Polling;
                Step::ReadStore
            }
            // The lock failed: fetch without it.
            #[cfg(feature = "server")]
            (Phase::Locking, _) => self.fetch(),
            #[cfg(feature = "server")]
            (Phase::Polling, event) => {
                if self.take(cache, now_ms, event) {
                    return self.finish(Outcome::Stored);
                }
                if let Err(error) = self.wait.held(now_ms) {
                    return self.finish(Outcome::LockTimeout {
                        waited_ms: error.timeout_ms.map_or(0, |ms| ms as u64),
                    });
                }
                let ms = poll_delay_ms(self.polls, random);
                self.polls += 1;
                self.phase = Phase::PollPause;
                Step::Sleep { ms }
            }
            #[cfg(feature = "server")]
            (Phase::PollPause, _) => {
                self.phase = Phase::ReadingWait;
                Step::ReadWait
            }
            (
                Phase::Fetching,
                Event::Fetched {
                    expires_at_ms,
                    lifetime_ms,
                    received_at_ms,
                },
            ) => {
                cache.take_fetched(expires_at_ms, lifetime_ms, received_at_ms);
                #[cfg(feature = "server")]
                if let (Some(_), Some(ttl_ms)) = (self.settings.store, cache.ttl_ms(now_ms)) {
                    self.phase = Phase::Sharing(Outcome::Fetched);
                    return Step::WriteToken { ttl_ms };
                }
                self.finish(Outcome::Fetched)
            }
            (
                Phase::Fetching,
                Event::FetchFailed {
                    code,
                    retry_after_ms,
                },
            ) => {
                cache.fail(code, retry_after_ms, now_ms);
                self.failures += 1;
                let retries = self.settings.retries;
                if let Some(ms) =
                    retry_delay_ms(self.failures, retries, code, retry_after_ms, random)
                {
                    self.phase = Phase::BackingOff;
                    return Step::Backoff { ms };
                }
                #[cfg(feature = "server")]
                if let Some(until) = cache.blocked_until(now_ms) {
                    if self.settings.store == Some(StoreKind::Shared) {
                        self.phase = Phase::Sharing(Outcome::FetchFailed);
                        return Step::WriteWait {
                            retry_at_ms: until,
                            ttl_ms: u64::try_from(until.saturating_sub(now_ms)).unwrap_or(0),
                        };
                    }
                }
                self.finish(Outcome::FetchFailed)
            }
            #[cfg(feature = "server")]
            (Phase::Fetching, Event::SecretRefused) => self.finish(Outcome::SecretRefused),
            (Phase::BackingOff, _) => self.fetch(),
            (Phase::Sharing(outcome), _) => self.finish(outcome),
            (Phase::Releasing(outcome), _) => Step::Finish(outcome),
            // An event the phase does not expect (a driver's bug) ends the refresh as a failed
            // fetch would, rather than looping.
            (Phase::Fetching | Phase::Over, _) => Step::Finish(Outcome::FetchFailed),
            // The store's phases, which a build without stores never enters.
            #[cfg(not(feature = "server"))]
            _ => Step::Finish(Outcome::FetchFailed),
        }
    }

    fn fetch(&mut self) -> Step {
        self.phase = Phase::Fetching;
        Step::Fetch
    }

    /// With a shared store, one process of many fetches: first the shared wait, then the lock.
    fn fetch_or_wait(&mut self) -> Step {
        #[cfg(feature = "server")]
        if self.settings.store == Some(StoreKind::Shared) {
            self.phase = Phase::ReadingWait;
            return Step::ReadWait;
        }
        self.fetch()
    }

    /// Ends with `outcome`, releasing the lock first where this client holds it.
    fn finish(&mut self, outcome: Outcome) -> Step {
        if self.locked {
            self.locked = false;
            self.phase = Phase::Releasing(outcome);
            Step::Release
        } else {
            Step::Finish(outcome)
        }
    }
}

/// What a `clientSecret` function must give, for the error that says it did not.
pub const SECRET_FUNCTION_MUST: &str =
    "a function that returns (or resolves to) a non-empty string";

/// The error of an outcome that is not a token and not a failed fetch (whose error the
/// driver has): a local `rate_limited`, the lock wait's `timeout`, or the `clientSecret`
/// function's refusal.
pub fn outcome_error(outcome: Outcome) -> Option<Error> {
    match outcome {
        Outcome::RateLimited { retry_after_ms } => {
            Some(Error::rate_limited_locally(retry_after_ms))
        }
        Outcome::LockTimeout { waited_ms } => Some(Error::lock_wait_timeout(waited_ms)),
        #[cfg(feature = "server")]
        Outcome::SecretRefused => Some(Error::invalid_argument(
            "clientSecret",
            SECRET_FUNCTION_MUST,
        )),
        Outcome::Fetched | Outcome::Stored | Outcome::FetchFailed => None,
    }
}

#[cfg(test)]
// The tests with a store run with the `server` feature (the default), as the store's phases
// are compiled only with it (see `Phase`).
mod tests {
    use super::*;
    #[cfg(feature = "server")]
    use alloc::string::ToString;

    const SKEW: i64 = 60_000;

    fn settings(store: Option<StoreKind>) -> RefreshSettings {
        RefreshSettings {
            refresh_skew_ms: SKEW,
            retries: 2,
            store,
            lock_ttl_ms: 10_000,
        }
    }

    #[cfg(feature = "server")]
    fn fetched(at: i64) -> Event {
        Event::Fetched {
            expires_at_ms: at + 3_600_000,
            lifetime_ms: 3_600_000,
            received_at_ms: at,
        }
    }

    #[cfg(feature = "server")]
    fn stored(token: Option<&str>, expires_at: f64, current: bool) -> Event {
        Event::Stored {
            access_token: token.map(ToString::to_string),
            expires_at_ms: Some(expires_at),
            current,
        }
    }

    fn failed(code: ErrorCode) -> Event {
        Event::FetchFailed {
            code,
            retry_after_ms: None,
        }
    }

    #[test]
    fn without_a_store_it_fetches_and_retries_transient_failures_only() {
        let mut cache = Cache::default();
        let mut refresh = Refresh::new(settings(None), Need::Fresh, 0);
        assert_eq!(refresh.next(&mut cache, 0, Event::Begin, 0.0), Step::Fetch);
        assert_eq!(
            refresh.next(&mut cache, 0, failed(ErrorCode::ServerError), 0.0),
            Step::Backoff { ms: 0 }
        );
        assert_eq!(refresh.next(&mut cache, 0, Event::Done, 0.0), Step::Fetch);
        assert_eq!(refresh.failures(), 1);
        assert_eq!(
            refresh.next(&mut cache, 0, failed(ErrorCode::Timeout), 0.999),
            Step::Backoff { ms: 499 }
        );
        assert_eq!(refresh.next(&mut cache, 0, Event::Done, 0.0), Step::Fetch);
        assert_eq!(
            refresh.next(&mut cache, 0, failed(ErrorCode::NetworkError), 0.5),
            Step::Finish(Outcome::FetchFailed)
        );
        assert_eq!(refresh.failures(), 3);

        let mut refresh = Refresh::new(settings(None), Need::Fresh, 0);
        refresh.next(&mut cache, 0, Event::Begin, 0.0);
        assert_eq!(
            refresh.next(&mut cache, 0, failed(ErrorCode::InvalidCredentials), 0.0),
            Step::Finish(Outcome::FetchFailed)
        );
        assert_eq!(cache.blocked_until(0), Some(60_000));
    }

    #[cfg(feature = "server")]
    #[test]
    fn a_plain_store_is_read_first_and_given_the_fetched_token() {
        let mut cache = Cache::default();
        let mut refresh = Refresh::new(settings(Some(StoreKind::Plain)), Need::Fresh, 0);
        assert_eq!(
            refresh.next(&mut cache, 0, Event::Begin, 0.0),
            Step::ReadStore
        );
        // An entry with too little left is not taken.
        assert_eq!(
            refresh.next(&mut cache, 0, stored(Some("t"), SKEW as f64, false), 0.0),
            Step::Fetch
        );
        assert_eq!(
            refresh.next(&mut cache, 0, fetched(0), 0.0),
            Step::WriteToken { ttl_ms: 3_600_000 }
        );
        assert_eq!(
            refresh.next(&mut cache, 0, Event::Done, 0.0),
            Step::Finish(Outcome::Fetched)
        );

        let mut refresh = Refresh::new(settings(Some(StoreKind::Plain)), Need::Fresh, 0);
        refresh.next(&mut cache, 0, Event::Begin, 0.0);
        assert_eq!(
            refresh.next(&mut cache, 0, stored(Some("t"), 1e9, false), 0.0),
            Step::Finish(Outcome::Stored)
        );
        // A forced refresh skips the store; a store that fails is as good as an empty one.
        let mut refresh = Refresh::new(settings(Some(StoreKind::Plain)), Need::New, 0);
        assert_eq!(refresh.next(&mut cache, 0, Event::Begin, 0.0), Step::Fetch);
        let mut refresh = Refresh::new(settings(Some(StoreKind::Plain)), Need::Fresh, 0);
        refresh.next(&mut cache, 0, Event::Begin, 0.0);
        assert_eq!(
            refresh.next(&mut cache, 0, Event::StoreFailed, 0.0),
            Step::Fetch
        );
    }

    #[cfg(feature = "server")]
    #[test]
    fn the_lock_holder_looks_again_fetches_shares_and_releases() {
        let mut cache = Cache::default();
        let mut refresh = Refresh::new(settings(Some(StoreKind::Shared)), Need::Fresh, 0);
        assert_eq!(
            refresh.next(&mut cache, 0, Event::Begin, 0.0),
            Step::ReadStore
        );
        assert_eq!(
            refresh.next(&mut cache, 0, Event::StoreFailed, 0.0),
            Step::ReadWait
        );
        let no_wait = Event::Wait { retry_at_ms: None };
        assert_eq!(
            refresh.next(&mut cache, 0, no_wait, 0.0),
            Step::Lock { ttl_ms: 10_000 }
        );
        assert_eq!(
            refresh.next(&mut cache, 0, Event::Locked(true), 0.0),
            Step::ReadStore
        );
        let empty = Event::Stored {
            access_token: None,
            expires_at_ms: None,
            current: false,
        };
        assert_eq!(refresh.next(&mut cache, 0, empty, 0.0), Step::Fetch);
        assert!(!refresh.has_token());
        assert_eq!(
            refresh.next(&mut cache, 0, fetched(0), 0.0),
            Step::WriteToken { ttl_ms: 3_600_000 }
        );
        assert!(refresh.has_token(), "served while it is shared");
        assert_eq!(refresh.next(&mut cache, 0, Event::Done, 0.0), Step::Release);
        assert!(refresh.has_token(), "served while the lock is released");
        assert_eq!(
            refresh.next(&mut cache, 0, Event::Done, 0.0),
            Step::Finish(Outcome::Fetched)
        );
    }

    #[cfg(feature = "server")]
    #[test]
    fn a_failure_under_the_lock_shares_the_servers_wait_then_releases() {
        let mut cache = Cache::default();
        let mut refresh = Refresh::new(settings(Some(StoreKind::Shared)), Need::New, 0);
        assert_eq!(
            refresh.next(&mut cache, 0, Event::Begin, 0.0),
            Step::ReadWait
        );
        refresh.next(&mut cache, 0, Event::Wait { retry_at_ms: None }, 0.0);
        assert_eq!(
            refresh.next(&mut cache, 0, Event::Locked(true), 0.0),
            Step::Fetch
        );
        assert_eq!(
            refresh.next(&mut cache, 5, failed(ErrorCode::InvalidCredentials), 0.0),
            Step::WriteWait {
                retry_at_ms: 60_005,
                ttl_ms: 60_000
            }
        );
        assert_eq!(refresh.next(&mut cache, 5, Event::Done, 0.0), Step::Release);
        assert_eq!(
            refresh.next(&mut cache, 5, Event::Done, 0.0),
            Step::Finish(Outcome::FetchFailed)
        );
    }

    #[cfg(feature = "server")]
    #[test]
    fn a_shared_wait_refuses_without_a_request() {
        let mut cache = Cache::default();
        let mut refresh = Refresh::new(settings(Some(StoreKind::Shared)), Need::New, 0);
        refresh.next(&mut cache, 0, Event::Begin, 0.0);
        let wait = Event::Wait {
            retry_at_ms: Some(30_000.0),
        };
        assert_eq!(
            refresh.next(&mut cache, 1_000, wait, 0.0),
            Step::Finish(Outcome::RateLimited {
                retry_after_ms: 29_000
            })
        );
        assert_eq!(
            outcome_error(Outcome::RateLimited {
                retry_after_ms: 29_000
            })
            .map(|e| e.code),
            Some(ErrorCode::RateLimited)
        );
    }

    #[cfg(feature = "server")]
    #[test]
    fn a_secret_function_that_gives_none_ends_the_refresh_with_nothing_held_against_the_client() {
        let mut cache = Cache::default();
        let mut refresh = Refresh::new(settings(Some(StoreKind::Shared)), Need::Fresh, 0);
        refresh.next(&mut cache, 0, Event::Begin, 0.0);
        refresh.next(&mut cache, 0, Event::StoreFailed, 0.0);
        refresh.next(&mut cache, 0, Event::Wait { retry_at_ms: None }, 0.0);
        assert_eq!(
            refresh.next(&mut cache, 0, Event::Locked(true), 0.0),
            Step::ReadStore
        );
        assert_eq!(
            refresh.next(&mut cache, 0, Event::StoreFailed, 0.0),
            Step::Fetch
        );
        // The lock is released; no retry, no wait, no failure counted.
        assert_eq!(
            refresh.next(&mut cache, 0, Event::SecretRefused, 0.0),
            Step::Release
        );
        assert_eq!(
            refresh.next(&mut cache, 0, Event::Done, 0.0),
            Step::Finish(Outcome::SecretRefused)
        );
        assert_eq!(refresh.failures(), 0);
        assert_eq!(cache.plan(1, false, 60_000), crate::core::Plan::Fetch);
        let error = outcome_error(Outcome::SecretRefused).unwrap();
        assert_eq!(
            (error.code, error.field),
            (ErrorCode::InvalidArgument, Some("clientSecret"))
        );
        assert_eq!(
            error.message,
            "Invalid clientSecret: it must be a function that returns (or resolves to) a non-empty string."
        );
    }

    #[cfg(feature = "server")]
    #[test]
    fn a_waiter_polls_takes_the_holders_token_and_outlasts_a_dead_holder() {
        let mut cache = Cache::default();
        let mut refresh = Refresh::new(settings(Some(StoreKind::Shared)), Need::Fresh, 0);
        refresh.next(&mut cache, 0, Event::Begin, 0.0);
        refresh.next(&mut cache, 0, Event::StoreFailed, 0.0);
        refresh.next(&mut cache, 0, Event::Wait { retry_at_ms: None }, 0.0);
        assert_eq!(
            refresh.next(&mut cache, 0, Event::Locked(false), 0.0),
            Step::ReadStore
        );
        assert_eq!(
            refresh.next(&mut cache, 0, Event::StoreFailed, 0.999),
            Step::Sleep { ms: 49 }
        );
        // Round after round: the wait, the lock, the store. Past the first holder's lifetime
        // a successor holds it: still waiting.
        for now in [50, 12_000] {
            assert_eq!(
                refresh.next(&mut cache, now, Event::Done, 0.0),
                Step::ReadWait
            );
            refresh.next(&mut cache, now, Event::Wait { retry_at_ms: None }, 0.0);
            refresh.next(&mut cache, now, Event::Locked(false), 0.0);
            assert!(matches!(
                refresh.next(&mut cache, now, Event::StoreFailed, 0.0),
                Step::Sleep { .. }
            ));
        }
        refresh.next(&mut cache, 12_100, Event::Done, 0.0);
        refresh.next(&mut cache, 12_100, Event::Wait { retry_at_ms: None }, 0.0);
        refresh.next(&mut cache, 12_100, Event::Locked(false), 0.0);
        assert_eq!(
            refresh.next(&mut cache, 12_100, stored(Some("theirs"), 1e9, false), 0.0),
            Step::Finish(Outcome::Stored)
        );
    }

    #[cfg(feature = "server")]
    #[test]
    fn a_forced_waiter_wants_a_token_other_than_its_own() {
        let mut cache = Cache::default();
        let mut refresh = Refresh::new(settings(Some(StoreKind::Shared)), Need::New, 0);
        refresh.next(&mut cache, 0, Event::Begin, 0.0);
        refresh.next(&mut cache, 0, Event::Wait { retry_at_ms: None }, 0.0);
        refresh.next(&mut cache, 0, Event::Locked(false), 0.0);
        assert!(matches!(
            refresh.next(&mut cache, 0, stored(Some("mine"), 1e9, true), 0.0),
            Step::Sleep { .. }
        ));
    }

    #[cfg(feature = "server")]
    #[test]
    fn a_replacement_takes_another_processs_newer_token_from_the_store() {
        for kind in [StoreKind::Plain, StoreKind::Shared] {
            let mut cache = Cache::default();
            let mut refresh = Refresh::new(settings(Some(kind)), Need::Replacement, 0);
            assert_eq!(
                refresh.next(&mut cache, 0, Event::Begin, 0.0),
                Step::ReadStore
            );
            assert_eq!(
                refresh.next(&mut cache, 0, stored(Some("newer"), 1e9, false), 0.0),
                Step::Finish(Outcome::Stored),
                "{kind:?}"
            );
        }
    }

    #[cfg(feature = "server")]
    #[test]
    fn a_replacement_never_takes_the_rejected_token_and_fetches_under_the_lock() {
        let mut cache = Cache::default();
        let mut refresh = Refresh::new(settings(Some(StoreKind::Shared)), Need::Replacement, 0);
        refresh.next(&mut cache, 0, Event::Begin, 0.0);
        assert_eq!(
            refresh.next(&mut cache, 0, stored(Some("mine"), 1e9, true), 0.0),
            Step::ReadWait
        );
        refresh.next(&mut cache, 0, Event::Wait { retry_at_ms: None }, 0.0);
        // Under the lock it looks once more: another process may have replaced it meanwhile.
        assert_eq!(
            refresh.next(&mut cache, 0, Event::Locked(true), 0.0),
            Step::ReadStore
        );
        assert_eq!(
            refresh.next(&mut cache, 0, stored(Some("mine"), 1e9, true), 0.0),
            Step::Fetch
        );

        // Without a lock: a waiter takes only another token.
        let mut refresh = Refresh::new(settings(Some(StoreKind::Shared)), Need::Replacement, 0);
        refresh.next(&mut cache, 0, Event::Begin, 0.0);
        refresh.next(&mut cache, 0, Event::StoreFailed, 0.0);
        refresh.next(&mut cache, 0, Event::Wait { retry_at_ms: None }, 0.0);
        refresh.next(&mut cache, 0, Event::Locked(false), 0.0);
        assert!(matches!(
            refresh.next(&mut cache, 0, stored(Some("mine"), 1e9, true), 0.0),
            Step::Sleep { .. }
        ));
        refresh.next(&mut cache, 50, Event::Done, 0.0);
        refresh.next(&mut cache, 50, Event::Wait { retry_at_ms: None }, 0.0);
        refresh.next(&mut cache, 50, Event::Locked(false), 0.0);
        assert_eq!(
            refresh.next(&mut cache, 50, stored(Some("theirs"), 1e9, false), 0.0),
            Step::Finish(Outcome::Stored)
        );

        // A plain store that holds only the rejected token: a fetch.
        let mut refresh = Refresh::new(settings(Some(StoreKind::Plain)), Need::Replacement, 0);
        refresh.next(&mut cache, 0, Event::Begin, 0.0);
        assert_eq!(
            refresh.next(&mut cache, 0, stored(Some("mine"), 1e9, true), 0.0),
            Step::Fetch
        );
    }

    #[cfg(feature = "server")]
    #[test]
    fn a_lock_that_never_frees_ends_in_a_timeout() {
        let mut cache = Cache::default();
        let mut refresh = Refresh::new(settings(Some(StoreKind::Shared)), Need::Fresh, 0);
        refresh.next(&mut cache, 0, Event::Begin, 0.0);
        refresh.next(&mut cache, 0, Event::StoreFailed, 0.0);
        let mut now = 0;
        let outcome = loop {
            refresh.next(&mut cache, now, Event::Wait { retry_at_ms: None }, 0.0);
            refresh.next(&mut cache, now, Event::Locked(false), 0.0);
            match refresh.next(&mut cache, now, Event::StoreFailed, 0.0) {
                Step::Sleep { .. } => {}
                step => break step,
            }
            now += 1_000;
            assert_eq!(
                refresh.next(&mut cache, now, Event::Done, 0.0),
                Step::ReadWait
            );
        };
        assert_eq!(
            outcome,
            Step::Finish(Outcome::LockTimeout { waited_ms: 33_000 })
        );
    }

    #[cfg(feature = "server")]
    #[test]
    fn a_lock_that_fails_is_done_without() {
        let mut cache = Cache::default();
        let mut refresh = Refresh::new(settings(Some(StoreKind::Shared)), Need::New, 0);
        refresh.next(&mut cache, 0, Event::Begin, 0.0);
        refresh.next(&mut cache, 0, Event::StoreFailed, 0.0);
        assert_eq!(
            refresh.next(&mut cache, 0, Event::StoreFailed, 0.0),
            Step::Fetch
        );
        assert_eq!(
            refresh.next(&mut cache, 0, fetched(0), 0.0),
            Step::WriteToken { ttl_ms: 3_600_000 }
        );
        assert_eq!(
            refresh.next(&mut cache, 0, Event::Done, 0.0),
            Step::Finish(Outcome::Fetched)
        );
    }
}
