//! The wasm facade, run by wasm-bindgen-test in Node and in headless Chromium, with the
//! global `fetch` replaced by stubs: what `getToken` sends, and how each platform outcome
//! (answer, throw, hang, abort) becomes an `AccessToken` or a `SehatmuError`, and how
//! `TokenClient` shares one request and holds back after a credential failure.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

use sehatmu_auth::get_token;

#[wasm_bindgen(inline_js = r#"
export function answerWith(status, body, headers) {
  const calls = [];
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return new Response(body, { status, headers: JSON.parse(headers) });
  };
  return calls;
}
export function throwFromFetch() {
  globalThis.fetch = async () => { throw new TypeError("Failed to fetch"); };
}
export function hangFetch() {
  globalThis.fetch = (url, init) => new Promise((_, reject) => {
    init.signal.addEventListener("abort", () => reject(init.signal.reason));
  });
}
export function abortSoon(reason) {
  const controller = new AbortController();
  setTimeout(() => controller.abort(reason), 10);
  return controller.signal;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = answerWith)]
    fn answer_with(status: u16, body: &str, headers: &str) -> Array;
    #[wasm_bindgen(js_name = throwFromFetch)]
    fn throw_from_fetch();
    #[wasm_bindgen(js_name = hangFetch)]
    fn hang_fetch();
    #[wasm_bindgen(js_name = abortSoon)]
    fn abort_soon(reason: &str) -> JsValue;
}

const BASE: &str = "https://sehatmu.example";
const SECRET: &str = "wasm-test-secret";

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

async fn call(client_id: &str, options: JsValue) -> Result<JsValue, JsValue> {
    let promise: Promise = get_token(client_id.into(), SECRET.into(), options);
    JsFuture::from(promise).await
}

