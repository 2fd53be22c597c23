//! Checking the caller's arguments and building the token request, before any I/O.
//!
//! ```
//! use sehatmu_auth::core::{build_request, ClientSecret, ParsedUrl};
//! let base = ParsedUrl {
//!     href: "http://127.0.0.1:8080/".into(),
//!     protocol: "http:".into(),
//!     hostname: "127.0.0.1".into(),
//!     ..ParsedUrl::default()
//! };
//! let secret = ClientSecret::new("s e".to_owned());
//! let request = build_request("id", &secret, Some(&base)).unwrap();
//! assert_eq!(request.url, "http://127.0.0.1:8080/oauth/token?grant_type=client_credentials");
//! assert_eq!(request.body.expose(), "client_id=id&client_secret=s+e&grant_type=client_credentials");
//! ```

use alloc::string::String;
use core::fmt;

use super::text::join;
use super::{form_encode, ClientSecret, Error};

/// The documented sandbox host, used when no `baseUrl` is given.
pub const DEFAULT_BASE_URL: &str = "https://istanbul.muhammadiyah.or.id";

/// The path of the token endpoint under the base URL.
pub const TOKEN_PATH: &str = "/oauth/token";

/// The token URL's query: the grant type, as the API's page writes it there too.
const GRANT_QUERY: &str = "?grant_type=client_credentials";

/// The default of `timeoutMs`.
pub const DEFAULT_TIMEOUT_MS: f64 = 30_000.0;

/// The longest timer the JS platforms keep: a longer `setTimeout` fires at once.
pub const MAX_TIMEOUT_MS: f64 = 2_147_483_647.0;

/// What `baseUrl` must be, for the error that says it is not.
pub const BASE_URL_MUST: &str =
    "an absolute https: URL (http: only for localhost, 127.0.0.0/8 or [::1])";

/// `fetch`'s `init` for every token request besides its body and signal, as one text that the
/// facade hands over in one piece, its parts joined by `\n`: the method; the two headers, name
/// then value (`Content-Type` of the form body, `Accept` of JSON); `redirect: "manual"` (a 307
/// or 308 would send the body, secret included, again to wherever it points); and
/// `credentials: "omit"` (no cookie of the page goes with the secret).
pub const REQUEST_INIT: &str =
    "POST\nContent-Type\napplication/x-www-form-urlencoded\nAccept\napplication/json\nmanual\nomit";

/// A URL as a WHATWG URL parser (JavaScript's `URL`) reports its parts, already normalised
/// (`http://LOCALHOST` has hostname `localhost`, `http://127.1` has `127.0.0.1`).
#[derive(Clone, Debug, Default)]
pub struct ParsedUrl {
    /// `href`.
    pub href: String,
    /// `protocol`, with its colon: `"https:"`.
    pub protocol: String,
    /// `hostname`: IPv6 addresses in brackets.
    pub hostname: String,
    /// `username`.
    pub username: String,
    /// `password`.
    pub password: String,
    /// `search`, with its `?`, or empty.
    pub search: String,
    /// `hash`, with its `#`, or empty.
    pub hash: String,
}

/// The form body of a token request. It holds the secret, so its `Debug` form is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct FormBody(String);

impl FormBody {
    /// The encoded body, to hand to `fetch`.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for FormBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FormBody([redacted])")
    }
}

/// Everything `fetch` needs for one token request, besides [`REQUEST_INIT`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRequest {
    /// `{base}/oauth/token?grant_type=client_credentials`: never holds a credential.
    pub url: String,
    /// The length of `{base}` in `url`.
    base_len: usize,
    /// `client_id`, `client_secret` and `grant_type`, form-encoded.
    pub body: FormBody,
}

/// Whether `hostname` (as `URL` normalises it) is this machine: `localhost`, `127.0.0.0/8` or
/// `[::1]`. Names that merely start like one (`localhost.example.com`, `127.0.0.1.nip.io`)
/// are not.
pub fn is_loopback_host(hostname: &str) -> bool {
    if hostname == "localhost" || hostname == "[::1]" {
        return true;
    }
    // Four decimal octets of at most 255 each, the first 127: read by hand, as `str::parse`
    // and a split into a Vec would cost more of the .wasm than the whole check.
    let mut octets = 0;
    let mut value: u32 = 0;
    let mut digits = 0;
    for byte in hostname.bytes().chain(core::iter::once(b'.')) {
        match byte {
            b'0'..=b'9' if digits < 3 => {
                value = value * 10 + u32::from(byte - b'0');
                digits += 1;
            }
            b'.' if digits > 0 && value <= 255 && (octets > 0 || value == 127) => {
                octets += 1;
                value = 0;
                digits = 0;
            }
            _ => return false,
        }
    }
    octets == 4
}

