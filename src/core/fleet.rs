//! Many clients, one token: the rules of a store shared by several processes (such as Redis).
//! The keys a token, its lock and the server's wait are kept under; how long a store call may
//! take; how long the fetching process holds the lock; and how the others wait for its token.
//!
//! ```
//! use sehatmu_auth::core::{lock_ttl_ms, store_key};
//! let key = store_key("https://x/oauth/token?grant_type=client_credentials", "id");
//! assert!(key.ends_with(":id"));
//! // Three tries of 1 s and the two backoff ceilings between them.
//! assert_eq!(lock_ttl_ms(Some(1_000.0), 2), 3_000 + 250 + 500);
//! ```

use super::retry::{backoff_ceiling_ms, doubled};
use super::text::join;
use super::Error;
use alloc::string::String;

/// The key under which a token is shared in a store: the token endpoint and the client id,
/// never the secret. The lock and the shared wait use it with [`LOCK_SUFFIX`] and
/// [`WAIT_SUFFIX`].
pub fn store_key(token_url: &str, client_id: &str) -> String {
    join(&["sehatmu-auth:", token_url, ":", client_id])
}

/// Appended to the store key: the lock that makes one process of many fetch.
pub const LOCK_SUFFIX: &str = ":lock";

/// Appended to the store key: the server-imposed wait, shared between processes.
pub const WAIT_SUFFIX: &str = ":wait";

/// The longest a store call may take: a store that does not answer is then treated as one
/// that failed, and the client goes on without it.
pub const STORE_TIMEOUT_MS: f64 = 5_000.0;

/// How long a store call may take with this `timeoutMs` (`None`: off): [`STORE_TIMEOUT_MS`],
/// or the request's own timeout where that is shorter.
pub fn store_timeout_ms(timeout_ms: Option<f64>) -> f64 {
    timeout_ms.map_or(STORE_TIMEOUT_MS, |ms| ms.min(STORE_TIMEOUT_MS))
}

/// The time one try may take when `timeoutMs` is 0 (off), for the lock's lifetime.
pub const UNTIMED_TRY_MS: u64 = 30_000;

/// How long the fetching process holds the lock: every try at its timeout, and the longest
/// backoffs between them. A holder that dies leaves a lock that expires after this.
pub fn lock_ttl_ms(timeout_ms: Option<f64>, retries: u32) -> u64 {
    let per_try = timeout_ms.map_or(UNTIMED_TRY_MS, |ms| libm::ceil(ms) as u64);
    let backoffs: u64 = (1..=retries).map(|n| backoff_ceiling_ms(n) as u64).sum();
    per_try * (u64::from(retries) + 1) + backoffs
}

/// The pause before look number `polls` (0 first) at the store while another process holds
/// the lock: 50 ms doubling to 1 s, with full jitter (`random` in `[0, 1)`) but never below
/// 10 ms.
pub fn poll_delay_ms(polls: u32, random: f64) -> u64 {
    let ceiling = doubled(50.0, polls.min(10)).min(1_000.0);
    ((ceiling * random.clamp(0.0, 1.0)) as u64).max(10)
}

/// How many holders of the lock, one after another, a waiter waits out before it gives up:
/// the one it found, and successors that took over a lock whose holder died. A store whose
/// lock is never free (a broken one) must not keep a caller waiting for ever.
pub const MAX_LOCK_HOLDERS: u32 = 3;

/// A waiter's patience while other processes hold the store's lock. It follows the lock, not
/// a deadline fixed when the wait began: a holder's lock ends within its lifetime, so a lock
/// still held after that is a successor's, which gets a lifetime of its own.
///
/// ```
/// use sehatmu_auth::core::LockWait;
/// let mut wait = LockWait::new(0, 1_000);
/// assert!(wait.held(900).is_ok());
/// assert!(wait.held(1_500).is_ok()); // a successor took over: another second
/// assert!(wait.held(2_400).is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockWait {
    started_ms: i64,
    holder_deadline_ms: i64,
    lock_ttl_ms: i64,
    holders: u32,
}

impl LockWait {
    /// A wait that began at `now_ms` for a lock that lives `lock_ttl_ms`.
    pub fn new(now_ms: i64, lock_ttl_ms: u64) -> Self {
        let lock_ttl_ms = i64::try_from(lock_ttl_ms).unwrap_or(i64::MAX);
        Self {
            started_ms: now_ms,
            holder_deadline_ms: now_ms.saturating_add(lock_ttl_ms),
            lock_ttl_ms,
            holders: 1,
        }
    }

    /// The lock was found held at `now_ms`: keep waiting, or give up.
    ///
    /// # Errors
    /// `timeout` once [`MAX_LOCK_HOLDERS`] holders in a row held it for their whole lifetime.
    pub fn held(&mut self, now_ms: i64) -> Result<(), Error> {
        if now_ms <= self.holder_deadline_ms {
            return Ok(());
        }
        if self.holders >= MAX_LOCK_HOLDERS {
            let waited = now_ms.saturating_sub(self.started_ms);
            return Err(Error::lock_wait_timeout(u64::try_from(waited).unwrap_or(0)));
        }
        self.holders += 1;
        self.holder_deadline_ms = now_ms.saturating_add(self.lock_ttl_ms);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ErrorCode;

    #[test]
    fn the_lock_outlives_every_try_and_backoff() {
        assert_eq!(lock_ttl_ms(Some(1_000.0), 0), 1_000);
        assert_eq!(lock_ttl_ms(Some(1_000.0), 2), 3_000 + 250 + 500);
        assert_eq!(lock_ttl_ms(None, 0), 30_000);
    }

    #[test]
    fn store_calls_get_five_seconds_or_the_shorter_timeout() {
        assert_eq!(store_timeout_ms(None), 5_000.0);
        assert_eq!(store_timeout_ms(Some(300.0)), 300.0);
        assert_eq!(store_timeout_ms(Some(30_000.0)), 5_000.0);
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
    fn a_waiter_outlasts_a_dead_holder_and_its_slow_successor() {
        let mut wait = LockWait::new(10_000, 2_000);
        assert!(wait.held(12_000).is_ok());
        // The first holder died; a successor took the lock at 12,001 and takes seconds.
        assert!(wait.held(12_100).is_ok());
        assert!(wait.held(14_100).is_ok());
        assert!(wait.held(14_200).is_ok()); // a third holder
        assert!(wait.held(16_200).is_ok());
        let error = wait.held(16_300).unwrap_err();
        assert_eq!(error.code, ErrorCode::Timeout);
        assert_eq!(error.timeout_ms, Some(6_300.0));
    }
}