async fn token() -> Result<JsValue, JsValue> {
    call("id", options(&format!(r#"{{"baseUrl": "{BASE}"}}"#))).await
}

fn assert_error(error: &JsValue, code: &str) {
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(text(error, "name").as_deref(), Some("SehatmuError"));
    assert_eq!(text(error, "code").as_deref(), Some(code));
    let message = get(error, "message").as_string().unwrap_or_default();
    assert!(!message.contains(SECRET), "{message}");
}

#[wasm_bindgen_test]
async fn sends_the_documented_request_and_normalises_the_token() {
    let calls = answer_with(
        200,
        r#"{"accessToken": "abc", "accessTokenExpiresAt": "2999-01-01T00:00:00.000Z"}"#,
        r#"{"content-type": "application/json"}"#,
    );
    let token = token().await.expect("a token");
    assert_eq!(text(&token, "accessToken").as_deref(), Some("abc"));
    assert_eq!(text(&token, "tokenType").as_deref(), Some("Bearer"));
    assert_eq!(
        get(&token, "expiresAt").as_f64(),
        Some(32_472_144_000_000.0)
    );
    assert_eq!(text(&token, "raw.accessToken").as_deref(), Some("abc"));

    assert_eq!(calls.length(), 1);
    let call = calls.get(0);
    assert_eq!(
        text(&call, "url").as_deref(),
        Some("https://sehatmu.example/oauth/token?grant_type=client_credentials")
    );
    assert_eq!(text(&call, "init.method").as_deref(), Some("POST"));
    assert_eq!(text(&call, "init.redirect").as_deref(), Some("manual"));
    assert_eq!(text(&call, "init.credentials").as_deref(), Some("omit"));
    assert_eq!(
        text(&call, "init.body").as_deref(),
        Some("client_id=id&client_secret=wasm-test-secret&grant_type=client_credentials")
    );
}

#[wasm_bindgen_test]
async fn bad_arguments_reject_before_any_fetch() {
    let calls = answer_with(200, "{}", "{}");
    let error = call("", JsValue::UNDEFINED).await.unwrap_err();
    assert_error(&error, "invalid_argument");
    assert_eq!(text(&error, "field").as_deref(), Some("clientId"));
    let error = call("id", options(r#"{"baseUrl": "http://example.com"}"#))
        .await
        .unwrap_err();
    assert_eq!(text(&error, "field").as_deref(), Some("baseUrl"));
    assert_eq!(calls.length(), 0);
}

#[wasm_bindgen_test]
async fn a_401_operation_outcome_is_invalid_credentials() {
    answer_with(
        401,
        r#"{"resourceType": "OperationOutcome", "issue": [{"severity": "invalid", "code": "value", "details": {"text": "not able to be authenticated"}}]}"#,
        "{}",
    );
    let error = token().await.unwrap_err();
    assert_error(&error, "invalid_credentials");
    assert_eq!(get(&error, "status").as_f64(), Some(401.0));
    let issues: Array = get(&error, "issues").into();
    assert_eq!(
        text(&issues.get(0), "details.text").as_deref(),
        Some("not able to be authenticated")
    );
}

#[wasm_bindgen_test]
async fn a_503_with_retry_after_is_server_error() {
    answer_with(503, "Service Unavailable", r#"{"retry-after": "3"}"#);
    let error = token().await.unwrap_err();
    assert_error(&error, "server_error");
    assert_eq!(get(&error, "retryAfterMs").as_f64(), Some(3000.0));
    assert_eq!(text(&error, "body").as_deref(), Some("Service Unavailable"));
}

#[wasm_bindgen_test]
async fn a_throwing_fetch_is_network_error_with_its_cause() {
    throw_from_fetch();
    let error = token().await.unwrap_err();
    assert_error(&error, "network_error");
    assert!(get(&error, "cause").is_instance_of::<js_sys::TypeError>());
}

#[wasm_bindgen_test]
async fn a_hanging_fetch_times_out() {
    hang_fetch();
    let error = call(
        "id",
        options(&format!(r#"{{"baseUrl": "{BASE}", "timeoutMs": 20}}"#)),
    )
    .await
    .unwrap_err();
    assert_error(&error, "timeout");
    assert_eq!(get(&error, "timeoutMs").as_f64(), Some(20.0));
}

#[wasm_bindgen_test]
async fn the_callers_signal_aborts_with_its_reason() {
    hang_fetch();
    let options = options(&format!(r#"{{"baseUrl": "{BASE}"}}"#));
    Reflect::set(&options, &"signal".into(), &abort_soon("stop")).unwrap();
    let error = call("id", options).await.unwrap_err();
    assert_error(&error, "aborted");
    assert_eq!(text(&error, "cause").as_deref(), Some("stop"));
}

#[wasm_bindgen(inline_js = r#"
export function countingFetch(status, body) {
  const counter = { calls: 0 };
  globalThis.fetch = async () => {
    counter.calls += 1;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return new Response(body, { status });
  };
  return counter;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = countingFetch)]
    fn counting_fetch(status: u16, body: &str) -> JsValue;
}

fn client_options() -> JsValue {
    options(&format!(
        r#"{{"clientId": "id", "clientSecret": "{SECRET}", "baseUrl": "{BASE}", "retries": 0}}"#
    ))
}

#[wasm_bindgen_test]
async fn token_client_shares_one_request_between_concurrent_callers() {
    let counter = counting_fetch(200, r#"{"access_token": "shared", "expires_in": 3600}"#);
    let client = sehatmu_auth::TokenClient::new(client_options()).expect("valid options");
    let calls: Array = (0..50)
        .map(|_| client.get_token(JsValue::UNDEFINED))
        .collect();
    let tokens: Array = JsFuture::from(Promise::all(&calls)).await.unwrap().into();
    assert_eq!(tokens.length(), 50);
    for token in tokens.iter() {
        assert_eq!(text(&token, "accessToken").as_deref(), Some("shared"));
    }
    JsFuture::from(client.get_token(JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(get(&counter, "calls").as_f64(), Some(1.0));
}

#[wasm_bindgen_test]
async fn token_client_holds_back_after_invalid_credentials() {
    let counter = counting_fetch(401, "{}");
    let client = sehatmu_auth::TokenClient::new(client_options()).expect("valid options");
    let first = JsFuture::from(client.get_token(JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_error(&first, "invalid_credentials");
    let second = JsFuture::from(client.authorization_header())
        .await
        .unwrap_err();
    assert_error(&second, "rate_limited");
    assert!(get(&second, "status").is_undefined());
    assert_eq!(get(&counter, "calls").as_f64(), Some(1.0));
}
