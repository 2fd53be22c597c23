//! Reading `getToken`'s JS arguments into checked core values, before any I/O.

use alloc::string::String;
use wasm_bindgen::JsValue;
use web_sys::Url;

use super::js::get;
use crate::core::{
    build_request, credential, timeout, ClientSecret, Error, ParsedUrl, TokenRequest, BASE_URL_MUST,
};

/// Checked arguments of one token request.
#[derive(Clone)]
pub struct Args {
    /// The secret, for redacting server echoes.
    pub secret: ClientSecret,
    /// The request to send.
    pub request: TokenRequest,
    /// The timer to set, if any.
    pub timeout_ms: Option<f64>,
    /// The caller's abort signal, if any.
    pub signal: Option<JsValue>,
}

/// A string argument: `None` if it is not a string.
///
/// # Errors
/// `invalid_argument` for a string with an unpaired surrogate: it has no UTF-8 form, and
/// replacing the surrogate would silently send another credential.
fn string(field: &'static str, value: &JsValue) -> Result<Option<String>, Error> {
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

/// An option's value; `Err` where reading it threw.
fn option(options: &JsValue, name: &'static str) -> Result<JsValue, Error> {
    get(options, name).map_err(|_| Error::invalid_argument(name, "readable"))
}

fn base_url(value: &JsValue) -> Result<Option<Url>, Error> {
    if value.is_undefined() {
        return Ok(None);
    }
    let text = string("baseUrl", value)?
        .ok_or_else(|| Error::invalid_argument("baseUrl", BASE_URL_MUST))?;
    Url::new(&text)
        .map(Some)
        .map_err(|_| Error::invalid_argument("baseUrl", BASE_URL_MUST))
}

fn signal(value: &JsValue) -> Result<Option<JsValue>, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let looks_like_signal = value.is_object()
        && get(value, "aborted").is_ok_and(|a| a.as_bool().is_some())
        && get(value, "addEventListener").is_ok_and(|f| f.is_function());
    if !looks_like_signal {
        return Err(Error::invalid_argument("signal", "an AbortSignal"));
    }
    Ok(Some(value.clone()))
}

/// Reads and checks `getToken(clientId, clientSecret, options)`.
///
/// # Errors
/// `invalid_argument`, naming the first argument or option at fault.
pub fn read(
    client_id: &JsValue,
    client_secret: &JsValue,
    options: &JsValue,
) -> Result<Args, Error> {
    let client_id = credential("clientId", string("clientId", client_id)?)?;
    let secret = ClientSecret::new(credential(
        "clientSecret",
        string("clientSecret", client_secret)?,
    )?);
    let (base, timeout_value, signal) = if options.is_undefined() || options.is_null() {
        (None, None, None)
    } else if options.is_object() {
        let ms = option(options, "timeoutMs")?;
        (
            base_url(&option(options, "baseUrl")?)?,
            (!ms.is_undefined()).then(|| ms.as_f64()),
            signal(&option(options, "signal")?)?,
        )
    } else {
        return Err(Error::invalid_argument("options", "an object"));
    };
    // The parts are read as properties, through the one `Reflect.get` binding the module
    // has anyway: seven getter bindings would cost more of the `.wasm` and its glue.
    let part = |url: &Url, name| {
        get(url, name)
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    let parsed = base.map(|url| ParsedUrl {
        href: part(&url, "href"),
        protocol: part(&url, "protocol"),
        hostname: part(&url, "hostname"),
        username: part(&url, "username"),
        password: part(&url, "password"),
        search: part(&url, "search"),
        hash: part(&url, "hash"),
    });
    let timeout_ms = timeout(timeout_value)?;
    let request = build_request(&client_id, &secret, parsed.as_ref())?;
    Ok(Args {
        secret,
        request,
        timeout_ms,
        signal,
    })
}
