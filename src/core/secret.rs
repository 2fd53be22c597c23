//! The client secret, kept out of every string the library builds for display.
//!
//! ```
//! use sehatmu_auth::core::ClientSecret;
//! let secret = ClientSecret::new("s3cr3t".to_owned());
//! assert_eq!(format!("{secret:?}"), "ClientSecret([redacted])");
//! assert_eq!(secret.redact("echo s3cr3t"), "echo [redacted]");
//! ```

use alloc::{borrow::ToOwned, string::String};
use core::fmt;

use super::form::form_encode;
use super::text::replace_all;

/// What the secret is replaced with wherever a server echoes it back.
pub const REDACTED: &str = "[redacted]";

/// A client secret: its `Debug` form never shows it, and [`ClientSecret::redact`] removes it
/// from text that came back from a server.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Wraps a secret.
    pub fn new(secret: String) -> Self {
        Self(secret)
    }

    /// The secret itself, for the one place that needs it: the request body.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the secret, as given and as form-encoded, replaced by
    /// [`REDACTED`]. A hostile or buggy server may echo the request body in its error page.
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_owned();
        }
        let plain = replace_all(text, &self.0, REDACTED);
        let encoded = form_encode(&self.0);
        if encoded == self.0 {
            plain
        } else {
            replace_all(&plain, &encoded, REDACTED)
        }
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = ClientSecret::new("top-secret-value".to_owned());
        assert!(!format!("{secret:?}").contains("top-secret"));
        assert!(!format!("{secret:#?}").contains("top-secret"));
    }

    #[test]
    fn redacts_plain_and_form_encoded_echoes() {
        let secret = ClientSecret::new("a b&c".to_owned());
        assert_eq!(
            secret.redact("got a b&c and a+b%26c"),
            "got [redacted] and [redacted]"
        );
    }

    #[test]
    fn redact_leaves_other_text_alone() {
        let secret = ClientSecret::new("xyz".to_owned());
        assert_eq!(secret.redact("nothing here"), "nothing here");
    }
}