/// The token endpoint's URL under `base` (the default host where `None`).
///
/// # Errors
/// `invalid_argument` for `baseUrl` unless it is `https:`, or `http:` on a loopback host, with
/// no user name, password, query or fragment.
pub fn token_url(base: Option<&ParsedUrl>) -> Result<String, Error> {
    let Some(base) = base else {
        return Ok(join(&[DEFAULT_BASE_URL, TOKEN_PATH, GRANT_QUERY]));
    };
    let secure = base.protocol == "https:";
    if !(secure || base.protocol == "http:" && is_loopback_host(&base.hostname)) {
        return Err(Error::invalid_argument("baseUrl", BASE_URL_MUST));
    }
    if !base.username.is_empty() || !base.password.is_empty() {
        return Err(Error::invalid_argument(
            "baseUrl",
            "a URL without a user name or password",
        ));
    }
    if !base.search.is_empty() || !base.hash.is_empty() {
        return Err(Error::invalid_argument(
            "baseUrl",
            "a URL without a query or fragment",
        ));
    }
    // Not `trim_end_matches('/')`: its char searcher costs the `.wasm` more than this loop.
    let mut root = base.href.as_str();
    while let Some(shorter) = root.strip_suffix("/") {
        root = shorter;
    }
    Ok(join(&[root, TOKEN_PATH, GRANT_QUERY]))
}

/// A credential argument: `value` is `None` where the caller passed something not a string.
///
/// # Errors
/// `invalid_argument` for `field` where it is missing, not a string or empty.
pub fn credential(field: &'static str, value: Option<String>) -> Result<String, Error> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Error::invalid_argument(field, "a non-empty string"))
}

/// The timer to set, from `timeoutMs`: `None` where the caller turned it off with 0.
/// `value` is `None` where the option was not given, `Some(None)` where it is not a number.
///
/// # Errors
/// `invalid_argument` for `timeoutMs` where it is not a number, negative, not finite or longer
/// than [`MAX_TIMEOUT_MS`].
pub fn timeout(value: Option<Option<f64>>) -> Result<Option<f64>, Error> {
    match value {
        None => Ok(Some(DEFAULT_TIMEOUT_MS)),
        Some(Some(0.0)) => Ok(None),
        Some(Some(ms)) if ms > 0.0 && ms <= MAX_TIMEOUT_MS => Ok(Some(ms)),
        Some(_) => Err(Error::invalid_argument(
            "timeoutMs",
            "a number of milliseconds from 0 (no timeout) to 2147483647",
        )),
    }
}

/// The token request for these credentials at `base` (the default host where `None`).
///
/// # Errors
/// As [`credential`] and [`token_url`].
pub fn build_request(
    client_id: &str,
    secret: &ClientSecret,
    base: Option<&ParsedUrl>,
) -> Result<TokenRequest, Error> {
    let url = token_url(base)?;
    let base_len = url.len() - TOKEN_PATH.len() - GRANT_QUERY.len();
    Ok(TokenRequest {
        url,
        base_len,
        body: form_body(client_id, secret),
    })
}

/// `client_id`, `client_secret` and `grant_type`, form-encoded.
#[inline(always)]
fn form_body(client_id: &str, secret: &ClientSecret) -> FormBody {
    FormBody(join(&[
        "client_id=",
        &form_encode(client_id),
        "&client_secret=",
        &form_encode(secret.expose()),
        "&grant_type=client_credentials",
    ]))
}

impl TokenRequest {
    /// The same request with `secret` in its body: for a secret that comes from a function,
    /// asked for each request.
    pub fn with_secret(&self, client_id: &str, secret: &ClientSecret) -> Self {
        Self {
            url: self.url.clone(),
            base_len: self.base_len,
            body: form_body(client_id, secret),
        }
    }

