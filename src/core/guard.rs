//! The guard against shipping a client secret to browsers: a page that sends one hands it to
//! everyone who opens the page. In a browser, a request with a client secret is refused before
//! any I/O unless the caller opts in (`dangerouslyAllowBrowser: true`) or the base URL is this
//! machine (the mock server, local development). Servers (Node, Deno, Bun, workerd) are never
//! refused.
//!
//! ```
//! use sehatmu_auth::core::{browser_refusal, Runtime};
//! let browser = Runtime { browser_like: true };
//! assert!(browser_refusal(browser, false, false).is_some());
//! assert!(browser_refusal(browser, true, false).is_none()); // the mock on 127.0.0.1
//! assert!(browser_refusal(browser, false, true).is_none()); // opted in
//! assert!(browser_refusal(Runtime { browser_like: false }, false, false).is_none());
//! ```

use super::Error;

/// What the module knows of the runtime it runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Runtime {
    /// A browser page or worker: a `window` or a worker global, and none of Node, Deno, Bun
    /// or workerd.
    pub browser_like: bool,
}

/// The option that opts in.
pub const ALLOW_BROWSER_OPTION: &str = "dangerouslyAllowBrowser";

/// The refusal of a request with a client secret to a base URL that is `loopback` or not, in
/// `runtime`, where the caller did or did not opt in (`allowed`); `None` where it may go.
pub fn browser_refusal(runtime: Runtime, loopback: bool, allowed: bool) -> Option<Error> {
    (runtime.browser_like && !loopback && !allowed).then(|| {
        Error::invalid_argument(
            ALLOW_BROWSER_OPTION,
            "true to send the client secret from a browser, where anyone can read it; \
             keep it on a server with sehatmu-auth/proxy instead",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ErrorCode;

    #[test]
    fn only_a_browser_sending_to_another_host_without_opting_in_is_refused() {
        let browser = Runtime { browser_like: true };
        let server = Runtime {
            browser_like: false,
        };
        let error = browser_refusal(browser, false, false).unwrap();
        assert_eq!(error.code, ErrorCode::InvalidArgument);
        assert_eq!(error.field, Some("dangerouslyAllowBrowser"));
        assert!(
            error.message.contains("sehatmu-auth/proxy"),
            "{}",
            error.message
        );
        for (runtime, loopback, allowed) in [
            (browser, true, false),
            (browser, false, true),
            (server, false, false),
            (server, true, true),
        ] {
            assert!(browser_refusal(runtime, loopback, allowed).is_none());
        }
    }
}
