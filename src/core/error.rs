//! The errors of the token client: a stable [`ErrorCode`] and the structured fields each code
//! carries, as `spec/api.md` lists them.
//!
//! Every message is one English sentence. Text that came from the server is redacted (see
//! [`ClientSecret::redact`](super::ClientSecret::redact)) and shortened before it gets here.

use super::text::join;
use super::text::{decimal, one_line};
use alloc::{string::String, vec::Vec};

/// The `code` of a `SehatmuError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// A bad argument, found before any network I/O.
    InvalidArgument,
    /// The server did not accept the client id and secret.
    InvalidCredentials,
    /// The server's rate limit (or the client's guard of it) refuses requests for a while.
    RateLimited,
    /// Any other 4xx.
    RequestRejected,
    /// Any 5xx.
    ServerError,
    /// No HTTP response: refused, reset, DNS, TLS, CORS.
    NetworkError,
    /// `timeoutMs` passed.
    Timeout,
    /// The caller's `signal` aborted.
    Aborted,
    /// A 2xx without a usable token, or a status no token endpoint should answer with.
    InvalidResponse,
}

impl ErrorCode {
    /// The code as JavaScript sees it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArgument => "invalid_argument",
            Self::InvalidCredentials => "invalid_credentials",
            Self::RateLimited => "rate_limited",
            Self::RequestRejected => "request_rejected",
            Self::ServerError => "server_error",
            Self::NetworkError => "network_error",
            Self::Timeout => "timeout",
            Self::Aborted => "aborted",
            Self::InvalidResponse => "invalid_response",
        }
    }
}

/// One entry of a FHIR `OperationOutcome.issue`, its strings as sent (redacted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Issue {
    /// `severity` (the API's own example uses `"invalid"`, which FHIR does not define).
    pub severity: Option<String>,
    /// `code`.
    pub code: Option<String>,
    /// `details.text`.
    pub text: Option<String>,
}

/// A failure, with the fields its code carries. It never holds the client secret.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    /// What kind of failure.
    pub code: ErrorCode,
    /// One readable sentence, with the server's own words where it sent some.
    pub message: String,
    /// `invalid_argument`: the argument or option at fault.
    pub field: Option<&'static str>,
    /// The HTTP status, where there was a response.
    pub status: Option<u16>,
    /// `rate_limited` (and a 5xx with `Retry-After`): how long to wait, in ms.
    pub retry_after_ms: Option<u64>,
    /// The `OperationOutcome` issues of a 4xx.
    pub issues: Option<Vec<Issue>>,
    /// The OAuth 2 `error` code of a 4xx body.
    pub oauth_error: Option<String>,
    /// The response text (at most 2 KiB) of `request_rejected`, `server_error`, `invalid_response`.
    pub body: Option<String>,
    /// `timeout`: the timeout that passed.
    pub timeout_ms: Option<f64>,
}

impl Error {
    /// An error with no extra fields.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            status: None,
            retry_after_ms: None,
            issues: None,
            oauth_error: None,
            body: None,
            timeout_ms: None,
        }
    }

    /// `invalid_argument` for `field`: "`field` must be …".
    pub fn invalid_argument(field: &'static str, must: &str) -> Self {
        Self {
            field: Some(field),
            ..Self::new(
                ErrorCode::InvalidArgument,
                join(&["Invalid ", field, ": it must be ", must, "."]),
            )
        }
    }

    /// `network_error`: no HTTP response from `url`; `detail` is the platform's reason.
    pub fn network(url: &str, detail: &str) -> Self {
        let detail = one_line(detail, 300);
        let message = if detail.is_empty() {
            join(&["Could not reach the SehatMu token endpoint ", url, "."])
        } else {
            join(&[
                "Could not reach the SehatMu token endpoint ",
                url,
                ": ",
                &detail,
            ])
        };
        Self::new(ErrorCode::NetworkError, message)
    }

    /// `timeout`: `timeout_ms` passed before the whole response arrived.
    pub fn timeout(timeout_ms: f64) -> Self {
        // Whole milliseconds are enough for a sentence; the field keeps the exact value.
        let whole = libm::ceil(timeout_ms) as u64;
        Self {
            timeout_ms: Some(timeout_ms),
            ..Self::new(
                ErrorCode::Timeout,
                join(&[
                    "The SehatMu token request timed out after ",
                    &decimal(whole),
                    " ms.",
                ]),
            )
        }
    }

    /// `timeout`: another process held the store's lock for `waited_ms` and stored no token.
    pub fn lock_wait_timeout(waited_ms: u64) -> Self {
        Self {
            timeout_ms: Some(waited_ms as f64),
            ..Self::new(
                ErrorCode::Timeout,
                join(&[
                    "Waited ",
                    &decimal(waited_ms),
                    " ms for another process's token request (the store's lock) and no token \
                     arrived.",
                ]),
            )
        }
    }

    /// `aborted`: the caller's signal aborted the request.
    pub fn aborted() -> Self {
        Self::new(
            ErrorCode::Aborted,
            "The SehatMu token request was aborted by the caller's signal.",
        )
    }

    /// `rate_limited` raised locally, without I/O, while a server-imposed wait runs.
    pub fn rate_limited_locally(retry_after_ms: u64) -> Self {
        Self {
            retry_after_ms: Some(retry_after_ms),
            ..Self::new(
                ErrorCode::RateLimited,
                join(&[
                    "Not sending a token request: the SehatMu server asked to wait ",
                    &decimal(retry_after_ms.div_ceil(1000)),
                    " s more.",
                ]),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_contract_strings() {
        assert_eq!(
            ErrorCode::InvalidCredentials.as_str(),
            "invalid_credentials"
        );
        assert_eq!(ErrorCode::InvalidResponse.as_str(), "invalid_response");
    }

    #[test]
    fn local_rate_limit_rounds_seconds_up() {
        let e = Error::rate_limited_locally(1001);
        assert_eq!(e.retry_after_ms, Some(1001));
        assert!(e.message.contains("2 s"), "{}", e.message);
        assert_eq!(e.status, None);
    }
}
