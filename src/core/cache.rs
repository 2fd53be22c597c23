//! What a `TokenClient` knows of its token and of the server's wait, on the local clock, and
//! what a call does with that: serve the cached token, fetch, or refuse while the server's wait
//! runs. Every method takes `now_ms` from the caller.
//!
//! ```
//! use sehatmu_auth::core::{Cache, Plan};
//! let mut cache = Cache::default();
//! assert_eq!(cache.plan(0, false, 60_000), Plan::Fetch);
//! // A token that the server says expires at 3,600,000 and had 3,600,000 ms left when it
//! // arrived at local time 0: the server's clock and ours agree.
//! cache.take_fetched(3_600_000, 3_600_000, 0);
//! assert_eq!(cache.plan(1_000, false, 60_000), Plan::UseCached);
//! assert_eq!(cache.plan(3_550_000, false, 60_000), Plan::RefreshAhead);
//! assert_eq!(cache.plan(3_600_000, false, 60_000), Plan::Fetch);
//! // A token that lives 30 s is refreshed at half its life, not on every call.
//! cache.take_fetched(3_630_000, 30_000, 3_600_000);
//! assert_eq!(cache.plan(3_614_999, false, 60_000), Plan::UseCached);
//! assert_eq!(cache.plan(3_615_000, false, 60_000), Plan::RefreshAhead);
//! ```

use super::refresh::Need;
use super::{is_bearer_token, ErrorCode, DEFAULT_RETRY_AFTER_MS};

/// What a `getToken` call does now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Return the cached token: no request.
    UseCached,
    /// Return the cached token, which has less than the skew left but is still valid, and
    /// refresh it in the background (or let the refresh under way go on).
    RefreshAhead,
    /// Fetch a token (or join the fetch under way).
    Fetch,
    /// Reject with a local `rate_limited`: the server asked for a wait that has not ended.
    Blocked {
        /// How much of the wait is left.
        retry_after_ms: u64,
    },
}

/// The status with which the API turns down a request's bearer token: the one answer to an API
/// request that calls for a fresh token and a replay ([`Cache::rejected`]).
pub const TOKEN_REJECTED: u16 = 401;

/// A client's token and wait, on the local clock, and the server's clock offset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cache {
    usable_until: Option<i64>,
    blocked_until: Option<i64>,
    /// The server's clock minus ours, from the last answer: it turns a stored token's
    /// `expiresAt` (the server's statement) into the local moment it stops being usable.
    offset_ms: i64,
    /// How long the last token fetched had to live when it arrived, on the server's clock:
    /// the server's lifetime for this client's tokens.
    lifetime_ms: Option<i64>,
}

impl Cache {
    /// How much of its life a token may have left before it is refreshed: `refresh_skew_ms`,
    /// or half the server's lifetime where that is shorter, so that a token that lives less
    /// than the skew is still used for half its life instead of being fetched on every call.
    fn skew_ms(&self, refresh_skew_ms: i64) -> i64 {
        self.lifetime_ms.map_or(refresh_skew_ms, |lifetime| {
            refresh_skew_ms.min(lifetime / 2)
        })
    }

    /// Whether a token usable until `usable_until` is still more than the skew from its end
    /// at `now_ms`: the one rule for a cached token, a fresh answer and a stored entry.
    fn fresh(&self, usable_until: i64, now_ms: i64, refresh_skew_ms: i64) -> bool {
        usable_until.saturating_sub(now_ms) > self.skew_ms(refresh_skew_ms)
    }

    /// The instant until which [`Cache::plan`] answers [`Plan::UseCached`] to every call that
    /// does not force, for as long as nothing changes the cache: the moment its token stops
    /// being fresh (a fresh token is served while the server's wait runs too). `None` without
    /// a token. The facade memoises its warm answer until then.
    pub fn fresh_until(&self, refresh_skew_ms: i64) -> Option<i64> {
        self.usable_until
            .map(|until| until.saturating_sub(self.skew_ms(refresh_skew_ms)))
    }

