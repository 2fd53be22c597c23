//! Reading the JS arguments of `getToken` and `TokenClient` into checked core values, before
//! any I/O. One reader per option, shared by every export that takes it.

#[cfg(feature = "server")]
use alloc::borrow::Cow;
use alloc::string::String;
use js_sys::Function;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

#[cfg(feature = "server")]
use super::platform::wait;
use super::platform::{get, members, runtime};
use crate::core::{
    browser_refusal, build_request, credential, is_loopback_host, timeout, ClientSecret, Error,
    ParsedUrl, TokenRequest, ALLOW_BROWSER_OPTION, BASE_URL_MUST,
};

#[wasm_bindgen(typescript_custom_section)]
const REQUEST_OPTIONS: &str = r#"
/** The options of every token request: {@link getToken}'s and a {@link TokenClient}'s. */
export interface RequestOptions {
  /**
   * The API's base URL; the token URL is `${baseUrl}/oauth/token`. An absolute `https:` URL
   * (plain `http:` only for `localhost`, `127.0.0.0/8` and `[::1]`), with no credentials,
   * query or fragment. Default: the documented sandbox host `https://istanbul.muhammadiyah.or.id`.
   */
  baseUrl?: string;
  /** Milliseconds for the whole exchange, body included; 0 turns the timeout off. Default 30000. */
  timeoutMs?: number;
  /**
   * The `fetch` that sends the token requests (and `TokenClient.fetch`'s API calls): for
   * proxies (undici's `EnvHttpProxyAgent`), instrumentation and tests. Default: the global
   * `fetch`, looked up at each call. What it throws becomes `network_error` with it as `cause`.
   */
  fetch?: typeof globalThis.fetch;
  /**
   * In a browser, a client secret is sent only with this set to `true` (or to a loopback base
   * URL: the mock, local development): every visitor of the page can read it there. Prefer
   * keeping the secret on a server: `sehatmu-auth/proxy`. Node, Deno, Bun and Workers ignore it.
   */
  dangerouslyAllowBrowser?: boolean;
}

/** Options of {@link getToken}. */
export interface GetTokenOptions extends RequestOptions {
  /** The caller's abort: the promise rejects with `aborted`, the signal's reason as `cause`. */
  signal?: AbortSignal | null;
}

/** Options of one {@link TokenClient.getToken} call. */
export interface TokenCallOptions {
  /** Fetch a new token even where the cached one is fresh (the server's wait still holds). */
  forceRefresh?: boolean;
  /** Ends this caller's wait with `aborted`; never the request that other callers share. */
  signal?: AbortSignal | null;
}
"#;

/// Checked arguments of one token request.
#[derive(Clone)]
pub struct Args {
    /// The secret, for redacting server echoes (empty where a function gives it).
    pub secret: ClientSecret,
    /// The request to send (where a function gives the secret: without it).
    pub request: TokenRequest,
    /// The `clientSecret` function of a `TokenClient` on a server: asked for the secret before
    /// each token request, its answer never kept.
    #[cfg(feature = "server")]
    pub secret_function: Option<Function>,
    /// The client id, for the body of each request whose secret a function gives.
    #[cfg(feature = "server")]
    client_id: String,
    /// The timer to set, if any.
    pub timeout_ms: Option<f64>,
    /// The caller's `fetch`, where one was given.
    pub fetch: Option<Function>,
    /// Whether the base URL is this machine (then a browser may send the secret).
    pub loopback: bool,
    /// `dangerouslyAllowBrowser`.
    pub allow_browser: bool,
}

impl Args {
    /// The client id, as checked.
    #[cfg(feature = "server")]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The guard's refusal to send these credentials from this runtime, if it refuses.
    pub fn browser_refusal(&self) -> Option<Error> {
        browser_refusal(runtime(), self.loopback, self.allow_browser)
    }

