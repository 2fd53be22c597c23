//! Core values to plain JS objects: the `AccessToken` and the `SehatmuError`.

use alloc::string::String;
use js_sys::{Array, Object, Reflect, Symbol};
use wasm_bindgen::JsValue;

use super::js::{get, set};
use crate::core::{Error, Issue, Token, TokenClient};

/// The brand that `isSehatmuError` checks: `Symbol.for`, so that every copy of the package
/// in one process (a CJS and an ESM entry, two bundles) recognises the others' errors.
pub const ERROR_BRAND: &str = "sehatmu-auth.SehatmuError";

/// The `AccessToken` object: plain, JSON-compatible, `raw` as parsed.
pub fn token(token: &Token, raw: &JsValue) -> JsValue {
    let out = Object::new();
    set(&out, "accessToken", token.access_token.as_str());
    set(&out, "tokenType", "Bearer");
    set(&out, "accessTokenExpiresAt", token.expires_at_iso.as_str());
    set(&out, "expiresAt", token.expires_at_ms as f64);
    if let Some(id) = &token.client_id {
        set(&out, "clientId", id.as_str());
    }
    match &token.client {
        TokenClient::FromBody => set(&out, "client", get(raw, "client").unwrap_or_default()),
        TokenClient::DeveloperEmail(email) => {
            let client = Object::new();
            set(&client, "email", email.as_str());
            set(&out, "client", client);
        }
        TokenClient::Absent => {}
    }
    if let Some(id) = &token.user_id {
        set(&out, "userId", id.as_str());
    }
    if token.has_user {
        set(&out, "user", get(raw, "user").unwrap_or_default());
    }
    set(&out, "raw", raw.clone());
    out.into()
}

fn issue(issue: &Issue) -> JsValue {
    let out = Object::new();
    let put = |key: &str, value: &Option<String>| {
        if let Some(value) = value {
            set(&out, key, value.as_str());
        }
    };
    put("severity", &issue.severity);
    put("code", &issue.code);
    if let Some(text) = &issue.text {
        let details = Object::new();
        set(&details, "text", text.as_str());
        set(&out, "details", details);
    }
    out.into()
}

fn hidden(target: &Object, key: &JsValue, value: &JsValue) {
    let descriptor = Object::new();
    set(&descriptor, "value", value.clone());
    set(&descriptor, "writable", true);
    set(&descriptor, "configurable", true);
    Object::define_property(target, key, &descriptor);
}

/// The `SehatmuError`: an `Error` named `"SehatmuError"` with its `code` and fields.
pub fn error(error: &Error, cause: Option<&JsValue>) -> JsValue {
    let out: Object = js_sys::Error::new(&error.message).into();
    hidden(&out, &"name".into(), &"SehatmuError".into());
    hidden(&out, &Symbol::for_(ERROR_BRAND).into(), &JsValue::TRUE);
    set(&out, "code", error.code.as_str());
    if let Some(field) = error.field {
        set(&out, "field", field);
    }
    if let Some(status) = error.status {
        set(&out, "status", status);
    }
    if let Some(ms) = error.retry_after_ms {
        set(&out, "retryAfterMs", ms as f64);
    }
    if let Some(issues) = &error.issues {
        set(&out, "issues", issues.iter().map(issue).collect::<Array>());
    }
    if let Some(oauth) = &error.oauth_error {
        set(&out, "oauthError", oauth.as_str());
    }
    if let Some(body) = &error.body {
        set(&out, "body", body.as_str());
    }
    if let Some(ms) = error.timeout_ms {
        set(&out, "timeoutMs", ms);
    }
    if let Some(cause) = cause {
        let _ = Reflect::set(&out, &"cause".into(), cause);
    }
    out.into()
}
