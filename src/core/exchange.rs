//! The decisions of one exchange with the token endpoint that are not about its answer: how
//! to read the body, and what a fetch that got no answer failed of.
//!
//! ```
//! use sehatmu_auth::core::{read_body_whole, no_answer, ErrorCode};
//! assert!(read_body_whole("default", Some("312"), None));
//! assert!(!read_body_whole("cors", Some("312"), None));
//! assert_eq!(no_answer(true, true), ErrorCode::Timeout);
//! ```

use super::{parse_decimal, ErrorCode, MAX_BODY_BYTES};

/// Whether the body may be read whole (`Response.text()`, one step) rather than from its
/// stream, chunk by chunk, up to [`MAX_BODY_BYTES`]: only where its length is known to be
/// within that limit. That needs a `Content-Length` within it and no `Content-Encoding` (the
/// length of a compressed body says nothing of its decoded size), both visible: a `cors`
/// response hides `Content-Encoding` from JavaScript, an `opaque` one every header.
pub fn read_body_whole(
    response_type: &str,
    content_length: Option<&str>,
    content_encoding: Option<&str>,
) -> bool {
    let headers_visible = response_type == "basic" || response_type == "default";
    let identity = match content_encoding {
        None => true,
        Some(encoding) => encoding.trim().eq_ignore_ascii_case("identity"),
    };
    let within = content_length
        .and_then(parse_decimal)
        .is_some_and(|n| n <= MAX_BODY_BYTES as f64);
    headers_visible && identity && within
}

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
    fn a_body_is_read_whole_only_when_its_size_is_known_and_within_the_limit() {
        assert!(read_body_whole("basic", Some("0"), None));
        assert!(read_body_whole(
            "default",
            Some("1048576"),
            Some("identity")
        ));
        assert!(!read_body_whole("default", Some("1048577"), None));
        assert!(!read_body_whole("default", None, None));
        assert!(!read_body_whole("default", Some("12, 12"), None));
        assert!(!read_body_whole("default", Some("100"), Some("gzip")));
        assert!(!read_body_whole("cors", Some("100"), None));
        assert!(!read_body_whole("opaqueredirect", Some("100"), None));
    }

    #[test]
    fn a_timeout_wins_over_an_abort() {
        assert_eq!(no_answer(true, false), ErrorCode::Timeout);
        assert_eq!(no_answer(false, true), ErrorCode::Aborted);
        assert_eq!(no_answer(false, false), ErrorCode::NetworkError);
    }
}
