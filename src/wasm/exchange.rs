//! One token request over the platform's `fetch`, under the caller's signal and a timeout that
//! covers the whole exchange, body included, judged by the core. When it returns, its timer is
//! cleared, its listener removed and its body read to its end or cancelled.

use alloc::string::String;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::args::Args;
use super::body::response_body;
use super::platform::{call_method, get, wait};
use crate::core::join;
use crate::core::{
    no_answer, Error, ErrorCode, ResponseBody, ResponseMeta, Token, MAX_BODY_BYTES, MEMBER_NAMES,
    REQUEST_INIT,
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
    status: u16,
    received_at_ms: i64,
    text: String,
    body_too_large: bool,
    retry_after: Option<String>,
    date: Option<String>,
    /// The body as `JSON.parse` gave it, where it is a JSON object.
    raw: JsValue,
    /// What the core reads of it.
    body: Option<ResponseBody>,
}

/// The abort reason of the client's own timer: what tells a timeout from the caller's abort.
const TIMED_OUT: &str = "sehatmu-auth: timeoutMs passed";

#[wasm_bindgen(module = "/src/wasm/glue.js")]
extern "C" {
    /// `fetch`'s `init` of the core's [`REQUEST_INIT`] parts, `body` and `signal`, in one call
    /// (glue.js).
    #[wasm_bindgen(js_name = requestInit)]
    fn request_init_object(parts: &str, body: &str, signal: &AbortSignal) -> JsValue;

    /// `fetch(input, init)` (through `custom` where given) and
    /// `[status, text, tooLarge, retryAfter, date, raw, members]` of its answer, the body read
    /// up to `max` bytes, in one promise (glue.js).
    #[wasm_bindgen(js_name = fetchAnswer)]
    fn fetch_answer(
        custom: Option<&Function>,
        input: &JsValue,
        init: &JsValue,
        max: u32,
        names: &str,
    ) -> Promise;

    /// `[signal, abort, stop]` of a new `AbortController`, aborted with `reason` after `ms`
    /// and with none when `signal` aborts, in one call (glue.js); `Err` where listening to
    /// `signal` threw.
    #[wasm_bindgen(catch)]
    fn aborts(
        ms: Option<f64>,
        reason: &str,
        signal: Option<&JsValue>,
        keep_alive: bool,
    ) -> Result<JsValue, JsValue>;

    /// `new Date(ms).toISOString()` (glue.js): the core's `format_iso`, by the platform.
    #[cfg(not(feature = "server"))]
    #[wasm_bindgen(js_name = isoString)]
    fn iso_string(ms: f64) -> String;
}

/// `fetch`'s `init` for the token request, on `signal`.
fn request_init(args: &Args, signal: &AbortSignal) -> JsValue {
    request_init_object(REQUEST_INIT, args.request.body.expose(), signal)
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

/// Sends the request and reads the whole answer, in JavaScript and in one promise for the
/// module to wait on (no copy of each chunk into its memory, no call per header): the body's
/// text never held past [`MAX_BODY_BYTES`] (the flag says it was longer, and its rest was left
/// unread), and the headers and members the core reads. `now` stamps its arrival.
async fn send(args: &Args, signal: &AbortSignal, now: &dyn Fn() -> i64) -> Result<Answer, JsValue> {
    let init = request_init(args, signal);
    let url = JsValue::from_str(&args.request.url);
    let custom = args.fetch.as_ref();
    let max = MAX_BODY_BYTES as u32;
    let read: Array = wait(fetch_answer(custom, &url, &init, max, MEMBER_NAMES))
        .await?
        .unchecked_into();
    Ok(Answer {
        status: read.get(0).as_f64().unwrap_or(0.0) as u16,
        received_at_ms: now(),
        text: read.get(1).as_string().unwrap_or_default(),
        body_too_large: read.get(2).is_truthy(),
        retry_after: read.get(3).as_string(),
        date: read.get(4).as_string(),
        raw: read.get(5),
        body: response_body(read.get(6)),
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

/// The abort of one exchange (glue.js's `aborts`).
struct Aborts {
    /// The signal the request is sent with.
    signal: AbortSignal,
    /// Aborts it, with no reason.
    abort: Function,
    /// Clears the timer and stops listening to the caller's signal.
    stop: Function,
}

impl From<Array> for Aborts {
    fn from(parts: Array) -> Self {
        Self {
            signal: parts.get(0).unchecked_into(),
            abort: parts.get(1).unchecked_into(),
            stop: parts.get(2).unchecked_into(),
        }
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
    let Aborts {
        signal: own_signal,
        abort,
        stop,
    } = aborts(
        args.timeout_ms,
        TIMED_OUT,
        signal.map(AbortSignal::as_ref),
        keep_alive,
    )
    .map_err(network)?
    .unchecked_into::<Array>()
    .into();
    let result = send(args, &own_signal, now).await;
    let _ = stop.call0(&JsValue::UNDEFINED);
    if result.as_ref().is_ok_and(|answer| answer.body_too_large) {
        let _ = abort.call0(&JsValue::UNDEFINED); // closes the connection under the rest of the body
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
    let (raw, fields) = (answer.raw, answer.body);
    let meta = ResponseMeta {
        status: answer.status,
        retry_after: answer.retry_after.as_deref(),
        date: answer.date.as_deref(),
        received_at_ms: answer.received_at_ms,
        body_too_large: answer.body_too_large,
    };
    // In the browser build the platform writes the ISO text: the same as the core's
    // `format_iso` for every instant the core hands it (years 0000 to 9999), without that
    // formatter in the `.wasm` the page downloads. The server build formats it in the core: a
    // process's first `Date` costs V8 0.26 ms (Node 24), on the path of every cold start.
    #[cfg(feature = "server")]
    let token = crate::core::interpret(&meta, &answer.text, fields.as_ref(), &args.secret)?;
    #[cfg(not(feature = "server"))]
    let token = {
        let iso = |ms: i64| iso_string(ms as f64);
        crate::core::interpret_with(&meta, &answer.text, fields.as_ref(), &args.secret, &iso)?
    };
    Ok(Fetched {
        token,
        raw,
        received_at_ms: answer.received_at_ms,
        #[cfg(feature = "server")]
        status: meta.status,
    })
}
