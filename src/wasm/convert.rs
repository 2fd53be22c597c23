//! Core values to plain JS objects: the `AccessToken` and the `SehatmuError`, with their
//! TypeScript declarations.

use alloc::string::String;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use super::platform::{get, set};
use crate::core::{ClientField, Error, Issue, Token};

#[wasm_bindgen(typescript_custom_section)]
const ACCESS_TOKEN: &str = r#"
/** The token, normalised from any success shape the endpoint documents. Plain and JSON-compatible. */
export interface AccessToken {
  /** The bearer token: never empty. A numeric token is its decimal string. */
  accessToken: string;
  /** Always `"Bearer"` (`"BearerToken"`, `"bearer"` and a missing type normalise to it). */
  tokenType: "Bearer";
  /** The expiry as an ISO 8601 UTC instant, as `Date.prototype.toISOString` writes it. */
  accessTokenExpiresAt: string;
  /** The same instant in ms since the Unix epoch. */
  expiresAt: number;
  /** `clientId` / `client_id`, where the server sent one. */
  clientId?: string;
  /** The body's `client` object as sent, or `{ email }` from a SATUSEHAT-style `developer.email`. */
  client?: { name?: string; email?: string; [key: string]: unknown };
  /** `userId`, where the server sent one. */
  userId?: string;
  /** The body's `user` object as sent. */
  user?: { id?: string; email?: string; name?: string; [key: string]: unknown };
  /** The success body exactly as parsed. */
  raw: Record<string, unknown>;
}
"#;

#[wasm_bindgen(typescript_custom_section)]
const SEHATMU_ERROR: &str = r#"
/** The `code` of every {@link SehatmuError}. */
export type SehatmuErrorCode =
  | "invalid_argument"
  | "invalid_credentials"
  | "rate_limited"
  | "request_rejected"
  | "server_error"
  | "network_error"
  | "timeout"
  | "aborted"
  | "invalid_response";

/** One entry of a FHIR `OperationOutcome.issue`, its strings as the server sent them. */
export interface OperationOutcomeIssue {
  severity?: string;
  code?: string;
  details?: { text?: string };
}

/** Every failure: an `Error` named `"SehatmuError"` with a stable `code`. Never holds the secret. */
export interface SehatmuError extends Error {
  name: "SehatmuError";
  code: SehatmuErrorCode;
  /** `invalid_argument`: the argument or option at fault (`clientId`, `baseUrl`, …). */
  field?: string;
  /** The HTTP status, where there was a response (absent on a locally raised `rate_limited`). */
  status?: number;
  /** `rate_limited` (and `server_error` with `Retry-After`): ms to wait before trying again. */
  retryAfterMs?: number;
  /** The `OperationOutcome` issues of a 4xx. */
  issues?: OperationOutcomeIssue[];
  /** The OAuth 2 `error` code of a 4xx body, e.g. `"invalid_client"`. */
  oauthError?: string;
  /** `request_rejected`, `server_error`, `invalid_response`: the response text, at most 2 KiB. */
  body?: string;
  /** `timeout`: the `timeoutMs` that passed. */
  timeoutMs?: number;
  /** `network_error`: the platform's error; `aborted`: the signal's reason. */
  cause?: unknown;
}
"#;

/// The brand that `isSehatmuError` (`js/errors.js`) checks: `Symbol.for`, so that every copy
/// of the package in one process (a CJS and an ESM entry, two bundles) recognises the others'
/// errors.
pub const ERROR_BRAND: &str = "sehatmu-auth.SehatmuError";

#[wasm_bindgen(module = "/src/wasm/glue.js")]
extern "C" {
    /// The `AccessToken` object literal, in one call (glue.js); `undefined` leaves a member out.
    #[wasm_bindgen(js_name = accessToken)]
    #[allow(clippy::too_many_arguments)]
    fn access_token(
        access_token: &str,
        access_token_expires_at: &str,
        expires_at: f64,
        client_id: Option<&str>,
        client: &JsValue,
        user_id: Option<&str>,
        user: &JsValue,
        raw: &JsValue,
    ) -> JsValue;

    /// An `Error` named `"SehatmuError"` and branded, both hidden, in one call (glue.js).
    #[wasm_bindgen(js_name = brandedError)]
    fn branded_error(message: &str, brand: &str) -> Object;
}

/// The `AccessToken` object: plain, JSON-compatible, `raw` as parsed.
pub fn token(token: &Token, raw: &JsValue) -> JsValue {
    let client = match &token.client {
        ClientField::FromBody => get(raw, "client").unwrap_or_default(),
        ClientField::DeveloperEmail(email) => {
            let client = Object::new();
            set(&client, "email", email.as_str());
            client.into()
        }
        ClientField::Absent => JsValue::UNDEFINED,
    };
    let user = match token.has_user {
        true => get(raw, "user").unwrap_or_default(),
        false => JsValue::UNDEFINED,
    };
    access_token(
        &token.access_token,
        &token.expires_at_iso,
        token.expires_at_ms as f64,
        token.client_id.as_deref(),
        &client,
        token.user_id.as_deref(),
        &user,
        raw,
    )
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

/// The `SehatmuError`: an `Error` named `"SehatmuError"` with its `code` and fields.
pub fn error(error: &Error, cause: Option<&JsValue>) -> JsValue {
    let out = branded_error(&error.message, ERROR_BRAND);
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
