//! The decisions of a `TokenClient`, without I/O or a clock: when the cached token serves,
//! when to fetch, when a server-imposed wait forbids any request, and how long to back off
//! before a retry. Every function takes `now_ms` from the caller.
//!
//! ```
//! use sehatmu_auth::core::{Cache, Plan};
//! let mut cache = Cache::default();
//! assert_eq!(cache.plan(0, false, 60_000), Plan::Fetch);
//! cache.store(3_600_000);
//! assert_eq!(cache.plan(1_000, false, 60_000), Plan::UseCached);
//! assert_eq!(cache.plan(3_550_000, false, 60_000), Plan::Fetch);
//! ```

use super::{Error, ErrorCode, DEFAULT_RETRY_AFTER_MS};
use alloc::string::String;

/// The default of `refreshSkewMs`: a token with less than this left is refreshed.
pub const DEFAULT_REFRESH_SKEW_MS: f64 = 60_000.0;

/// The default of `retries`: extra tries after `network_error`, `timeout` or `server_error`.
pub const DEFAULT_RETRIES: f64 = 2.0;

/// The most `retries` a client may ask for: more would only hammer a failing server.
pub const MAX_RETRIES: f64 = 10.0;

/// The first backoff's ceiling; each retry doubles it, up to [`BACKOFF_CAP_MS`].
pub const BACKOFF_BASE_MS: f64 = 250.0;

/// The longest backoff ceiling.
pub const BACKOFF_CAP_MS: f64 = 8_000.0;

/// What a `getToken` call does now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Return the cached token: no request.
    UseCached,
    /// Fetch a token (or join the fetch under way).
    Fetch,
    /// Reject with a local `rate_limited`: the server asked for a wait that has not ended.
    Blocked {
        /// How much of the wait is left.
        retry_after_ms: u64,
    },
}

/// What a client knows of its token and of the server's wait, on the local clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cache {
    usable_until: Option<i64>,
    blocked_until: Option<i64>,
}

impl Cache {
    /// The plan for a call at `now_ms`. The server's wait blocks every request, `force`d ones
    /// too, but not a cached token that is still valid when the caller did not force.
    pub fn plan(&self, now_ms: i64, force: bool, refresh_skew_ms: i64) -> Plan {
        let valid = self.usable_until.is_some_and(|until| until > now_ms);
        let fresh = self
            .usable_until
            .is_some_and(|until| until.saturating_sub(now_ms) > refresh_skew_ms);
        match self.blocked_until {
            Some(until) if until > now_ms => {
                if valid && !force {
                    Plan::UseCached
                } else {
                    Plan::Blocked {
                        retry_after_ms: u64::try_from(until.saturating_sub(now_ms)).unwrap_or(0),
                    }
                }
            }
            _ if fresh && !force => Plan::UseCached,
            _ => Plan::Fetch,
        }
    }

    /// A token arrived (or was read from a store) that is usable until `usable_until_ms`.
    pub fn store(&mut self, usable_until_ms: i64) {
        self.usable_until = Some(usable_until_ms);
    }

    /// The cached token was dropped.
    pub fn clear(&mut self) {
        self.usable_until = None;
    }

    /// A fetch failed at `now_ms` with an error of `code` (and its `retryAfterMs`):
    /// `invalid_credentials` and `rate_limited` start the server's wait (its `Retry-After`,
    /// else one minute), so no caller can lock the account out.
    pub fn fail(&mut self, code: ErrorCode, retry_after_ms: Option<u64>, now_ms: i64) {
        if matches!(code, ErrorCode::InvalidCredentials | ErrorCode::RateLimited) {
            let wait = retry_after_ms.unwrap_or(DEFAULT_RETRY_AFTER_MS);
            let wait = i64::try_from(wait).unwrap_or(i64::MAX);
            self.blocked_until = Some(now_ms.saturating_add(wait));
        }
    }

    /// A wait that another process was told, read from a shared store: the client's own
    /// requests are held back until `until_ms` too.
    pub fn block_until(&mut self, until_ms: i64) {
        self.blocked_until = Some(self.blocked_until.map_or(until_ms, |b| b.max(until_ms)));
    }

