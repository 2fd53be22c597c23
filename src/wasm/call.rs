//! `Call`: one token request, its arguments checked before any I/O, and the judgment of
//! whatever came of it. The entries in `js/` send it with the platform's `fetch` and hand the
//! answer (or the platform's error) back here.

use alloc::string::String;

use js_sys::Object;
use wasm_bindgen::prelude::*;

use super::args::{self, Args};
use super::body::parse;
use super::convert;
use super::js::{get, set};
use crate::core::{interpret, Error, ResponseMeta, MAX_BODY_BYTES, REQUEST_HEADERS};

/// One token request with checked arguments. Its secret stays in the module: JS reads only
/// the form body that carries it to the server.
#[wasm_bindgen]
pub struct Call {
    args: Args,
}

/// How an exchange ended without an HTTP answer, as [`Call::failure`] is told.
#[wasm_bindgen]
#[derive(Clone, Copy)]
pub enum Failure {
    /// `fetch` or reading the body threw: the error is the cause.
    Network = 0,
    /// The timer fired first.
    Timeout = 1,
    /// The caller's signal aborted: its reason is the cause.
    Aborted = 2,
}

impl Call {
    /// The checked arguments.
    pub fn args(&self) -> &Args {
        &self.args
    }

    /// A call from arguments that are already checked.
    pub fn from_args(args: Args) -> Self {
        Self { args }
    }
}

#[wasm_bindgen]
impl Call {
    /// Checks `getToken(clientId, clientSecret, options)`; throws a `SehatmuError`
    /// (`invalid_argument`) where one is wrong.
    #[wasm_bindgen(constructor)]
    pub fn new(
        client_id: JsValue,
        client_secret: JsValue,
        options: JsValue,
    ) -> Result<Call, JsValue> {
        args::read(&client_id, &client_secret, &options)
            .map(Self::from_args)
            .map_err(|error| convert::error(&error, None))
    }

    /// What to send: `{ url, init, timeoutMs, signal, maxBodyBytes }`, where `init` is
    /// `fetch`'s (the form body, secret included, is in it), `timeoutMs` the timer to set
    /// (`undefined` for none), `signal` the caller's `AbortSignal` (or `undefined`) and
    /// `maxBodyBytes` the most of the body to read.
    #[wasm_bindgen(getter)]
    pub fn request(&self) -> JsValue {
        let headers = Object::new();
        for (name, value) in REQUEST_HEADERS {
            set(&headers, name, value);
        }
        let init = Object::new();
        set(&init, "method", "POST");
        set(&init, "headers", headers);
        set(&init, "body", self.args.request.body.expose());
        // A 307/308 would re-send the body, secret included, to wherever it points.
        set(&init, "redirect", "manual");
        set(&init, "credentials", "omit");
        let out = Object::new();
        set(&out, "url", self.args.request.url.as_str());
        set(&out, "init", init);
        set(&out, "timeoutMs", self.args.timeout_ms);
        set(&out, "signal", self.args.signal.clone());
        set(&out, "maxBodyBytes", MAX_BODY_BYTES as f64);
        out.into()
    }

    /// Judges an HTTP answer: `{ token, lifetimeMs }`, where `lifetimeMs` is how long the
    /// token had left at receipt on the server's clock; throws a `SehatmuError` otherwise.
    pub fn answer(
        &self,
        status: u16,
        retry_after: Option<String>,
        date: Option<String>,
        received_at_ms: f64,
        text: String,
        body_too_large: bool,
    ) -> Result<JsValue, JsValue> {
        let (raw, fields) = parse(&text);
        let meta = ResponseMeta {
            status,
            retry_after: retry_after.as_deref(),
            date: date.as_deref(),
            received_at_ms: received_at_ms as i64,
            body_too_large,
        };
        let token = interpret(&meta, &text, fields.as_ref(), &self.args.secret)
            .map_err(|error| convert::error(&error, None))?;
        let out = Object::new();
        set(&out, "token", convert::token(&token, &raw));
        set(&out, "lifetimeMs", token.lifetime_ms as f64);
        Ok(out.into())
    }

    /// The `SehatmuError` for an exchange that got no answer: `network_error` with the
    /// platform's error as `cause`, `timeout`, or `aborted` with the signal's reason.
    pub fn failure(&self, kind: Failure, cause: JsValue) -> JsValue {
        match kind {
            Failure::Network => convert::error(
                &Error::network(&self.args.request.url, &network_detail(&cause)),
                Some(&cause),
            ),
            Failure::Timeout => {
                convert::error(&Error::timeout(self.args.timeout_ms.unwrap_or(0.0)), None)
            }
            Failure::Aborted => convert::error(&Error::aborted(), Some(&cause)),
        }
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
