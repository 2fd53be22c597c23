//! The rules of `sehatmu-auth/proxy`, the backend for front ends: which options it takes, which
//! request paths it forwards and to which URL, and which headers pass each way. `js/proxy.js`
//! does the I/O (the `Request`, the body, the `Response`, Node's objects) and asks these.
//!
//! ```
//! use sehatmu_auth::core::{ParsedUrl, ProxyRoutes, Upstream};
//! let url = ParsedUrl {
//!     href: "https://api.example/api/".into(),
//!     protocol: "https:".into(),
//!     hostname: "api.example".into(),
//!     ..ParsedUrl::default()
//! };
//! let upstream = Upstream::Given { raw: "https://api.example/api/", url: Some(&url) };
//! let routes = ProxyRoutes::new(Some(Some("/sehatmu")), None, upstream).unwrap();
//! assert_eq!(
//!     routes.route("/sehatmu/fhir/Patient?_count=1").unwrap(),
//!     "https://api.example/api/fhir/Patient?_count=1"
//! );
//! assert_eq!(routes.route("/sehatmu/fhir/../oauth/token"), Err(400));
//! assert_eq!(routes.route("/sehatmu/fhir/oauth/token"), Err(404));
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use super::text::join;
use super::{is_loopback_host, Error, ParsedUrl};

/// The browser's request headers that reach the API; every other one (Cookie, Authorization,
/// Origin, Host, X-Forwarded-*, …) stays behind.
pub const PROXY_REQUEST_HEADERS: [&str; 9] = [
    "accept",
    "accept-language",
    "content-type",
    "if-match",
    "if-modified-since",
    "if-none-exist",
    "if-none-match",
    "if-unmodified-since",
    "prefer",
];

/// The API's response headers that never come back: hop-by-hop ones, cookies, and the API's own
/// origin policies (as are those a `Connection` header names, and [`DROPPED_RESPONSE_PREFIX`]'s).
pub const DROPPED_RESPONSE_HEADERS: [&str; 13] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "set-cookie",
    "set-cookie2",
    "alt-svc",
    "strict-transport-security",
];

/// Response headers that start so are dropped too: the API's CORS answers are not the app's.
pub const DROPPED_RESPONSE_PREFIX: &str = "access-control-";

/// Content codings that every `fetch` (undici, Deno, Bun, workerd) decodes by itself: an answer
/// in only these loses its `Content-Encoding` and `Content-Length`, which no longer describe
/// the body that goes back.
pub const DECODED_BY_FETCH: [&str; 5] = ["gzip", "x-gzip", "deflate", "br", "identity"];

/// Statuses whose answer has no body (as for a `HEAD`): the API's is not passed on.
pub const NULL_BODY_STATUSES: [u16; 5] = [101, 103, 204, 205, 304];

/// The default of `paths`: the FHIR API.
pub const DEFAULT_PROXY_PATHS: [&str; 1] = ["/fhir/"];

/// The default of `maxBodyBytes`: 10 MiB.
pub const DEFAULT_PROXY_BODY_BYTES: f64 = 10_485_760.0;

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// What `upstream` must be, for the error that says it is not.
const UPSTREAM_MUST: &str = "an absolute https: URL (http: only for localhost, 127.0.0.0/8 or [::1]) with no credentials, query or fragment";

/// What a path option (`prefix`, each of `paths`) must be.
const PATH_OPTION_MUST: &str = r#"a path that starts with "/", with no dot or empty segment, backslash or %2e, %2f, %5c or %25"#;

/// The `upstream` option as the facade read it.
#[derive(Clone, Copy, Debug)]
pub enum Upstream<'a> {
    /// Neither `upstream` nor a `baseUrl` of the client's.
    Unknown,
    /// A value, `raw`, that is not a string (then `raw` is empty), or that JS `URL` parsed as
    /// `url` (`None`: it could not).
    Given {
        /// The value as given.
        raw: &'a str,
        /// What `URL` made of it.
        url: Option<&'a ParsedUrl>,
    },
}

/// `maxBodyBytes` as given (`None` where absent, `Some(None)` where not a number), checked.
///
/// # Errors
/// `invalid_argument` unless it is a safe integer, 0 or more.
pub fn proxy_body_limit(value: Option<Option<f64>>) -> Result<f64, Error> {
    match value {
        None => Ok(DEFAULT_PROXY_BODY_BYTES),
        Some(Some(n)) if libm::trunc(n) == n && (0.0..=MAX_SAFE_INTEGER).contains(&n) => Ok(n),
        Some(_) => Err(Error::invalid_argument(
            "maxBodyBytes",
            "a whole number of bytes, 0 or more",
        )),
    }
}

