//! Turning the token endpoint's answer into a [`Token`] or an [`Error`], as the rulings of
//! `spec/access-token.md` and the contract of `spec/api.md` say.
//!
//! ```
//! use sehatmu_auth::core::{interpret, ClientSecret, Loose, ResponseBody, ResponseMeta};
//! let body = ResponseBody::read(|name| match name {
//!     "access_token" => Some(Loose::Str("abc".into())),
//!     "expires_in" => Some(Loose::Num(3600.0)),
//!     _ => None,
//! });
//! let meta = ResponseMeta { status: 200, retry_after: None, date: None, received_at_ms: 1_000, body_too_large: false };
//! let token = interpret(&meta, "", Some(&body), &ClientSecret::new("s".into())).unwrap();
//! assert_eq!((token.access_token.as_str(), token.expires_at_ms), ("abc", 3_601_000));
//! ```

use super::body::{Loose, ResponseBody};
use super::text::join;
use super::text::{contains_ignore_ascii_case, decimal, one_line, truncate_bytes};
use super::time::{
    format_iso, parse_decimal, parse_http_date, parse_iso, MAX_INSTANT_MS, MIN_INSTANT_MS,
};
use super::{ClientSecret, Error, ErrorCode, Issue};
use alloc::{borrow::ToOwned, string::String, vec::Vec};

/// The most of a response body that the client reads: no token endpoint sends more, and a
/// hostile one must not make the client hold an unbounded body.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The most of a response body that an error keeps in `body`.
pub const MAX_ERROR_BODY_BYTES: usize = 2048;

/// How long the server wants a client to wait when it does not say: its documented rate limit.
pub const DEFAULT_RETRY_AFTER_MS: u64 = 60_000;

/// The largest integer a JS number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// How many characters of the server's own words an error message quotes.
const MAX_QUOTED_CHARS: usize = 300;

/// What the client knows of a response besides its body.
#[derive(Clone, Copy, Debug)]
pub struct ResponseMeta<'a> {
    /// The HTTP status (0 for a browser's opaque redirect).
    pub status: u16,
    /// The `Retry-After` header.
    pub retry_after: Option<&'a str>,
    /// The `Date` header: the server's clock.
    pub date: Option<&'a str>,
    /// The local clock when the response arrived, ms since the epoch.
    pub received_at_ms: i64,
    /// Whether the body was longer than [`MAX_BODY_BYTES`] (the text is its start).
    pub body_too_large: bool,
}

/// Whether `text` can be a bearer token: not empty, visible ASCII only. The one rule for a
/// token from the server and a token read back from a store.
pub fn is_bearer_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic())
}

/// A body's bytes as text, as `Response.text()` decodes them: UTF-8, a leading byte-order
/// mark dropped, each invalid sequence replaced by U+FFFD.
pub fn decode_body(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8_lossy(bytes).into_owned()
}

/// Where the token's `client` comes from: what `AccessToken.client` is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientField {
    /// The body's own `client` object, to be passed on as sent.
    FromBody,
    /// Only a SATUSEHAT-style `developer.email`: `{ email }`.
    DeveloperEmail(String),
    /// None.
    Absent,
}

/// A usable token, normalised from any documented success shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The bearer token: never empty, visible ASCII only.
    pub access_token: String,
    /// The server's expiry, ms since the epoch (`expires_in` counted from `issued_at`, or from
    /// the local moment of receipt where there is none).
    pub expires_at_ms: i64,
    /// The same instant as `Date.prototype.toISOString` writes it.
    pub expires_at_iso: String,
    /// How long the token has left at receipt, measured on the server's clock where the
    /// response has a `Date` header: what a cache should count from its local receipt time.
    pub lifetime_ms: i64,
    /// `clientId` / `client_id`.
    pub client_id: Option<String>,
    /// `userId`.
    pub user_id: Option<String>,
    /// The `client` to report.
    pub client: ClientField,
    /// Whether the body has a `user` object to pass on.
    pub has_user: bool,
}

/// Judges a response. `body` is the parsed JSON where the text was a JSON object, else `None`.
///
/// # Errors
/// Every failure code that a response can produce: `invalid_credentials`, `rate_limited`,
/// `request_rejected`, `server_error` and `invalid_response`.
pub fn interpret(
    meta: &ResponseMeta,
    text: &str,
    body: Option<&ResponseBody>,
    secret: &ClientSecret,
) -> Result<Token, Error> {
    // Every instant `iso` is given lies in format_iso's range, so it never falls back.
    interpret_with(meta, text, body, secret, &|ms| {
        format_iso(ms).unwrap_or_default()
    })
}

