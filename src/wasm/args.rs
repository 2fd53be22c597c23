//! Reading `getToken`'s JS arguments into checked core values, before any I/O.

use alloc::string::String;
use js_sys::JsString;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortSignal, Url};

use super::js::get;
use crate::core::{
    build_request, credential, timeout, ClientSecret, Error, ParsedUrl, TokenRequest, BASE_URL_MUST,
};

/// Checked arguments of one token request.
pub struct Args {
    /// The secret, for redacting server echoes.
    pub secret: ClientSecret,
    /// The request to send.
    pub request: TokenRequest,
    /// The timer to set, if any.
    pub timeout_ms: Option<f64>,
    /// The caller's abort signal, if any.
    pub signal: Option<AbortSignal>,
}

/// A string argument: `None` if it is not a string.
///
/// # Errors
/// `invalid_argument` for a string with an unpaired surrogate: it has no UTF-8 form, and
/// replacing the surrogate would silently send another credential.
fn string(field: &'static str, value: &JsValue) -> Result<Option<String>, Error> {
    let Some(js) = value.dyn_ref::<JsString>() else {
        return Ok(None);
    };
    if !js.is_valid_utf16() {
        return Err(Error::invalid_argument(
            field,
            "valid Unicode text (it has an unpaired surrogate)",
        ));
    }
    Ok(value.as_string())
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

fn signal(value: &JsValue) -> Result<Option<AbortSignal>, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let looks_like_signal = value.is_object()
        && get(value, "aborted").is_ok_and(|a| a.as_bool().is_some())
        && get(value, "addEventListener").is_ok_and(|f| f.is_function());
    if !looks_like_signal {
        return Err(Error::invalid_argument("signal", "an AbortSignal"));
    }
    Ok(Some(value.clone().unchecked_into()))
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
    let parsed = base.map(|url| ParsedUrl {
        href: url.href(),
        protocol: url.protocol(),
        hostname: url.hostname(),
        username: url.username(),
        password: url.password(),
        search: url.search(),
        hash: url.hash(),
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
