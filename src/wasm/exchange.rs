//! One token request over the platform's `fetch`, under the caller's signal and a timeout that
//! covers the whole exchange, body included, judged by the core. When it returns, its timer is
//! cleared, its listener removed and its body read to its end or cancelled.

use alloc::string::String;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use web_sys::{AbortController, AbortSignal, Response};

use super::args::Args;
use super::body::parse;
use super::platform::{call_method, fetch, get, wait, Timer};
use crate::core::join;
use crate::core::{
    interpret_with, no_answer, read_body_whole, Error, ErrorCode, ResponseMeta, Token,
    MAX_BODY_BYTES, REQUEST_HEADERS,
};

/// A core error, with the JS value that caused it where there is one.
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

/// A token as the core judged it, with the body as parsed and the moment it arrived.
pub struct Fetched {
    /// The normalised token.
    pub token: Token,
    /// The body exactly as parsed.
    pub raw: JsValue,
    /// The clock's reading when the response arrived.
    pub received_at_ms: i64,
    /// The response's HTTP status, for `sehatmu-auth:token-request` (channels.rs).
    #[cfg(feature = "server")]
    pub status: u16,
}

/// What came back, before it is judged.
struct Answer {
    response: Response,
    received_at_ms: i64,
    text: String,
    body_too_large: bool,
}

/// The abort reason of the client's own timer: what tells a timeout from the caller's abort.
const TIMED_OUT: &str = "sehatmu-auth: timeoutMs passed";

#[wasm_bindgen(module = "/src/wasm/glue.js")]
extern "C" {
    /// `fetch`'s `init` as an object literal, in one call (glue.js).
    #[wasm_bindgen(js_name = requestInit)]
    #[allow(clippy::too_many_arguments)]
    fn request_init_object(
        method: &str,
        content_type: &str,
        content_type_value: &str,
        accept: &str,
        accept_value: &str,
        body: &str,
        signal: &AbortSignal,
        redirect: &str,
        credentials: &str,
    ) -> JsValue;

    /// `[text, tooLarge]` of a body's stream read up to `max` bytes, in one promise (glue.js).
    #[wasm_bindgen(js_name = readLimited)]
    fn read_limited(stream: &JsValue, max: u32) -> Promise;

    /// `new Date(ms).toISOString()` (glue.js): the core's `format_iso`, by the platform.
    #[wasm_bindgen(js_name = isoString)]
    fn iso_string(ms: f64) -> String;
}

/// `fetch`'s `init` for the token request, on `signal`.
fn request_init(args: &Args, signal: &AbortSignal) -> JsValue {
    let [(content_type, content_type_value), (accept, accept_value)] = REQUEST_HEADERS;
    request_init_object(
        "POST",
        content_type,
        content_type_value,
        accept,
        accept_value,
        args.request.body.expose(),
        signal,
        // A 307/308 would re-send the body, secret included, to wherever it points.
        "manual",
        "omit",
    )
}

/// The platform's reason for a failed fetch: its message, and its own cause's (Node puts
/// `ECONNREFUSED` there).
fn network_detail(error: &JsValue) -> String {
    let message = |v: &JsValue| get(v, "message").ok().and_then(|m| m.as_string());
    let outer = message(error).unwrap_or_default();
    let inner = get(error, "cause").ok().as_ref().and_then(message);
    match inner {
        Some(inner) if !inner.is_empty() => join(&[&outer, " (", &inner, ")"]),
        _ => outer,
    }
}

/// A header's value, `None` where absent.
fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).ok().flatten()
}

/// The body as text, never held past [`MAX_BODY_BYTES`]: whole where its length is known to
/// be within it (the core decides), else read from its stream chunk by chunk, in JavaScript
/// (one promise for the module to wait on, and no copy of each chunk into its memory). The flag
/// says the body was longer (and its rest was left unread).
async fn read_body(response: &Response) -> Result<(String, bool), JsValue> {
    let response_type = get(response, "type")?.as_string().unwrap_or_default();
    let length = header(response, "content-length");
    let encoding = header(response, "content-encoding");
    if read_body_whole(&response_type, length.as_deref(), encoding.as_deref()) {
        let text = wait(response.text()?).await?;
        return Ok((text.as_string().unwrap_or_default(), false));
    }
    let stream = get(response, "body")?;
    if stream.is_null() || stream.is_undefined() {
        return Ok((String::new(), false));
    }
    let read: Array = wait(read_limited(&stream, MAX_BODY_BYTES as u32))
        .await?
        .unchecked_into();
    Ok((
        read.get(0).as_string().unwrap_or_default(),
        read.get(1).is_truthy(),
    ))
}

/// Sends the request and reads the whole answer; `now` stamps its arrival.
async fn send(args: &Args, signal: &AbortSignal, now: &dyn Fn() -> i64) -> Result<Answer, JsValue> {
    let init = request_init(args, signal);
    let url = JsValue::from_str(&args.request.url);
    let response: Response = wait(fetch(args.fetch.as_ref(), &url, &init)?)
        .await?
        .unchecked_into();
    let received_at_ms = now();
    let (text, body_too_large) = read_body(&response).await?;
    Ok(Answer {
        response,
        received_at_ms,
        text,
        body_too_large,
    })
}