/// [`interpret`], with `iso` to write an instant as `Date.prototype.toISOString` does: the
/// facade passes the platform's own, which writes the same text as [`format_iso`] (the core's
/// formatter then stays out of the `.wasm`, 0.3 KB gzipped). Formatting is all `iso` does: which
/// instant, and whether it has a four-digit year ([`MIN_INSTANT_MS`] to [`MAX_INSTANT_MS`],
/// the only ones `iso` is given), is decided here.
///
/// # Errors
/// As [`interpret`].
pub fn interpret_with(
    meta: &ResponseMeta,
    text: &str,
    body: Option<&ResponseBody>,
    secret: &ClientSecret,
    iso: &dyn Fn(i64) -> String,
) -> Result<Token, Error> {
    let status = meta.status;
    // A token, the common answer, first: the words an error would quote are not worked out for it.
    let not_a_token = match body {
        Some(body) if (200..=299).contains(&status) && !meta.body_too_large => {
            match token(meta, body, iso) {
                Ok(token) => return Ok(token),
                Err(reason) => Some(reason),
            }
        }
        _ => None,
    };
    let server_words = server_words(text, body, secret);
    let with_body = |error: Error| Error {
        body: Some(truncate_bytes(&secret.redact(text), MAX_ERROR_BODY_BYTES)),
        ..error
    };
    let http = decimal(status.into());
    // Each branch gives a code and a message, and one `Error` is built of them: an `Error` per
    // branch would write its construction out again each time in the `.wasm`.
    let (code, message, retry_after_ms) = match status {
        200..=299 if meta.body_too_large => (
            ErrorCode::InvalidResponse,
            join(&[
                "SehatMu answered HTTP ",
                &http,
                " with a body larger than 1 MiB, which no token response is.",
            ]),
            None,
        ),
        200..=299 => {
            let reason = match not_a_token {
                Some(reason) => reason,
                None if text.trim().is_empty() => "the body is empty".to_owned(),
                None => "the body is not a JSON object".to_owned(),
            };
            let message = join(&[
                "SehatMu answered HTTP ",
                &http,
                " without a usable token: ",
                &reason,
            ]);
            (
                ErrorCode::InvalidResponse,
                quoting(message, &server_words),
                None,
            )
        }
        400..=499 => {
            return Err(client_error(
                meta,
                &http,
                body,
                secret,
                &server_words,
                with_body,
            ))
        }
        500..=599 => (
            ErrorCode::ServerError,
            quoting(
                join(&["The SehatMu token endpoint failed with HTTP ", &http]),
                &server_words,
            ),
            retry_after_ms(meta),
        ),
        _ => (
            ErrorCode::InvalidResponse,
            join(&[
                "SehatMu answered the token request with HTTP ",
                &http,
                ", which is not an answer of a token endpoint (token requests never follow \
                 redirects).",
            ]),
            None,
        ),
    };
    Err(with_body(Error {
        status: Some(status),
        retry_after_ms,
        ..Error::new(code, message)
    }))
}

/// The error of a 4xx answer, whose status `http` is written in decimal.
fn client_error(
    meta: &ResponseMeta,
    http: &str,
    body: Option<&ResponseBody>,
    secret: &ClientSecret,
    server_words: &str,
    with_body: impl Fn(Error) -> Error,
) -> Error {
    let status = meta.status;
    let issues = body.and_then(|b| issues(b, secret));
    let oauth_error = body
        .and_then(|b| b.error.as_ref())
        .and_then(Loose::as_str)
        .map(|e| secret.redact(e));
    let any_text = |needle: &str| {
        issues.iter().flatten().any(|issue| {
            issue
                .text
                .as_deref()
                .is_some_and(|t| contains_ignore_ascii_case(t, needle))
        })
    };
    let rate_limited = status == 429 || any_text("rate limit");
    let bad_credentials = status == 401
        || (status == 400
            && (any_text("not able to be authenticated")
                || oauth_error.as_deref() == Some("invalid_client")));
    // The code and message first, then one `Error` that takes the issues and the OAuth code:
    // an `Error` built per branch would clone them for each (more code in the `.wasm`).
    let (code, message, retry_after_ms) = if rate_limited {
        let wait = retry_after_ms(meta).unwrap_or(DEFAULT_RETRY_AFTER_MS);
        let message = join(&[
            "SehatMu is rate-limiting this client id: retry in ",
            &decimal(wait.div_ceil(1000)),
            " s (HTTP ",
            http,
            ")",
        ]);
        (ErrorCode::RateLimited, message, Some(wait))
    } else if bad_credentials {
        let message = join(&[
            "SehatMu did not accept the client id and secret (HTTP ",
            http,
            ")",
        ]);
        (ErrorCode::InvalidCredentials, message, None)
    } else {
        let message = join(&["SehatMu rejected the token request with HTTP ", http]);
        (ErrorCode::RequestRejected, message, None)
    };
    let error = Error {
        status: Some(status),
        retry_after_ms,
        issues,
        oauth_error,
        ..Error::new(code, quoting(message, server_words))
    };
    // Of the 4xx codes, only `request_rejected` carries the body (spec/api.md).
    if code == ErrorCode::RequestRejected {
        with_body(error)
    } else {
        error
    }
}

