//! One token request over the platform's `fetch`, under the caller's signal and a timeout that
//! covers the whole exchange, body included. Timers and listeners are gone when it returns.

use alloc::rc::Rc;
use alloc::{string::String, vec::Vec};
use core::cell::Cell;

use js_sys::{Function, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, AbortSignal, Headers, ReadableStreamDefaultReader, RequestCredentials,
    RequestInit, RequestRedirect, Response,
};

use super::js::{clear_timeout, fetch, get, set_timeout};
use crate::core::{decode_body, Error, TokenRequest, MAX_BODY_BYTES, REQUEST_HEADERS};

/// What came back: everything the core needs to judge it.
pub struct Exchange {
    /// The HTTP status.
    pub status: u16,
    /// The `Retry-After` header.
    pub retry_after: Option<String>,
    /// The `Date` header.
    pub date: Option<String>,
    /// The client's clock when the headers arrived.
    pub received_at_ms: i64,
    /// The body as text (its first [`MAX_BODY_BYTES`] where it was longer).
    pub text: String,
    /// Whether the body was longer than [`MAX_BODY_BYTES`].
    pub body_too_large: bool,
}

/// An error, with the JS value that caused it where there is one.
pub struct Failure {
    /// The core error.
    pub error: Error,
    /// `cause`: the platform's error, or the signal's reason.
    pub cause: Option<JsValue>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self { error, cause: None }
    }
}

/// Clears the timer and removes the abort listener when the exchange ends, however it ends.
struct Cleanup {
    timer: Option<(JsValue, Closure<dyn FnMut()>)>,
    listener: Option<(AbortSignal, Closure<dyn FnMut()>)>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some((handle, _)) = &self.timer {
            clear_timeout(handle);
        }
        if let Some((signal, closure)) = &self.listener {
            let _ = signal
                .remove_event_listener_with_callback("abort", closure.as_ref().unchecked_ref());
        }
    }
}

fn aborted(signal: &AbortSignal) -> Failure {
    Failure {
        error: Error::aborted(),
        cause: Some(signal.reason()),
    }
}

/// The platform's reason for a failed fetch: its message, and its own cause's (Node puts
/// `ECONNREFUSED` there).
fn network_detail(error: &JsValue) -> String {
    let message = |v: &JsValue| get(v, "message").ok().and_then(|m| m.as_string());
    let outer = message(error).unwrap_or_default();
    let inner = get(error, "cause").ok().as_ref().and_then(message);
    match inner {
        Some(inner) if !inner.is_empty() => [&outer, " (", &inner, ")"].concat(),
        _ => outer,
    }
}

fn request_init(request: &TokenRequest, signal: &AbortSignal) -> Result<RequestInit, JsValue> {
    let headers = Headers::new()?;
    for (name, value) in REQUEST_HEADERS {
        headers.append(name, value)?;
    }
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(request.body.expose()));
    init.set_signal(Some(signal));
    // A 307/308 would re-send the body, secret included, to wherever it points.
    init.set_redirect(RequestRedirect::Manual);
    init.set_credentials(RequestCredentials::Omit);
    Ok(init)
}

async fn send(
    request: &TokenRequest,
    signal: &AbortSignal,
    now: &dyn Fn() -> i64,
) -> Result<Exchange, JsValue> {
    let init = request_init(request, signal)?;
    let response: Response = JsFuture::from(fetch(&request.url, &init)?)
        .await?
        .unchecked_into();
    let received_at_ms = now();
    let headers = response.headers();
    let retry_after = headers.get("retry-after")?;
    let date = headers.get("date")?;
    let (text, body_too_large) = read_body(&response).await?;
    Ok(Exchange {
        status: response.status(),
        retry_after,
        date,
        received_at_ms,
        text,
        body_too_large,
    })
}

/// The body as text, read from its stream and never held past [`MAX_BODY_BYTES`]: a
/// 50 MB answer costs 1 MiB. The flag says the body was longer (and was left unread).
async fn read_body(response: &Response) -> Result<(String, bool), JsValue> {
    let Some(stream) = response.body() else {
        return Ok((String::new(), false));
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut bytes = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await?;
        if get(&chunk, "done")?.is_truthy() {
            return Ok((decode_body(&bytes), false));
        }
        let value: Uint8Array = get(&chunk, "value")?.unchecked_into();
        let start = bytes.len();
        let end = start + value.length() as usize;
        if end > MAX_BODY_BYTES {
            return Ok((decode_body(&bytes), true));
        }
        bytes.resize(end, 0);
        value.copy_to(&mut bytes[start..]);
    }
}

/// Sends `request` and reads the whole response; `now` is the clock that stamps its arrival.
///
/// # Errors
/// `aborted` (the signal's reason as `cause`), `timeout`, or `network_error` (the platform's
/// error as `cause`).
pub async fn exchange(
    request: &TokenRequest,
    timeout_ms: Option<f64>,
    signal: Option<&AbortSignal>,
    now: &dyn Fn() -> i64,
) -> Result<Exchange, Failure> {
    if let Some(signal) = signal.filter(|s| s.aborted()) {
        return Err(aborted(signal));
    }
    let network = |cause: JsValue| Failure {
        error: Error::network(&request.url, &network_detail(&cause)),
        cause: Some(cause),
    };
    let controller = AbortController::new().map_err(network)?;
    let timed_out = Rc::new(Cell::new(false));
    let mut cleanup = Cleanup {
        timer: None,
        listener: None,
    };
    if let Some(ms) = timeout_ms {
        let (flag, ctl) = (timed_out.clone(), controller.clone());
        let on_timeout = Closure::<dyn FnMut()>::new(move || {
            flag.set(true);
            ctl.abort();
        });
        let handle = set_timeout(on_timeout.as_ref().unchecked_ref::<Function>(), ms);
        cleanup.timer = Some((handle, on_timeout));
    }
    if let Some(signal) = signal {
        let (source, ctl) = (signal.clone(), controller.clone());
        let on_abort = Closure::<dyn FnMut()>::new(move || ctl.abort_with_reason(&source.reason()));
        signal
            .add_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref())
            .map_err(network)?;
        cleanup.listener = Some((signal.clone(), on_abort));
    }
    let result = send(request, &controller.signal(), now).await;
    drop(cleanup);
    if result.as_ref().is_ok_and(|r| r.body_too_large) {
        controller.abort(); // closes the connection under the rest of the body
    }
    result.map_err(|cause| match (timeout_ms, signal) {
        (Some(ms), _) if timed_out.get() => Error::timeout(ms).into(),
        (_, Some(signal)) if signal.aborted() => aborted(signal),
        _ => network(cause),
    })
}
