//! The decision of one exchange with the token endpoint that is not about its answer: what a
//! fetch that got no answer failed of.
//!
//! ```
//! use sehatmu_auth::core::{no_answer, ErrorCode};
//! assert_eq!(no_answer(true, true), ErrorCode::Timeout);
//! ```

use super::ErrorCode;

/// The code of a fetch that got no HTTP answer: `timeout` where the client's own timer fired
/// (whatever else happened), else `aborted` where the caller's signal aborted, else
/// `network_error`.
pub fn no_answer(timed_out: bool, caller_aborted: bool) -> ErrorCode {
    if timed_out {
        ErrorCode::Timeout
    } else if caller_aborted {
        ErrorCode::Aborted
    } else {
        ErrorCode::NetworkError
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_wins_over_an_abort() {
        assert_eq!(no_answer(true, false), ErrorCode::Timeout);
        assert_eq!(no_answer(false, true), ErrorCode::Aborted);
        assert_eq!(no_answer(false, false), ErrorCode::NetworkError);
    }
}