    /// The end of the server's wait, if one is running at `now_ms`: to share it.
    pub fn blocked_until(&self, now_ms: i64) -> Option<i64> {
        self.blocked_until.filter(|until| *until > now_ms)
    }

    /// How long a store may keep the token: positive and no more than it has left.
    pub fn ttl_ms(&self, now_ms: i64) -> Option<u64> {
        let left = self.usable_until?.saturating_sub(now_ms);
        u64::try_from(left).ok().filter(|ms| *ms > 0)
    }
}

/// The delay before retry number `failures` (1 for the first retry) after an error of `code`
/// (and its `retryAfterMs`), or `None`
/// where no retry is due: the error is not transient, or `retries` are used up.
///
/// Full jitter: a uniform delay below a ceiling that doubles per retry (AWS's "Exponential
/// Backoff and Jitter"); `random` is in `[0, 1)`. A server's `Retry-After` is the least delay.
pub fn retry_delay_ms(
    failures: u32,
    retries: u32,
    code: ErrorCode,
    retry_after_ms: Option<u64>,
    random: f64,
) -> Option<u64> {
    let transient = matches!(
        code,
        ErrorCode::NetworkError | ErrorCode::Timeout | ErrorCode::ServerError
    );
    if !transient || failures > retries {
        return None;
    }
    let ceiling = doubled(BACKOFF_BASE_MS, failures.saturating_sub(1)).min(BACKOFF_CAP_MS);
    let jittered = (ceiling * random.clamp(0.0, 1.0)) as u64;
    Some(jittered.max(retry_after_ms.unwrap_or(0)))
}

/// The key under which a token is shared in a store: the token endpoint and the client id,
/// never the secret. The lock and the shared wait use it with [`LOCK_SUFFIX`] and
/// [`WAIT_SUFFIX`].
pub fn store_key(token_url: &str, client_id: &str) -> String {
    ["sehatmu-auth:", token_url, ":", client_id].concat()
}

/// Appended to the store key: the lock that makes one process of many fetch.
pub const LOCK_SUFFIX: &str = ":lock";

/// Appended to the store key: the server-imposed wait, shared between processes.
pub const WAIT_SUFFIX: &str = ":wait";

/// The longest a store call may take (less where `timeoutMs` is shorter): a store that does not
/// answer is then treated as one that failed, and the client goes on without it.
pub const STORE_TIMEOUT_MS: f64 = 5_000.0;

/// The time one try may take when `timeoutMs` is 0 (off), for the lock's lifetime.
pub const UNTIMED_TRY_MS: u64 = 30_000;

/// How long the fetching process holds the lock: every try at its timeout, and the longest
/// backoffs between them. A holder that dies leaves a lock that expires after this.
pub fn lock_ttl_ms(timeout_ms: Option<f64>, retries: u32) -> u64 {
    let per_try = timeout_ms.map_or(UNTIMED_TRY_MS, |ms| libm::ceil(ms) as u64);
    let backoffs: u64 = (1..=retries)
        .map(|n| doubled(BACKOFF_BASE_MS, n - 1).min(BACKOFF_CAP_MS) as u64)
        .sum();
    per_try * (u64::from(retries) + 1) + backoffs
}

/// `base` doubled `times` times, exactly.
fn doubled(base: f64, times: u32) -> f64 {
    base * (1_u64 << times.min(63)) as f64
}

/// The pause before look number `polls` (0 first) at the store while another process holds
/// the lock: 50 ms doubling to 1 s, with full jitter (`random` in `[0, 1)`) but never below
/// 10 ms.
pub fn poll_delay_ms(polls: u32, random: f64) -> u64 {
    let ceiling = doubled(50.0, polls.min(10)).min(1_000.0);
    ((ceiling * random.clamp(0.0, 1.0)) as u64).max(10)
}