/// Whether `signal` has aborted.
pub fn has_aborted(signal: &AbortSignal) -> bool {
    signal.aborted()
}

/// `aborted`, with the signal's reason as `cause`.
pub fn aborted(signal: &AbortSignal) -> Failure {
    Failure {
        error: Error::aborted(),
        cause: Some(signal.reason()),
    }
}

/// `listener` on `signal`'s `abort` for as long as this lives.
pub struct OnAbort<'a> {
    signal: &'a AbortSignal,
    listener: Function,
}

impl<'a> OnAbort<'a> {
    /// Adds `listener`.
    ///
    /// # Errors
    /// What `addEventListener` threw.
    pub fn listen(signal: &'a AbortSignal, listener: Function) -> Result<Self, JsValue> {
        call_method(signal, "addEventListener", &[&"abort".into(), &listener])?;
        Ok(Self { signal, listener })
    }
}

impl Drop for OnAbort<'_> {
    fn drop(&mut self) {
        let _ = call_method(
            self.signal,
            "removeEventListener",
            &[&"abort".into(), &self.listener],
        );
    }
}

/// Sends `args`' request and reads the answer, with the timeout and the caller's `signal`.
///
/// # Errors
/// `aborted` (the signal's reason as `cause`), `timeout`, or `network_error` (the platform's
/// error as `cause`).
async fn exchange(
    args: &Args,
    signal: Option<&AbortSignal>,
    now: &dyn Fn() -> i64,
    keep_alive: bool,
) -> Result<Answer, Failure> {
    if let Some(signal) = signal.filter(|s| has_aborted(s)) {
        return Err(aborted(signal));
    }
    let url = &args.request.url;
    let network = |cause: JsValue| Failure {
        error: Error::network(url, &network_detail(&cause)),
        cause: Some(cause),
    };
    let controller = AbortController::new().map_err(network)?;
    // `controller.abort` bound to the controller, for the timer (with its own reason) and the
    // caller's signal: JS functions, so that no Rust closure is made per request.
    let abort: Function = get(&controller, "abort").map_err(network)?.unchecked_into();
    let timer = args.timeout_ms.map(|ms| {
        let on_timeout: Function = abort.bind1(&controller, &TIMED_OUT.into()).unchecked_into();
        Timer::start(&on_timeout, ms, &JsValue::UNDEFINED, keep_alive)
    });
    let forward = match signal {
        Some(signal) => {
            let on_abort: Function = abort
                .bind1(&controller, &JsValue::UNDEFINED)
                .unchecked_into();
            Some(OnAbort::listen(signal, on_abort).map_err(network)?)
        }
        None => None,
    };
    let own_signal: AbortSignal = get(&controller, "signal")
        .map_err(network)?
        .unchecked_into();
    let result = send(args, &own_signal, now).await;
    drop(timer);
    drop(forward);
    if result.as_ref().is_ok_and(|answer| answer.body_too_large) {
        let _ = abort.call0(&controller); // closes the connection under the rest of the body
    }
    result.map_err(|cause| {
        let timed_out = own_signal.reason() == TIMED_OUT;
        let caller_aborted = signal.is_some_and(has_aborted);
        match (no_answer(timed_out, caller_aborted), signal) {
            (ErrorCode::Timeout, _) => Error::timeout(args.timeout_ms.unwrap_or(0.0)).into(),
            (ErrorCode::Aborted, Some(signal)) => aborted(signal),
            _ => network(cause),
        }
    })
}

/// One token request with checked `args`, judged by the core; `now` is the clock that stamps
/// the answer's arrival; `keep_alive` false lets a Node process exit while it runs (see
/// [`Timer::start`]).
///
/// # Errors
/// Every code but `invalid_argument`, with its JS `cause` where there is one.
pub async fn fetch_token(
    args: &Args,
    signal: Option<&AbortSignal>,
    now: &dyn Fn() -> i64,
    keep_alive: bool,
) -> Result<Fetched, Failure> {
    let answer = exchange(args, signal, now, keep_alive).await?;
    let (raw, fields) = parse(&answer.text);
    let retry_after = header(&answer.response, "retry-after");
    let date = header(&answer.response, "date");
    let meta = ResponseMeta {
        status: answer.response.status(),
        retry_after: retry_after.as_deref(),
        date: date.as_deref(),
        received_at_ms: answer.received_at_ms,
        body_too_large: answer.body_too_large,
    };
    // The platform writes the ISO text: the same as the core's `format_iso` for every instant
    // the core hands it (years 0000 to 9999), without that formatter in the `.wasm`.
    let iso = |ms: i64| iso_string(ms as f64);
    let token = interpret_with(&meta, &answer.text, fields.as_ref(), &args.secret, &iso)?;
    Ok(Fetched {
        token,
        raw,
        received_at_ms: answer.received_at_ms,
        #[cfg(feature = "server")]
        status: meta.status,
    })
}