    /// The arguments of the next token request: these, or, where a function gives the secret,
    /// these with the secret it gives now. `Err` where it gives none (the core's refusal),
    /// with what it threw or rejected with, if anything.
    #[cfg(feature = "server")]
    pub async fn with_current_secret(&self) -> Result<Cow<'_, Self>, Option<JsValue>> {
        let Some(function) = &self.secret_function else {
            return Ok(Cow::Borrowed(self));
        };
        let answer = function.call0(&JsValue::UNDEFINED).map_err(Some)?;
        // A plain string or a promise of one: a sync function's answer waits one microtask.
        let answer = wait(js_sys::Promise::resolve(&answer))
            .await
            .map_err(Some)?;
        let secret = string("clientSecret", &answer)
            .ok()
            .and_then(|text| credential("clientSecret", text).ok())
            .ok_or(None)?;
        let secret = ClientSecret::new(secret);
        Ok(Cow::Owned(Self {
            request: self.request.with_secret(&self.client_id, &secret),
            secret,
            ..self.clone()
        }))
    }
}

/// A string argument: `None` if it is not a string.
///
/// # Errors
/// `invalid_argument` for a string with an unpaired surrogate: it has no UTF-8 form, and
/// replacing the surrogate would silently send another credential.
pub fn string(field: &'static str, value: &JsValue) -> Result<Option<String>, Error> {
    let Some(text) = value.as_string() else {
        return Ok(None);
    };
    // The conversion to UTF-8 turns each unpaired surrogate into U+FFFD: where one appears,
    // the text is valid only if it comes back as the same JS string.
    if text.chars().any(|c| c == char::REPLACEMENT_CHARACTER) && JsValue::from_str(&text) != *value
    {
        return Err(Error::invalid_argument(
            field,
            "valid Unicode text (it has an unpaired surrogate)",
        ));
    }
    Ok(Some(text))
}

/// An option's value (`undefined` where `options` is `undefined` or `null`).
///
/// # Errors
/// `invalid_argument` for `options` where it is not an object, and for `name` where reading
/// it threw.
pub fn option(options: &JsValue, name: &'static str) -> Result<JsValue, Error> {
    if options.is_undefined() || options.is_null() {
        return Ok(JsValue::UNDEFINED);
    }
    if !options.is_object() {
        return Err(Error::invalid_argument("options", "an object"));
    }
    get(options, name).map_err(|_| Error::invalid_argument(name, "readable"))
}

fn base_url(value: &JsValue) -> Result<Option<ParsedUrl>, Error> {
    if value.is_undefined() {
        return Ok(None);
    }
    let text = string("baseUrl", value)?
        .ok_or_else(|| Error::invalid_argument("baseUrl", BASE_URL_MUST))?;
    url_parts(&text)
        .map(Some)
        .ok_or_else(|| Error::invalid_argument("baseUrl", BASE_URL_MUST))
}

/// What JS `URL` makes of `text` (`None` where it throws): `baseUrl`'s, and the proxy's
/// `upstream`.
pub fn url_parts(text: &str) -> Option<ParsedUrl> {
    // One call and one string back, where a read of each part would cost a call and a string.
    let joined = url_parts_joined(text)?;
    let mut parts = joined.split('\n').map(String::from);
    let mut part = || parts.next().unwrap_or_default();
    Some(ParsedUrl {
        href: part(),
        protocol: part(),
        hostname: part(),
        username: part(),
        password: part(),
        search: part(),
        hash: part(),
    })
}

#[wasm_bindgen(module = "/src/wasm/glue.js")]
extern "C" {
    /// `new URL(text)`'s href, protocol, hostname, username, password, search and hash,
    /// joined by `\n`; `None` where `new URL` throws (glue.js).
    #[wasm_bindgen(js_name = urlParts)]
    fn url_parts_joined(text: &str) -> Option<String>;
}

/// The `signal` option: `None` for `undefined` or `null`.
///
/// # Errors
/// `invalid_argument` for anything that is not an `AbortSignal`.
pub fn signal(options: &JsValue) -> Result<Option<AbortSignal>, Error> {
    signal_of(option(options, "signal")?)
}