/// Where a proxy forwards to, and which of the request paths it receives it forwards: made from
/// the checked `prefix`, `paths` and `upstream`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyRoutes {
    /// The mount path, stripped before forwarding: empty or `/…` with no trailing slash.
    prefix: String,
    /// The path prefixes the proxy may reach (after `prefix`).
    paths: Vec<String>,
    /// The upstream's origin.
    origin: String,
    /// The upstream's path without trailing slashes: empty or `/…`.
    base_path: String,
}

impl ProxyRoutes {
    /// The routes of `prefix` (`None`: not given; `Some(None)`: not a string), `paths` (`None`:
    /// not given; `Some(None)`: not an array; an entry `None`: not a string) and `upstream`,
    /// checked in that order.
    ///
    /// # Errors
    /// `invalid_argument` for the first option at fault, with its name as `field`.
    pub fn new(
        prefix: Option<Option<&str>>,
        paths: Option<Option<&[Option<String>]>>,
        upstream: Upstream<'_>,
    ) -> Result<Self, Error> {
        let prefix = path_option("prefix", prefix.unwrap_or(Some("")), true)?;
        let prefix = prefix.strip_suffix('/').unwrap_or(prefix);
        let paths = match paths {
            None => DEFAULT_PROXY_PATHS.iter().map(|&p| p.into()).collect(),
            Some(Some(paths)) if !paths.is_empty() => paths
                .iter()
                .map(|p| path_option("paths", p.as_deref(), false).map(String::from))
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(Error::invalid_argument(
                    "paths",
                    "a non-empty array of path prefixes",
                ))
            }
        };
        let (origin, base_path) = upstream_base(upstream)?;
        Ok(Self {
            prefix: prefix.into(),
            paths,
            origin,
            base_path,
        })
    }

    /// The upstream URL for a raw request-target (its path and query, as the client sent it),
    /// or the status that refuses it: 400 for a malformed path (a dot or empty segment, a
    /// backslash, `%2e`, `%2f`, `%5c` or `%25`, a byte that the URL parser would drop or end
    /// the path at), 404 for one outside `prefix` + `paths` or one that names the token
    /// endpoint once joined to the upstream's path. The query is passed on as it is.
    ///
    /// # Errors
    /// The status: 400 or 404.
    pub fn route(&self, target: &str) -> Result<String, u16> {
        let (raw, query) = cut(target, b'?').unwrap_or((target, ""));
        let path = self.path_rule(raw)?;
        // Joined: the upstream's own path may end in `/oauth` and the forwarded one start with
        // `/token`. No byte of either changes as a URL parser reads them (see `malformed`), so
        // this is the path the upstream receives.
        if names_token_endpoint(&self.base_path, path) {
            return Err(404);
        }
        Ok(join(&[&self.origin, &self.base_path, path, query]))
    }

    /// The path to forward (after `prefix`) of a raw request path (no query), or the status
    /// that refuses it.
    fn path_rule<'t>(&self, raw: &'t str) -> Result<&'t str, u16> {
        if malformed(raw) {
            return Err(400);
        }
        let Some(path) = raw.strip_prefix(self.prefix.as_str()) else {
            return Err(404);
        };
        if !path.starts_with('/') {
            return Err(404);
        }
        let reachable = self
            .paths
            .iter()
            .any(|p| match path.strip_prefix(p.as_str()) {
                Some(rest) => p.ends_with('/') || rest.is_empty() || rest.starts_with('/'),
                None => false,
            });
        if reachable {
            Ok(path)
        } else {
            Err(404)
        }
    }
}

/// Whether a raw path is one the proxy refuses to read (400): one that does not start with
/// `/`; a byte that a WHATWG URL parser drops, strips or ends the path at (controls, space,
/// DEL, `#`); a backslash (which it reads as `/`); a dot segment; an empty segment (a trailing
/// slash excepted); any `%2e`, `%2f`, `%5c`, or `%25`, which a second decoding would turn into
/// one of them. What passes, the parser leaves as it is (percent-encoding other bytes at most).
fn malformed(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    if bytes.first() != Some(&b'/') {
        return true;
    }
    let encoded = |at: usize| match bytes.get(at + 1..at + 3) {
        Some(&[high, low]) => matches!(
            [high, low.to_ascii_lowercase()],
            [b'2', b'e' | b'f' | b'5'] | [b'5', b'c']
        ),
        _ => false,
    };
    for (at, &byte) in bytes.iter().enumerate() {
        let refused = match byte {
            0..=0x20 | 0x7f | b'#' | b'\\' => true,
            b'%' => encoded(at),
            _ => false,
        };
        if refused {
            return true;
        }
    }
    let mut segments = segments(raw).peekable();
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        if segment == b"." || segment == b".." || (segment.is_empty() && !last) {
            return true;
        }
    }
    false
}