/// `message` and, where the server said something, `: words`; then a full stop.
fn quoting(message: String, words: &str) -> String {
    // The last character matched, not `ends_with([…])`: that char-set searcher costs the
    // `.wasm` more.
    if words.is_empty() {
        message + "."
    } else if matches!(words.chars().next_back(), Some('.' | '!' | '?' | '…')) {
        join(&[&message, ": ", words])
    } else {
        join(&[&message, ": ", words, "."])
    }
}

/// The server's own words, redacted and on one line: the `OperationOutcome` texts, the OAuth
/// `error_description` / `error`, or the text of a body that is not a JSON object.
fn server_words(text: &str, body: Option<&ResponseBody>, secret: &ClientSecret) -> String {
    let words = match body {
        None => text.to_owned(),
        Some(body) => {
            let texts: Vec<String> = issues(body, secret)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|i| i.text)
                .collect();
            let error = body.error.as_ref().and_then(Loose::as_str);
            let description = body.error_description.as_ref().and_then(Loose::as_str);
            if !texts.is_empty() {
                let mut joined = String::new();
                for (n, text) in texts.iter().enumerate() {
                    if n > 0 {
                        joined.push_str("; ");
                    }
                    joined.push_str(text);
                }
                joined
            } else {
                match (error, description) {
                    (Some(e), Some(d)) => join(&[e, ": ", d]),
                    (Some(s), None) | (None, Some(s)) => s.to_owned(),
                    (None, None) => String::new(),
                }
            }
        }
    };
    one_line(&secret.redact(&words), MAX_QUOTED_CHARS)
}

/// The `OperationOutcome` issues of a body that has an `issue` array.
fn issues(body: &ResponseBody, secret: &ClientSecret) -> Option<Vec<Issue>> {
    let Some(Loose::Array(items)) = &body.issue else {
        return None;
    };
    let text = |v: Option<&Loose>| v.and_then(Loose::as_str).map(|s| secret.redact(s));
    Some(
        items
            .iter()
            .filter(|item| item.is_object())
            .map(|item| Issue {
                severity: text(item.get("severity")),
                code: text(item.get("code")),
                text: text(item.get("details").and_then(|d| d.get("text"))),
            })
            .collect(),
    )
}

/// `Retry-After` in ms: delta-seconds, or an HTTP-date counted from the server's `Date`
/// (the local receipt time where there is none). `None` where absent or unreadable.
fn retry_after_ms(meta: &ResponseMeta) -> Option<u64> {
    let value = meta.retry_after?.trim();
    if let Some(seconds) = parse_decimal(value) {
        return Some(libm::ceil(seconds * 1000.0) as u64);
    }
    let at = parse_http_date(value)?;
    let now = server_now(meta);
    Some(u64::try_from(at.saturating_sub(now)).unwrap_or(0))
}

/// The server's clock at receipt: its `Date` header, else the local clock.
fn server_now(meta: &ResponseMeta) -> i64 {
    meta.date
        .and_then(parse_http_date)
        .unwrap_or(meta.received_at_ms)
}

/// The latest the server's clock can have read at receipt, for a token's lifetime: a `Date`
/// header counts whole seconds, so the moment it stands for may be up to 999 ms later. A
/// lifetime counted from it is then never longer than the token's, and a cached token is never
/// served past its expiry.
fn server_now_latest(meta: &ResponseMeta) -> i64 {
    match meta.date.and_then(parse_http_date) {
        Some(date) => date.saturating_add(999),
        None => meta.received_at_ms,
    }
}