    /// The plan for a call at `now_ms`. The server's wait blocks every request, `force`d ones
    /// too, but not a cached token that is still valid when the caller did not force.
    pub fn plan(&self, now_ms: i64, force: bool, refresh_skew_ms: i64) -> Plan {
        let valid = self.usable_until.is_some_and(|until| until > now_ms);
        let fresh = self
            .usable_until
            .is_some_and(|until| self.fresh(until, now_ms, refresh_skew_ms));
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
            _ if valid && !force => Plan::RefreshAhead,
            _ => Plan::Fetch,
        }
    }

    /// A token arrived from the server at local time `received_at_ms`, stating
    /// `expires_at_ms` on its clock and `lifetime_ms` left on it (see
    /// [`Token`](super::Token)): it is usable for that lifetime counted from receipt, and the
    /// difference of the two clocks is kept for tokens read from a store.
    pub fn take_fetched(&mut self, expires_at_ms: i64, lifetime_ms: i64, received_at_ms: i64) {
        let server_received_at = expires_at_ms.saturating_sub(lifetime_ms);
        self.offset_ms = server_received_at.saturating_sub(received_at_ms);
        self.usable_until = Some(received_at_ms.saturating_add(lifetime_ms));
        self.lifetime_ms = Some(lifetime_ms);
    }

    /// A store's entry, as its `accessToken` and `expiresAt` read: taken (and `true`) where it
    /// is a bearer token that, on the server's clock as last measured, is more than the skew
    /// (`refresh_skew_ms`, or half the lifetime of the last token fetched) from its end at
    /// `now_ms`; otherwise ignored (`false`), to be replaced.
    pub fn take_stored(
        &mut self,
        access_token: Option<&str>,
        expires_at_ms: Option<f64>,
        now_ms: i64,
        refresh_skew_ms: i64,
    ) -> bool {
        let usable = access_token.is_some_and(is_bearer_token);
        let Some(expires_at) = expires_at_ms.filter(|ms| usable && ms.is_finite()) else {
            return false;
        };
        // A finite f64 saturates into i64.
        let usable_until = (expires_at as i64).saturating_sub(self.offset_ms);
        if !self.fresh(usable_until, now_ms, refresh_skew_ms) {
            return false;
        }
        self.usable_until = Some(usable_until);
        true
    }

    /// The cached token was dropped.
    pub fn clear(&mut self) {
        self.usable_until = None;
    }

    /// The API answered [`TOKEN_REJECTED`] to a request sent with the client's token (`sent_current`) or
    /// with one it has replaced since: what the request's one replay needs. Each token is
    /// refreshed once, however many requests it failed: the client's own is dropped and
    /// replaced ([`Need::Replacement`]: a refresh under way, or one that takes another
    /// process's newer token from the store before it fetches); an older one's requests are
    /// replayed with the newer token as any call would get it ([`Need::Fresh`]).
    pub fn rejected(&mut self, sent_current: bool) -> Need {
        if sent_current {
            self.clear();
            Need::Replacement
        } else {
            Need::Fresh
        }
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
    /// requests are held back until `until_ms` too. It never shortens a wait.
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

#[cfg(test)]
mod tests {
    use super::*;

    const SKEW: i64 = 60_000;

    /// A token that arrived at 0, usable until `until`, the two clocks agreeing.
    fn cached(until: i64) -> Cache {
        let mut cache = Cache::default();
        cache.take_fetched(until, until, 0);
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
    fn a_token_inside_the_skew_serves_while_it_is_refreshed_and_an_expired_one_is_fetched() {
        let cache = cached(1_000_000);
        assert_eq!(
            cache.plan(1_000_000 - SKEW, false, SKEW),
            Plan::RefreshAhead
        );
        assert_eq!(cache.plan(999_999, false, SKEW), Plan::RefreshAhead);
        assert_eq!(cache.plan(999_999, true, SKEW), Plan::Fetch);
        assert_eq!(cache.plan(1_000_000, false, SKEW), Plan::Fetch);
        assert_eq!(cache.plan(2_000_000, false, SKEW), Plan::Fetch);
    }

    #[test]
    fn the_cached_token_is_used_until_fresh_until_and_not_from_then_on() {
        for cache in [cached(1_000_000), cached(60_000)] {
            let until = cache.fresh_until(SKEW).unwrap();
            let mut blocked = cache;
            blocked.block_until(2_000_000);
            for now in [0, until / 2, until - 1] {
                assert_eq!(cache.plan(now, false, SKEW), Plan::UseCached);
                assert_eq!(blocked.plan(now, false, SKEW), Plan::UseCached);
            }
            // Then the plan changes (where the server's wait runs, it keeps the valid token).
            assert_eq!(cache.plan(until, false, SKEW), Plan::RefreshAhead);
        }
        assert_eq!(cached(60_000).fresh_until(SKEW), Some(30_000)); // half the lifetime
        assert_eq!(Cache::default().fresh_until(SKEW), None);
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
    fn the_lifetime_counts_from_receipt_on_the_servers_clock() {
        // The server's clock is an hour ahead: it says the token expires at 2h + 1h, with an
        // hour left, and we received it at local time 0.
        let mut cache = Cache::default();
        cache.take_fetched(7_200_000 + 3_600_000, 3_600_000, 0);
        assert_eq!(
            cache.plan(3_600_000 - SKEW - 1, false, SKEW),
            Plan::UseCached
        );
        assert_eq!(
            cache.plan(3_600_000 - SKEW, false, SKEW),
            Plan::RefreshAhead
        );
        assert_eq!(cache.plan(3_600_000, false, SKEW), Plan::Fetch);
        // A stored token's expiry is read through the same offset.
        let mut other = cache;
        other.clear();
        assert!(other.take_stored(Some("t"), Some(10_800_000.0), 0, SKEW));
        assert_eq!(other.ttl_ms(0), Some(3_600_000));
    }

    #[test]
    fn a_stored_entry_is_judged_like_a_fresh_answer() {
        let mut cache = Cache::default();
        assert!(cache.take_stored(Some("abc"), Some(1_000_000.0), 0, SKEW));
        assert_eq!(cache.plan(0, false, SKEW), Plan::UseCached);
        for (token, expires_at) in [
            (None, Some(1_000_000.0)),
            (Some(""), Some(1_000_000.0)),
            (Some("has space"), Some(1_000_000.0)),
            (Some("abc"), None),
            (Some("abc"), Some(f64::NAN)),
            (Some("abc"), Some(f64::INFINITY)),
            (Some("abc"), Some(SKEW as f64)),
        ] {
            let mut cache = Cache::default();
            assert!(!cache.take_stored(token, expires_at, 0, SKEW), "{token:?}");
            assert_eq!(cache.plan(0, false, SKEW), Plan::Fetch);
        }
    }

    #[test]
    fn a_token_that_lives_less_than_the_skew_serves_for_half_its_life() {
        // 30 s on the server's clock, received at local time 1,000.
        let mut cache = Cache::default();
        cache.take_fetched(31_000, 30_000, 1_000);
        assert_eq!(cache.plan(1_000, false, SKEW), Plan::UseCached);
        assert_eq!(cache.plan(15_999, false, SKEW), Plan::UseCached);
        assert_eq!(cache.plan(16_000, false, SKEW), Plan::RefreshAhead);
        assert_eq!(cache.plan(31_000, false, SKEW), Plan::Fetch);
        // A stored token of the same server is judged by the same half.
        let mut other = cache;
        other.clear();
        assert!(other.take_stored(Some("t"), Some(45_000.0), 29_999, SKEW));
        assert!(!other.take_stored(Some("t"), Some(45_000.0), 30_000, SKEW));
        // A long-lived token keeps the skew.
        let mut cache = Cache::default();
        cache.take_fetched(3_600_000, 3_600_000, 0);
        assert_eq!(cache.plan(3_540_000, false, SKEW), Plan::RefreshAhead);
        // Without a fetched token the lifetime is unknown: the skew alone.
        let mut cache = Cache::default();
        assert!(!cache.take_stored(Some("t"), Some(30_000.0), 0, SKEW));
    }

    #[test]
    fn a_401_drops_only_the_token_it_was_sent_with() {
        let mut cache = cached(1_000_000);
        // Sent with a token the client has replaced since: replayed with the newer one.
        assert_eq!(cache.rejected(false), Need::Fresh);
        assert_eq!(cache.plan(0, false, SKEW), Plan::UseCached);
        // Sent with the client's own: dropped, replaced.
        assert_eq!(cache.rejected(true), Need::Replacement);
        assert_eq!(cache.plan(0, false, SKEW), Plan::Fetch);
        // The server's wait still holds the replacement back.
        cache.fail(ErrorCode::InvalidCredentials, None, 0);
        assert!(matches!(cache.plan(0, false, SKEW), Plan::Blocked { .. }));
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
}