/// Whether `base` + `path` has the segments `oauth` then `token` (any case, any letter
/// percent-encoded), the token endpoint's, anywhere: whatever the prefix or the paths allow,
/// the proxy never reaches it.
fn names_token_endpoint(base: &str, path: &str) -> bool {
    let mut previous_is_oauth = false;
    for segment in segments(base).chain(segments(path)) {
        if previous_is_oauth && spells(segment, b"token") {
            return true;
        }
        previous_is_oauth = spells(segment, b"oauth");
    }
    false
}

/// Whether `segment` is `word` (lower-case ASCII letters) in any case, each letter as it is or
/// percent-encoded: `%6Fauth` is `oauth` to a server that decodes the path before it routes it
/// (RFC 3986 makes them equivalent), though not to the URL parser.
fn spells(segment: &[u8], word: &[u8]) -> bool {
    let hex = |digit: Option<&u8>| char::from(*digit?).to_digit(16);
    let mut bytes = segment.iter();
    let mut letters = word.iter();
    loop {
        let byte = match bytes.next() {
            Some(b'%') => match (hex(bytes.next()), hex(bytes.next())) {
                (Some(high), Some(low)) => (high * 16 + low) as u8,
                _ => return false,
            },
            Some(&byte) => byte,
            None => return letters.next().is_none(),
        };
        if letters.next() != Some(&byte.to_ascii_lowercase()) {
            return false;
        }
    }
}

// No `split`, `split_once` or slicing by index in this file: the bounds checks of their
// searchers would bring Rust's formatting machinery into the .wasm (10 KB of it, measured).

/// `text` before and from the first `byte` (an ASCII one), if it holds one.
fn cut(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == byte)?;
    Some((text.get(..at)?, text.get(at..)?))
}

/// The segments of `path` (empty, or `/` then segments separated by `/`).
fn segments(path: &str) -> Segments<'_> {
    Segments(path.as_bytes().get(1..))
}

/// The iterator of [`segments`]: what is left to read.
struct Segments<'a>(Option<&'a [u8]>);

impl<'a> Iterator for Segments<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.0?;
        let end = rest.iter().position(|&b| b == b'/');
        self.0 = end.and_then(|at| rest.get(at + 1..));
        end.map_or(Some(rest), |at| rest.get(..at))
    }
}

/// A path option (`prefix` or an entry of `paths`; `None` where not a string) that the path rule
/// itself would pass; `prefix` may be empty.
fn path_option<'v>(
    field: &'static str,
    value: Option<&'v str>,
    empty: bool,
) -> Result<&'v str, Error> {
    let value = value.ok_or_else(|| Error::invalid_argument(field, "a string"))?;
    if value.is_empty() && empty {
        return Ok(value);
    }
    // A trailing slash is allowed: what the rule sees of it is a path under it.
    let under = value.ends_with('/').then(|| join(&[value, "x"]));
    if malformed(under.as_deref().unwrap_or(value)) {
        return Err(Error::invalid_argument(field, PATH_OPTION_MUST));
    }
    Ok(value)
}

/// The upstream's origin, and its path without trailing slashes.
fn upstream_base(upstream: Upstream<'_>) -> Result<(String, String), Error> {
    let (raw, url) = match upstream {
        Upstream::Unknown => return Err(Error::invalid_argument(
            "upstream",
            "given where the client is picked for each request, or does not tell its baseUrl yet",
        )),
        Upstream::Given { raw, url } => (raw, url),
    };
    let refused = || Error::invalid_argument("upstream", UPSTREAM_MUST);
    let url = url.ok_or_else(refused)?;
    let secure =
        url.protocol == "https:" || url.protocol == "http:" && is_loopback_host(&url.hostname);
    let bare = url.username.is_empty()
        && url.password.is_empty()
        && url.search.is_empty()
        && url.hash.is_empty()
        && !raw.bytes().any(|b| b == b'?' || b == b'#');
    if !(secure && bare) {
        return Err(refused());
    }
    // `href` of an http(s): URL with no credentials is `origin` then the path.
    let after_scheme = url.href.strip_prefix(url.protocol.as_str());
    let rest = after_scheme.and_then(|rest| rest.strip_prefix("//"));
    let rest = rest.ok_or_else(refused)?;
    let (host, mut path) = cut(rest, b'/').unwrap_or((rest, ""));
    while let Some(shorter) = path.strip_suffix('/') {
        path = shorter;
    }
    Ok((join(&[&url.protocol, "//", host]), path.into()))
}

#[cfg(test)]
#[path = "proxy_tests.rs"]
mod tests;