/// The token of a 2xx JSON object, or why there is none.
fn token(
    meta: &ResponseMeta,
    body: &ResponseBody,
    iso: &dyn Fn(i64) -> String,
) -> Result<Token, String> {
    let access_token = access_token(ResponseBody::pick(
        &body.access_token_camel,
        &body.access_token,
    ))?;
    match ResponseBody::pick(&body.token_type_camel, &body.token_type) {
        None => {}
        Some(Loose::Str(t))
            if t.eq_ignore_ascii_case("bearer") || t.eq_ignore_ascii_case("bearertoken") => {}
        Some(Loose::Str(t)) => {
            return Err(join(&[
                "its token type \"",
                &one_line(t, 40),
                "\" is not Bearer",
            ]))
        }
        Some(_) => return Err("its token type is not a string".to_owned()),
    }
    let (expires_at_ms, lifetime_ms) = expiry(meta, body)?;
    if !(MIN_INSTANT_MS..=MAX_INSTANT_MS).contains(&expires_at_ms) {
        return Err("its expiry lies beyond the year 9999".to_owned());
    }
    let expires_at_iso = iso(expires_at_ms);
    if lifetime_ms <= 0 {
        return Err(join(&[
            "its expiry ",
            &expires_at_iso,
            " has already passed",
        ]));
    }
    let string = |v: Option<&Loose>| v.and_then(Loose::as_str).map(str::to_owned);
    let client = match (
        &body.client,
        body.developer.as_ref().and_then(|d| d.get("email")),
    ) {
        (Some(c), _) if c.is_object() => ClientField::FromBody,
        (_, Some(Loose::Str(email))) => ClientField::DeveloperEmail(email.clone()),
        _ => ClientField::Absent,
    };
    Ok(Token {
        access_token,
        expires_at_ms,
        expires_at_iso,
        lifetime_ms,
        client_id: string(ResponseBody::pick(&body.client_id_camel, &body.client_id)),
        user_id: string(body.user_id.as_ref()),
        client,
        has_user: body.user.as_ref().is_some_and(Loose::is_object),
    })
}

fn access_token(value: Option<&Loose>) -> Result<String, String> {
    match value {
        None => Err("it has no accessToken or access_token".to_owned()),
        Some(Loose::Str(s)) if is_bearer_token(s) => Ok(s.clone()),
        Some(Loose::Str(_)) => {
            Err("its token is empty or has characters a bearer token cannot have".to_owned())
        }
        Some(Loose::Num(n)) if libm::trunc(*n) == *n && n.abs() <= MAX_SAFE_INTEGER => {
            // A safe integer: the cast is exact.
            let digits = decimal((*n as i64).unsigned_abs());
            Ok(if *n < 0.0 {
                join(&["-", &digits])
            } else {
                digits
            })
        }
        Some(Loose::Num(_)) => Err(
            "its token is a number that JSON parsing cannot keep exactly (not a safe integer)"
                .to_owned(),
        ),
        Some(_) => Err("its token is neither a string nor a number".to_owned()),
    }
}

/// `(expires_at_ms, lifetime_ms)`, or why the body states no usable expiry.
fn expiry(meta: &ResponseMeta, body: &ResponseBody) -> Result<(i64, i64), String> {
    let absolute = body
        .access_token_expires_at
        .as_ref()
        .and_then(Loose::as_str)
        .and_then(parse_iso);
    if let Some(at) = absolute {
        return Ok((at, at.saturating_sub(server_now_latest(meta))));
    }
    let seconds = match &body.expires_in {
        Some(Loose::Num(n)) => Some(*n),
        Some(Loose::Str(s)) => parse_decimal(s),
        _ => None,
    };
    let Some(seconds) = seconds.filter(|s| s.is_finite() && *s >= 0.0) else {
        return Err(
            if body.access_token_expires_at.is_some() || body.expires_in.is_some() {
                "its expiry (accessTokenExpiresAt or expires_in) is not readable".to_owned()
            } else {
                "it states no expiry (accessTokenExpiresAt or expires_in)".to_owned()
            },
        );
    };
    let lifetime = seconds * 1000.0;
    if lifetime > MAX_INSTANT_MS as f64 {
        return Err("its expiry lies beyond the year 9999".to_owned());
    }
    let lifetime = libm::round(lifetime) as i64;
    let issued_at = match &body.issued_at {
        Some(Loose::Num(n)) if n.is_finite() && n.abs() <= MAX_INSTANT_MS as f64 => {
            Some(libm::round(*n) as i64)
        }
        Some(Loose::Str(s)) => parse_decimal(s)
            .filter(|n| *n <= MAX_INSTANT_MS as f64)
            .map(|n| libm::round(n) as i64)
            .or_else(|| parse_iso(s)),
        _ => None,
    };
    Ok(match issued_at {
        Some(issued) => {
            let at = issued + lifetime;
            (at, at.saturating_sub(server_now_latest(meta)))
        }
        None => (meta.received_at_ms.saturating_add(lifetime), lifetime),
    })
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