/// `refreshSkewMs` and `retries` as given (`None` where absent, `Some(None)` where not a
/// number), checked.
///
/// # Errors
/// `invalid_argument` for a negative or non-finite skew, or retries that are not a whole
/// number from 0 to [`MAX_RETRIES`].
pub fn policy(
    refresh_skew_ms: Option<Option<f64>>,
    retries: Option<Option<f64>>,
) -> Result<(i64, u32), Error> {
    let skew = match refresh_skew_ms {
        None => DEFAULT_REFRESH_SKEW_MS,
        Some(Some(ms)) if ms.is_finite() && ms >= 0.0 => ms,
        Some(_) => {
            return Err(Error::invalid_argument(
                "refreshSkewMs",
                "a number of milliseconds, 0 or more",
            ))
        }
    };
    let retries = match retries {
        None => DEFAULT_RETRIES,
        Some(Some(n)) if libm::trunc(n) == n && (0.0..=MAX_RETRIES).contains(&n) => n,
        Some(_) => {
            return Err(Error::invalid_argument(
                "retries",
                "a whole number from 0 to 10",
            ))
        }
    };
    Ok((libm::ceil(skew) as i64, retries as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SKEW: i64 = 60_000;

    fn cached(until: i64) -> Cache {
        let mut cache = Cache::default();
        cache.store(until);
        cache
    }

    #[test]
    fn a_fresh_token_serves_without_a_request() {
        let cache = cached(1_000_000);
        assert_eq!(cache.plan(0, false, SKEW), Plan::UseCached);
        assert_eq!(
            cache.plan(1_000_000 - SKEW - 1, false, SKEW),
            Plan::UseCached
        );
    }

    #[test]
    fn a_token_inside_the_skew_or_expired_is_fetched() {
        let cache = cached(1_000_000);
        assert_eq!(cache.plan(1_000_000 - SKEW, false, SKEW), Plan::Fetch);
        assert_eq!(cache.plan(1_000_000, false, SKEW), Plan::Fetch);
        assert_eq!(cache.plan(2_000_000, false, SKEW), Plan::Fetch);
    }

    #[test]
    fn force_fetches_even_a_fresh_token() {
        assert_eq!(cached(1_000_000).plan(0, true, SKEW), Plan::Fetch);
    }

    #[test]
    fn clear_forgets_the_token() {
        let mut cache = cached(1_000_000);
        cache.clear();
        assert_eq!(cache.plan(0, false, SKEW), Plan::Fetch);
    }

    #[test]
    fn credential_and_rate_limit_failures_block_requests_for_the_wait() {
        let mut cache = Cache::default();
        cache.fail(ErrorCode::InvalidCredentials, None, 1_000);
        assert_eq!(
            cache.plan(1_000, false, SKEW),
            Plan::Blocked {
                retry_after_ms: 60_000
            }
        );
        assert_eq!(
            cache.plan(31_000, true, SKEW),
            Plan::Blocked {
                retry_after_ms: 30_000
            }
        );
        assert_eq!(cache.plan(61_000, false, SKEW), Plan::Fetch);

        let mut cache = Cache::default();
        cache.fail(ErrorCode::RateLimited, Some(5_000), 0);
        assert_eq!(
            cache.plan(4_999, false, SKEW),
            Plan::Blocked { retry_after_ms: 1 }
        );
        assert_eq!(cache.plan(5_000, false, SKEW), Plan::Fetch);
    }

    #[test]
    fn a_valid_token_still_serves_during_the_wait_unless_forced() {
        let mut cache = cached(100_000);
        cache.fail(ErrorCode::RateLimited, None, 50_000);
        assert_eq!(cache.plan(60_000, false, SKEW), Plan::UseCached);
        assert!(matches!(
            cache.plan(60_000, true, SKEW),
            Plan::Blocked { .. }
        ));
        assert!(matches!(
            cache.plan(100_000, false, SKEW),
            Plan::Blocked { .. }
        ));
    }

    #[test]
    fn other_failures_do_not_block() {
        for code in [
            ErrorCode::ServerError,
            ErrorCode::NetworkError,
            ErrorCode::Timeout,
            ErrorCode::RequestRejected,
            ErrorCode::InvalidResponse,
            ErrorCode::Aborted,
        ] {
            let mut cache = Cache::default();
            cache.fail(code, None, 0);
            assert_eq!(cache.plan(0, false, SKEW), Plan::Fetch, "{code:?}");
        }
    }

    #[test]
    fn ttl_is_positive_and_no_more_than_the_time_left() {
        let cache = cached(10_000);
        assert_eq!(cache.ttl_ms(4_000), Some(6_000));
        assert_eq!(cache.ttl_ms(10_000), None);
        assert_eq!(Cache::default().ttl_ms(0), None);
    }

    #[test]
    fn retries_only_transient_errors_with_growing_full_jitter() {
        let server = ErrorCode::ServerError;
        assert_eq!(retry_delay_ms(1, 2, server, None, 0.999_999), Some(249));
        assert_eq!(retry_delay_ms(2, 2, server, None, 0.999_999), Some(499));
        assert_eq!(retry_delay_ms(1, 2, server, None, 0.0), Some(0));
        assert_eq!(retry_delay_ms(3, 2, server, None, 0.5), None);
        assert_eq!(retry_delay_ms(9, 10, server, None, 1.0), Some(8_000));
        for code in [ErrorCode::NetworkError, ErrorCode::Timeout] {
            assert!(retry_delay_ms(1, 2, code, None, 0.5).is_some());
        }
        for code in [
            ErrorCode::InvalidCredentials,
            ErrorCode::RateLimited,
            ErrorCode::RequestRejected,
            ErrorCode::InvalidResponse,
            ErrorCode::InvalidArgument,
            ErrorCode::Aborted,
        ] {
            assert_eq!(retry_delay_ms(1, 2, code, None, 0.5), None);
        }
    }

    #[test]
    fn retry_after_is_the_least_delay() {
        assert_eq!(
            retry_delay_ms(1, 2, ErrorCode::ServerError, Some(3_000), 0.5),
            Some(3_000)
        );
    }

    #[test]
    fn a_shared_wait_blocks_until_its_end_and_never_shortens_one() {
        let mut cache = Cache::default();
        cache.block_until(10_000);
        assert_eq!(
            cache.plan(4_000, false, SKEW),
            Plan::Blocked {
                retry_after_ms: 6_000
            }
        );
        cache.block_until(5_000);
        assert_eq!(cache.blocked_until(4_000), Some(10_000));
        assert_eq!(cache.blocked_until(10_000), None);
        assert_eq!(cache.plan(10_000, false, SKEW), Plan::Fetch);
    }

    #[test]
    fn the_lock_outlives_every_try_and_backoff() {
        assert_eq!(lock_ttl_ms(Some(1_000.0), 0), 1_000);
        assert_eq!(lock_ttl_ms(Some(1_000.0), 2), 3_000 + 250 + 500);
        assert_eq!(lock_ttl_ms(None, 0), 30_000);
    }

    #[test]
    fn polling_backs_off_to_a_second() {
        assert_eq!(poll_delay_ms(0, 0.999), 49);
        assert_eq!(poll_delay_ms(3, 0.999), 399);
        assert_eq!(poll_delay_ms(30, 0.999), 999);
        assert_eq!(poll_delay_ms(0, 0.0), 10);
    }

    #[test]
    fn the_store_key_never_holds_the_secret() {
        assert_eq!(
            store_key("https://x/oauth/token?grant_type=client_credentials", "id"),
            "sehatmu-auth:https://x/oauth/token?grant_type=client_credentials:id"
        );
    }

    #[test]
    fn policy_checks_skew_and_retries() {
        assert_eq!(policy(None, None).unwrap(), (60_000, 2));
        assert_eq!(policy(Some(Some(0.0)), Some(Some(0.0))).unwrap(), (0, 0));
        for bad in [None, Some(-1.0), Some(f64::NAN), Some(f64::INFINITY)] {
            assert_eq!(
                policy(Some(bad), None).unwrap_err().field,
                Some("refreshSkewMs")
            );
        }
        for bad in [None, Some(-1.0), Some(1.5), Some(11.0)] {
            assert_eq!(policy(None, Some(bad)).unwrap_err().field, Some("retries"));
        }
    }
}
