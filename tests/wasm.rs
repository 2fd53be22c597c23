//! The wasm bindings, run by wasm-bindgen-test in Node and in headless Chromium: what `Call`
//! asks `fetch` to send, how it judges an answer or an exchange's failure into an
//! `AccessToken` or a `SehatmuError`, and how `Policy` caches and holds back after a credential
//! failure. The I/O around them (js/client.js) is tested from the packed package in
//! tests/node/ and tests/runtimes/.
#![cfg(target_arch = "wasm32")]

use js_sys::{Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

use sehatmu_auth::{Call, Failure, Policy};

const BASE: &str = "https://sehatmu.example";
const SECRET: &str = "wasm-test-secret";
const FAR: &str = r#"{"accessToken": "abc", "accessTokenExpiresAt": "2999-01-01T00:00:00.000Z"}"#;

fn get(value: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(value.clone(), |v, key| {
        Reflect::get(&v, &key.into()).unwrap_or(JsValue::UNDEFINED)
    })
}

/// The string at `path`, if there is one.
fn text(value: &JsValue, path: &str) -> Option<String> {
    get(value, path).as_string()
}

fn options(json: &str) -> JsValue {
    JSON::parse(json).expect("test options are JSON")
}

fn call() -> Call {
    let options = options(&format!(r#"{{"baseUrl": "{BASE}"}}"#));
    Call::new("id".into(), SECRET.into(), options).expect("good arguments")
}

fn answer(
    call: &Call,
    status: u16,
    retry_after: Option<&str>,
    body: &str,
) -> Result<JsValue, JsValue> {
    call.answer(
        status,
        retry_after.map(Into::into),
        None,
        1_000.0,
        body.into(),
        false,
    )
}

fn assert_error(error: &JsValue, code: &str) {
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(text(error, "name").as_deref(), Some("SehatmuError"));
    assert_eq!(text(error, "code").as_deref(), Some(code));
    let message = text(error, "message").unwrap_or_default();
    assert!(!message.contains(SECRET), "{message}");
}

#[wasm_bindgen_test]
fn the_request_is_the_documented_one() {
    let request = call().request();
    assert_eq!(
        text(&request, "url").as_deref(),
        Some("https://sehatmu.example/oauth/token?grant_type=client_credentials")
    );
    assert_eq!(text(&request, "init.method").as_deref(), Some("POST"));
    assert_eq!(text(&request, "init.redirect").as_deref(), Some("manual"));
    assert_eq!(text(&request, "init.credentials").as_deref(), Some("omit"));
    assert_eq!(
        text(&request, "init.headers.Content-Type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        text(&request, "init.body").as_deref(),
        Some("client_id=id&client_secret=wasm-test-secret&grant_type=client_credentials")
    );
    assert_eq!(get(&request, "timeoutMs").as_f64(), Some(30_000.0));
    assert!(get(&request, "signal").is_undefined());
    assert_eq!(get(&request, "maxBodyBytes").as_f64(), Some(1_048_576.0));
}

#[wasm_bindgen_test]
fn a_token_is_normalised() {
    let judged = answer(&call(), 200, None, FAR).expect("a token");
    let token = get(&judged, "token");
    assert_eq!(text(&token, "accessToken").as_deref(), Some("abc"));
    assert_eq!(text(&token, "tokenType").as_deref(), Some("Bearer"));
    assert_eq!(
        get(&token, "expiresAt").as_f64(),
        Some(32_472_144_000_000.0)
    );
    assert_eq!(text(&token, "raw.accessToken").as_deref(), Some("abc"));
    assert!(get(&judged, "lifetimeMs").as_f64().unwrap_or(0.0) > 0.0);
}

#[wasm_bindgen_test]
fn bad_arguments_throw_invalid_argument() {
    let error = Call::new("".into(), SECRET.into(), JsValue::UNDEFINED)
        .err()
        .expect("an empty clientId");
    assert_error(&error, "invalid_argument");
    assert_eq!(text(&error, "field").as_deref(), Some("clientId"));
    let error = Call::new(
        "id".into(),
        SECRET.into(),
        options(r#"{"baseUrl": "http://example.com"}"#),
    )
    .err()
    .expect("plain http to a remote host");
    assert_eq!(text(&error, "field").as_deref(), Some("baseUrl"));
    let lone_surrogate = JSON::parse(r#""id\ud800""#).expect("a JSON string");
    let error = Call::new(lone_surrogate, SECRET.into(), JsValue::UNDEFINED)
        .err()
        .expect("an unpaired surrogate");
    assert_eq!(text(&error, "field").as_deref(), Some("clientId"));
    let replacement = JSON::parse(r#""id\ufffd""#).expect("a JSON string");
    assert!(Call::new(replacement, SECRET.into(), JsValue::UNDEFINED).is_ok());
}

#[wasm_bindgen_test]
fn a_401_operation_outcome_is_invalid_credentials() {
    let body = r#"{"resourceType": "OperationOutcome", "issue": [{"severity": "error",
        "code": "invalid", "details": {"text": "Client not able to be authenticated"}}]}"#;
    let error = answer(&call(), 401, None, body).unwrap_err();
    assert_error(&error, "invalid_credentials");
    assert_eq!(get(&error, "status").as_f64(), Some(401.0));
    assert_eq!(
        text(&error, "issues.0.details.text").as_deref(),
        Some("Client not able to be authenticated")
    );
}

#[wasm_bindgen_test]
fn a_503_with_retry_after_is_server_error() {
    let error = answer(&call(), 503, Some("2"), "Gateway Timeout").unwrap_err();
    assert_error(&error, "server_error");
    assert_eq!(get(&error, "retryAfterMs").as_f64(), Some(2_000.0));
    assert_eq!(text(&error, "body").as_deref(), Some("Gateway Timeout"));
}

#[wasm_bindgen_test]
fn failures_carry_their_cause() {
    let call = call();
    let platform: JsValue = js_sys::Error::new("Failed to fetch").into();
    let error = call.failure(Failure::Network, platform.clone());
    assert_error(&error, "network_error");
    assert_eq!(get(&error, "cause"), platform);
    assert!(text(&error, "message")
        .unwrap_or_default()
        .contains("Failed to fetch"));
    let error = call.failure(Failure::Timeout, JsValue::UNDEFINED);
    assert_error(&error, "timeout");
    assert_eq!(get(&error, "timeoutMs").as_f64(), Some(30_000.0));
    let error = call.failure(Failure::Aborted, "stop".into());
    assert_error(&error, "aborted");
    assert_eq!(text(&error, "cause").as_deref(), Some("stop"));
}

fn policy() -> Policy {
    let options = options(&format!(
        r#"{{"clientId": "id", "clientSecret": "{SECRET}", "baseUrl": "{BASE}"}}"#
    ));
    Policy::new(options).expect("good options")
}

#[wasm_bindgen_test]
fn policy_caches_until_the_skew() {
    let mut policy = policy();
    assert_eq!(policy.cached(0.0, false).ok(), Some(false));
    policy.store_until(3_600_000.0);
    assert_eq!(policy.cached(1_000.0, false).ok(), Some(true));
    assert_eq!(policy.cached(1_000.0, true).ok(), Some(false));
    assert_eq!(policy.cached(3_550_000.0, false).ok(), Some(false));
    let settings = policy.settings();
    assert_eq!(
        text(&settings, "key").as_deref(),
        Some("sehatmu-auth:https://sehatmu.example/oauth/token?grant_type=client_credentials:id")
    );
    assert!(!text(&settings, "key").unwrap_or_default().contains(SECRET));
}

#[wasm_bindgen_test]
fn policy_holds_back_after_invalid_credentials() {
    let mut policy = policy();
    assert_eq!(policy.fail("invalid_credentials", None, 0.0, 1, 0.5), None);
    let error = policy.cached(1_000.0, true).unwrap_err();
    assert_error(&error, "rate_limited");
    assert_eq!(get(&error, "retryAfterMs").as_f64(), Some(59_000.0));
    assert!(get(&error, "status").is_undefined());
    assert_eq!(policy.cached(60_000.0, false).ok(), Some(false));
    // A transient failure is retried after a backoff; a bad option is refused at once.
    assert!(policy
        .fail("server_error", None, 60_000.0, 1, 0.5)
        .is_some());
    let error = Policy::new(options(
        r#"{"clientId": "id", "clientSecret": "s", "retries": 11}"#,
    ))
    .err()
    .expect("too many retries");
    assert_eq!(text(&error, "field").as_deref(), Some("retries"));
}