    /// The base URL the request goes to, without a trailing slash: `https://host/path`.
    pub fn base_url(&self) -> String {
        self.url.get(..self.base_len).unwrap_or_default().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_init_is_a_post_of_a_form_that_follows_no_redirect() {
        let parts: Vec<&str> = REQUEST_INIT.split('\n').collect();
        assert_eq!(
            parts,
            [
                "POST",
                "Content-Type",
                "application/x-www-form-urlencoded",
                "Accept",
                "application/json",
                "manual",
                "omit"
            ]
        );
    }
    use crate::core::ErrorCode;

    fn url(href: &str, protocol: &str, hostname: &str) -> ParsedUrl {
        ParsedUrl {
            href: href.into(),
            protocol: protocol.into(),
            hostname: hostname.into(),
            ..ParsedUrl::default()
        }
    }

    #[test]
    fn default_base_is_the_sandbox_host() {
        assert_eq!(
            token_url(None).unwrap(),
            "https://istanbul.muhammadiyah.or.id/oauth/token?grant_type=client_credentials"
        );
    }

    #[test]
    fn keeps_a_base_path_and_drops_trailing_slashes() {
        let base = url("https://api.example.id/sehat/", "https:", "api.example.id");
        assert_eq!(
            token_url(Some(&base)).unwrap(),
            "https://api.example.id/sehat/oauth/token?grant_type=client_credentials"
        );
        let secret = ClientSecret::new("s".into());
        let request = build_request("id", &secret, Some(&base)).unwrap();
        assert_eq!(request.base_url(), "https://api.example.id/sehat");
    }

    #[test]
    fn a_request_takes_another_secret_and_keeps_its_url() {
        let base = url("http://127.0.0.1:8080", "http:", "127.0.0.1");
        let first = build_request("id", &ClientSecret::new("old".into()), Some(&base)).unwrap();
        let next = first.with_secret("id", &ClientSecret::new("n&w".into()));
        assert_eq!(next.url, first.url);
        assert_eq!(next.base_url(), "http://127.0.0.1:8080");
        assert_eq!(
            next.body.expose(),
            "client_id=id&client_secret=n%26w&grant_type=client_credentials"
        );
    }

    #[test]
    fn drops_every_trailing_slash() {
        let base = url(
            "https://api.example.id/sehat///",
            "https:",
            "api.example.id",
        );
        assert_eq!(
            token_url(Some(&base)).unwrap(),
            "https://api.example.id/sehat/oauth/token?grant_type=client_credentials"
        );
    }

    #[test]
    fn allows_plain_http_on_loopback_only() {
        for host in ["localhost", "127.0.0.1", "127.255.0.9", "[::1]"] {
            let href = format!("http://{host}:3000/");
            assert!(
                token_url(Some(&url(&href, "http:", host))).is_ok(),
                "{host}"
            );
        }
        for host in [
            "localhost.example.com",
            "127.0.0.1.nip.io",
            "128.0.0.1",
            "10.0.0.1",
            "example.com",
            "127.0.0",
            "127.0.0.256",
            "[::2]",
        ] {
            let href = format!("http://{host}/");
            let err = token_url(Some(&url(&href, "http:", host))).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidArgument, "{host}");
            assert_eq!(err.field, Some("baseUrl"));
        }
    }

    #[test]
    fn rejects_other_schemes_credentials_queries_and_fragments() {
        assert!(token_url(Some(&url("ftp://x/", "ftp:", "x"))).is_err());
        assert!(token_url(Some(&url("file:///x", "file:", ""))).is_err());
        let with = |f: fn(&mut ParsedUrl)| {
            let mut u = url("https://x/", "https:", "x");
            f(&mut u);
            token_url(Some(&u)).unwrap_err().field
        };
        assert_eq!(with(|u| u.username = "me".into()), Some("baseUrl"));
        assert_eq!(with(|u| u.password = "pw".into()), Some("baseUrl"));
        assert_eq!(with(|u| u.search = "?a=1".into()), Some("baseUrl"));
        assert_eq!(with(|u| u.hash = "#x".into()), Some("baseUrl"));
    }

    #[test]
    fn credentials_must_be_non_empty_strings() {
        assert_eq!(credential("clientId", Some("a".into())).unwrap(), "a");
        for bad in [None, Some(String::new())] {
            let err = credential("clientSecret", bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidArgument);
            assert_eq!(err.field, Some("clientSecret"));
        }
    }

    #[test]
    fn timeout_defaults_turns_off_and_rejects_bad_numbers() {
        assert_eq!(timeout(None).unwrap(), Some(30_000.0));
        assert_eq!(timeout(Some(Some(0.0))).unwrap(), None);
        assert_eq!(timeout(Some(Some(12.5))).unwrap(), Some(12.5));
        for bad in [
            None,
            Some(-1.0),
            Some(f64::NAN),
            Some(f64::INFINITY),
            Some(MAX_TIMEOUT_MS + 1.0),
        ] {
            let err = timeout(Some(bad)).unwrap_err();
            assert_eq!(err.field, Some("timeoutMs"));
        }
    }

    #[test]
    fn the_body_has_exactly_three_encoded_fields_and_debug_hides_it() {
        let secret = ClientSecret::new("p@ss w=rd&x".into());
        let request = build_request("0d8d.sehatmu.client", &secret, None).unwrap();
        assert_eq!(
            request.body.expose(),
            "client_id=0d8d.sehatmu.client&client_secret=p%40ss+w%3Drd%26x&grant_type=client_credentials"
        );
        assert!(!request.url.contains("p%40ss"));
        assert_eq!(request.base_url(), DEFAULT_BASE_URL);
        let debug = format!("{request:?}");
        assert!(
            !debug.contains("p%40ss") && !debug.contains("p@ss"),
            "{debug}"
        );
    }
}
