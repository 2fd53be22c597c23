//! Retries of a token request after a transient failure: which failures, how many, and how
//! long to back off before each.
//!
//! ```
//! use sehatmu_auth::core::{retry_delay_ms, ErrorCode};
//! // The first retry after a 503 waits below 250 ms; a 401 is never retried.
//! assert!(retry_delay_ms(1, 2, ErrorCode::ServerError, None, 0.5).is_some_and(|ms| ms < 250));
//! assert_eq!(retry_delay_ms(1, 2, ErrorCode::InvalidCredentials, None, 0.5), None);
//! ```

use super::ErrorCode;

/// The default of `retries`: extra tries after `network_error`, `timeout` or `server_error`.
pub const DEFAULT_RETRIES: f64 = 2.0;

/// The most `retries` a client may ask for: more would only hammer a failing server.
pub const MAX_RETRIES: f64 = 10.0;

/// The first backoff's ceiling; each retry doubles it, up to [`BACKOFF_CAP_MS`].
pub const BACKOFF_BASE_MS: f64 = 250.0;

/// The longest backoff ceiling.
pub const BACKOFF_CAP_MS: f64 = 8_000.0;

/// `base` doubled `times` times, exactly.
pub(super) fn doubled(base: f64, times: u32) -> f64 {
    base * (1_u64 << times.min(63)) as f64
}

/// The ceiling of the backoff before retry number `retry` (1 first).
pub(super) fn backoff_ceiling_ms(retry: u32) -> f64 {
    doubled(BACKOFF_BASE_MS, retry.saturating_sub(1)).min(BACKOFF_CAP_MS)
}

/// The delay before retry number `failures` (1 for the first retry) after an error of `code`
/// (and its `retryAfterMs`), or `None` where no retry is due: the error is not transient, or
/// `retries` are used up.
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
    let jittered = (backoff_ceiling_ms(failures) * random.clamp(0.0, 1.0)) as u64;
    Some(jittered.max(retry_after_ms.unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