/// The `signal` option of its value (see [`signal`]).
///
/// # Errors
/// As [`signal`].
pub fn signal_of(value: JsValue) -> Result<Option<AbortSignal>, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let looks_like_signal = value.is_object()
        && get(&value, "aborted").is_ok_and(|a| a.as_bool().is_some())
        && get(&value, "addEventListener").is_ok_and(|f| f.is_function());
    if !looks_like_signal {
        return Err(Error::invalid_argument("signal", "an AbortSignal"));
    }
    Ok(Some(value.unchecked_into()))
}

/// The `fetch` option: `None` where absent.
///
/// # Errors
/// `invalid_argument` for anything that is not a function.
fn fetch(value: JsValue) -> Result<Option<Function>, Error> {
    if value.is_undefined() {
        return Ok(None);
    }
    value
        .dyn_into::<Function>()
        .map(Some)
        .map_err(|_| Error::invalid_argument("fetch", "a function like the global fetch"))
}

/// The `RequestOptions` that [`read`] reads, in the order it checks them, and `signal`.
const REQUEST_OPTION_NAMES: &str = "timeoutMs,baseUrl,fetch,dangerouslyAllowBrowser,signal";

/// Reads and checks a token request: the credentials and the `RequestOptions` of `options`
/// (`baseUrl`, `timeoutMs`, `fetch`, `dangerouslyAllowBrowser`); and the value of its
/// `signal`, read in the same call but not checked (each caller has its own rule for it).
/// With `secret_function` (a `TokenClient` on a server), `client_secret` may also be a
/// function that gives the secret for each request.
///
/// # Errors
/// `invalid_argument`, naming the first argument or option at fault.
pub fn read(
    client_id: &JsValue,
    client_secret: &JsValue,
    options: &JsValue,
    secret_function: bool,
) -> Result<(Args, JsValue), Error> {
    let client_id = credential("clientId", string("clientId", client_id)?)?;
    #[cfg(feature = "server")]
    let secret_function = client_secret
        .dyn_ref::<Function>()
        .filter(|_| secret_function)
        .cloned();
    #[cfg(not(feature = "server"))]
    let _ = secret_function;
    #[cfg(feature = "server")]
    let secret = match secret_function {
        Some(_) => ClientSecret::new(String::new()),
        None => ClientSecret::new(credential(
            "clientSecret",
            string("clientSecret", client_secret)?,
        )?),
    };
    #[cfg(not(feature = "server"))]
    let secret = ClientSecret::new(credential(
        "clientSecret",
        string("clientSecret", client_secret)?,
    )?);
    // The options in one call, in the order they are checked in; the error of one whose
    // reading threw comes where its own check would.
    let read = members(options, REQUEST_OPTION_NAMES)
        .ok_or_else(|| Error::invalid_argument("options", "an object"))?;
    let option = |index: u32, name: &'static str| {
        read.get(index)
            .map_err(|()| Error::invalid_argument(name, "readable"))
    };
    let timeout_value = option(0, "timeoutMs")?;
    let base = base_url(&option(1, "baseUrl")?)?;
    let timeout_ms = timeout((!timeout_value.is_undefined()).then(|| timeout_value.as_f64()))?;
    let fetch = fetch(option(2, "fetch")?)?;
    // Only `true` opts in: anything else is refused, by the error that names the option.
    let allow = option(3, ALLOW_BROWSER_OPTION)?;
    let request = build_request(&client_id, &secret, base.as_ref())?;
    let signal = option(4, "signal")?;
    let args = Args {
        secret,
        request,
        #[cfg(feature = "server")]
        secret_function,
        #[cfg(feature = "server")]
        client_id,
        timeout_ms,
        fetch,
        loopback: base.is_some_and(|base| is_loopback_host(&base.hostname)),
        allow_browser: allow.as_bool() == Some(true),
    };
    Ok((args, signal))
}
