//! The wasm bindings, run by wasm-bindgen-test in Node and in headless Chromium: `getToken`
//! and `TokenClient` as the `.wasm` exports them, over a `fetch` that answers with canned
//! `Response`s (the `fetch` option), so that no server is needed: what they send, how they
//! judge each answer or failure into an `AccessToken` or a `SehatmuError`, and how the client
//! caches and holds back. The packed package against real servers is tested in tests/node/ and
//! tests/runtimes/.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

use sehatmu_auth::{get_token, TokenClient};

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

#[wasm_bindgen(inline_js = r#"
export function cannedFetch(answers, calls) {
  return (input, init) => {
    calls.push({ input: String(input), init });
    const answer = answers.shift();
    if (answer === "throw") throw new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });
    if (answer === "hang") {
      return new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(init.signal.reason)));
    }
    const [status, body, headers] = answer;
    return Promise.resolve(new Response(body, { status, headers }));
  };
}
export function abortLater(options, ms, reason) {
  const controller = new AbortController();
  options.signal = controller.signal;
  setTimeout(() => controller.abort(reason), ms);
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = cannedFetch)]
    fn canned_fetch_js(answers: &JsValue, calls: &Array) -> Function;
    #[wasm_bindgen(js_name = abortLater)]
    fn abort_later(options: &JsValue, ms: u32, reason: &str);
}

/// A `fetch` that records each call in `calls` and answers each with the next of `answers`:
/// `[status, body, headers]`, `"throw"` (it throws) or `"hang"` (it never answers, until its
/// signal aborts).
fn canned_fetch(answers: &str) -> (Function, Array) {
    let calls = Array::new();
    let answers = JSON::parse(answers).expect("JSON");
    (canned_fetch_js(&answers, &calls), calls)
}

/// `json` with the canned `fetch`, opted in to sending the secret from a browser (these tests'
/// base URLs are not loopback; the guard has a test of its own).
fn options(fetch: &Function, json: &str) -> JsValue {
    let options = JSON::parse(json).expect("test options are JSON");
    Reflect::set(&options, &"fetch".into(), fetch).expect("an object");
    let allow = "dangerouslyAllowBrowser".into();
    if !Reflect::has(&options, &allow).unwrap_or(true) {
        Reflect::set(&options, &allow, &JsValue::TRUE).expect("an object");
    }
    options
}

async fn settled(promise: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}

async fn token_from(answers: &str, json: &str) -> (Result<JsValue, JsValue>, Array) {
    let (fetch, calls) = canned_fetch(answers);
    let result = settled(get_token("id".into(), SECRET.into(), options(&fetch, json))).await;
    (result, calls)
}

fn assert_error(error: &JsValue, code: &str) {
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(text(error, "name").as_deref(), Some("SehatmuError"));
    assert_eq!(text(error, "code").as_deref(), Some(code));
    let message = text(error, "message").unwrap_or_default();
    assert!(!message.contains(SECRET), "{message}");
    let json = JSON::stringify(error).ok().and_then(|j| j.as_string());
    assert!(!json.unwrap_or_default().contains(SECRET));
}

const BASE_OPTIONS: &str = r#"{"baseUrl": "https://sehatmu.example"}"#;

#[wasm_bindgen_test]
async fn the_request_is_the_documented_one_and_the_token_normalised() {
    let answers = format!(
        r#"[[200, {}, {{}}]]"#,
        JSON::stringify(&FAR.into()).unwrap().as_string().unwrap()
    );
    let (result, calls) = token_from(&answers, BASE_OPTIONS).await;
    let token = result.expect("a token");
    assert_eq!(calls.length(), 1);
    let call = calls.get(0);
    assert_eq!(
        text(&call, "input").as_deref(),
        Some("https://sehatmu.example/oauth/token?grant_type=client_credentials")
    );
    assert_eq!(text(&call, "init.method").as_deref(), Some("POST"));
    assert_eq!(text(&call, "init.redirect").as_deref(), Some("manual"));
    assert_eq!(text(&call, "init.credentials").as_deref(), Some("omit"));
    assert_eq!(
        text(&call, "init.headers.Content-Type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        text(&call, "init.body").as_deref(),
        Some("client_id=id&client_secret=wasm-test-secret&grant_type=client_credentials")
    );
    assert_eq!(text(&token, "accessToken").as_deref(), Some("abc"));
    assert_eq!(text(&token, "tokenType").as_deref(), Some("Bearer"));
    assert_eq!(
        get(&token, "expiresAt").as_f64(),
        Some(32_472_144_000_000.0)
    );
    assert_eq!(text(&token, "raw.accessToken").as_deref(), Some("abc"));
    let plain = Object::get_prototype_of(&Object::new());
    assert_eq!(Object::get_prototype_of(&token), plain);
}

#[wasm_bindgen_test]
async fn bad_arguments_reject_with_invalid_argument_before_any_fetch() {
    let (fetch, calls) = canned_fetch("[]");
    for (id, json, field) in [
        ("", BASE_OPTIONS, "clientId"),
        ("id", r#"{"baseUrl": "http://example.com"}"#, "baseUrl"),
        ("id", r#"{"timeoutMs": -1}"#, "timeoutMs"),
        ("id", r#"{"signal": {}}"#, "signal"),
        ("id", r#"{"fetch": 1}"#, "fetch"),
    ] {
        let options = JSON::parse(json).expect("JSON");
        if field != "fetch" {
            Reflect::set(&options, &"fetch".into(), &fetch).expect("an object");
        }
        Reflect::set(&options, &"dangerouslyAllowBrowser".into(), &JsValue::TRUE)
            .expect("an object");
        let error = settled(get_token(id.into(), SECRET.into(), options))
            .await
            .unwrap_err();
        assert_error(&error, "invalid_argument");
        assert_eq!(text(&error, "field").as_deref(), Some(field));
    }
    let lone_surrogate = JSON::parse(r#""id\ud800""#).expect("a JSON string");
    let error = settled(get_token(lone_surrogate, SECRET.into(), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(text(&error, "field").as_deref(), Some("clientId"));
    assert_eq!(calls.length(), 0);
}

#[wasm_bindgen_test]
async fn answers_become_their_errors() {
    let outcome = r#"{"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid", "details": {"text": "Client not able to be authenticated"}}]}"#;
    let quoted = JSON::stringify(&outcome.into())
        .unwrap()
        .as_string()
        .unwrap();
    let (result, _) = token_from(&format!("[[401, {quoted}, {{}}]]"), BASE_OPTIONS).await;
    let error = result.unwrap_err();
    assert_error(&error, "invalid_credentials");
    assert_eq!(get(&error, "status").as_f64(), Some(401.0));
    assert_eq!(
        text(&error, "issues.0.details.text").as_deref(),
        Some("Client not able to be authenticated")
    );

    let (result, _) = token_from(
        r#"[[503, "Gateway Timeout", {"retry-after": "2"}]]"#,
        BASE_OPTIONS,
    )
    .await;
    let error = result.unwrap_err();
    assert_error(&error, "server_error");
    assert_eq!(get(&error, "retryAfterMs").as_f64(), Some(2_000.0));
    assert_eq!(text(&error, "body").as_deref(), Some("Gateway Timeout"));

    // A body with no Content-Length is read from its stream, and never past 1 MiB.
    let big = format!(r#"[[200, "{}", {{}}]]"#, "x".repeat(1_100_000));
    let (result, _) = token_from(&big, BASE_OPTIONS).await;
    let error = result.unwrap_err();
    assert_error(&error, "invalid_response");
    assert!(text(&error, "message")
        .unwrap_or_default()
        .contains("1 MiB"));
}

#[wasm_bindgen_test]
async fn no_answer_is_network_error_timeout_or_aborted_with_its_cause() {
    let (result, _) = token_from(r#"["throw"]"#, BASE_OPTIONS).await;
    let error = result.unwrap_err();
    assert_error(&error, "network_error");
    assert_eq!(
        text(&error, "cause.cause.code").as_deref(),
        Some("ECONNREFUSED")
    );
    assert!(text(&error, "message")
        .unwrap_or_default()
        .contains("fetch failed"));

    let (result, _) = token_from(r#"["hang"]"#, r#"{"timeoutMs": 20}"#).await;
    let error = result.unwrap_err();
    assert_error(&error, "timeout");
    assert_eq!(get(&error, "timeoutMs").as_f64(), Some(20.0));

    let (fetch, _) = canned_fetch(r#"["hang"]"#);
    let options = options(&fetch, "{}");
    abort_later(&options, 20, "stop");
    let error = settled(get_token("id".into(), SECRET.into(), options))
        .await
        .unwrap_err();
    assert_error(&error, "aborted");
    assert_eq!(text(&error, "cause").as_deref(), Some("stop"));
}

fn client(fetch: &Function, extra: &str) -> TokenClient {
    let json =
        format!(r#"{{"clientId": "id", "clientSecret": "{SECRET}", "baseUrl": "{BASE}"{extra}}}"#);
    TokenClient::new(options(fetch, &json)).expect("good options")
}

#[wasm_bindgen_test]
async fn a_client_caches_shares_one_request_and_holds_back_after_a_401() {
    let far = JSON::stringify(&FAR.into()).unwrap().as_string().unwrap();
    let (fetch, calls) = canned_fetch(&format!("[[200, {far}, {{}}]]"));
    let tokens = client(&fetch, "");
    let shared = [tokens.get_token(None), tokens.get_token(None)];
    for promise in shared {
        assert_eq!(
            text(&settled(promise).await.expect("a token"), "accessToken").as_deref(),
            Some("abc")
        );
    }
    let header = settled(tokens.authorization_header(None))
        .await
        .expect("a header");
    assert_eq!(header.as_string().as_deref(), Some("Bearer abc"));
    assert_eq!(calls.length(), 1);
    assert_eq!(tokens.base_url(), BASE);

    let (fetch, calls) = canned_fetch(r#"[[401, "no", {}]]"#);
    let tokens = client(&fetch, r#", "retries": 0"#);
    assert_error(
        &settled(tokens.get_token(None)).await.unwrap_err(),
        "invalid_credentials",
    );
    let force = JSON::parse(r#"{"forceRefresh": true}"#).expect("JSON");
    let error = settled(tokens.get_token(Some(force.unchecked_into())))
        .await
        .unwrap_err();
    assert_error(&error, "rate_limited");
    assert!(get(&error, "status").is_undefined());
    assert!(get(&error, "retryAfterMs")
        .as_f64()
        .is_some_and(|ms| ms > 59_000.0));
    assert_eq!(calls.length(), 1);
}

#[wasm_bindgen_test]
async fn concurrent_401s_replace_the_token_once_and_each_call_is_replayed_once() {
    let far = |token: &str| FAR.replace("abc", token);
    let answers = format!(
        r#"[[200, {}, {{}}], [401, "", {{}}], [401, "", {{}}], [200, {}, {{}}], [200, "a", {{}}], [200, "b", {{}}]]"#,
        JSON::stringify(&far("abc").into())
            .unwrap()
            .as_string()
            .unwrap(),
        JSON::stringify(&far("def").into())
            .unwrap()
            .as_string()
            .unwrap(),
    );
    let (fetch, calls) = canned_fetch(&answers);
    let tokens = client(&fetch, "");
    settled(tokens.get_token(None)).await.expect("a token");
    let api = JsValue::from("https://sehatmu.example/fhir/Patient");
    let both = [
        tokens.fetch(api.clone(), JsValue::UNDEFINED),
        tokens.fetch(api, JsValue::UNDEFINED),
    ];
    for response in both {
        let response = settled(response).await.expect("a response");
        assert_eq!(get(&response, "status").as_f64(), Some(200.0));
    }
    let sent: Vec<String> = calls
        .iter()
        .map(|call| text(&call, "input").unwrap())
        .collect();
    let token_requests = sent
        .iter()
        .filter(|url| url.contains("/oauth/token"))
        .count();
    assert_eq!((sent.len(), token_requests), (6, 2), "{sent:?}");
    let last = calls.get(5);
    let headers = get(&last, "init.headers").unchecked_into::<web_sys::Headers>();
    let authorization = headers.get("authorization").ok().flatten();
    assert_eq!(authorization.as_deref(), Some("Bearer def"));
}

#[wasm_bindgen_test]
async fn a_rejected_header_is_replaced_once_and_an_older_one_gets_the_newer_token() {
    let far = |token: &str| {
        let json = FAR.replace("abc", token);
        JSON::stringify(&json.into()).unwrap().as_string().unwrap()
    };
    let answers = format!(
        r#"[[200, {}, {{}}], [200, {}, {{}}]]"#,
        far("abc"),
        far("def")
    );
    let (fetch, calls) = canned_fetch(&answers);
    let tokens = client(&fetch, "");
    let sent = settled(tokens.authorization_header(None)).await.unwrap();
    let rejected = |header: &JsValue| {
        let options = Object::new();
        Reflect::set(&options, &"rejected".into(), header).expect("an object");
        Some(options)
    };
    // Two requests that the API turned down with the client's token: one fresh token for both.
    let both = [
        tokens.authorization_header(rejected(&sent)),
        tokens.authorization_header(rejected(&sent)),
    ];
    for header in both {
        let header = settled(header).await.expect("a header");
        assert_eq!(header.as_string().as_deref(), Some("Bearer def"));
    }
    assert_eq!(calls.length(), 2);
    // A request sent with the token the client has replaced since: the newer one, at once.
    let late = settled(tokens.authorization_header(rejected(&sent))).await;
    assert_eq!(late.unwrap().as_string().as_deref(), Some("Bearer def"));
    assert_eq!(calls.length(), 2);
}

#[wasm_bindgen_test]
async fn a_fetch_signal_ends_its_wait_for_a_token_with_the_signal_reason() {
    let (fetch, calls) = canned_fetch(r#"["hang"]"#);
    let tokens = client(&fetch, r#", "timeoutMs": 0"#);
    let init = Object::new().into();
    abort_later(&init, 20, "stop");
    let api = JsValue::from("https://sehatmu.example/fhir/Patient");
    let error = settled(tokens.fetch(api, init)).await.unwrap_err();
    assert_eq!(error.as_string().as_deref(), Some("stop"));
    assert_eq!(calls.length(), 1, "the token request only");
}

#[wasm_bindgen_test]
async fn a_client_checks_its_options_and_each_calls_with_the_same_rules() {
    let (fetch, _) = canned_fetch("[]");
    for (extra, field) in [
        (r#", "retries": 11"#, "retries"),
        (r#", "refreshSkewMs": -1"#, "refreshSkewMs"),
        (r#", "store": {}"#, "store"),
        (r#", "signal": {}"#, "signal"),
    ] {
        let json = format!(r#"{{"clientId": "id", "clientSecret": "s"{extra}}}"#);
        let error = TokenClient::new(options(&fetch, &json)).err().expect(field);
        assert_error(&error, "invalid_argument");
        assert_eq!(text(&error, "field").as_deref(), Some(field));
    }
    let tokens = client(&fetch, "");
    let bad_signal = JSON::parse(r#"{"signal": {}}"#).expect("JSON");
    let error = settled(tokens.get_token(Some(bad_signal.unchecked_into())))
        .await
        .unwrap_err();
    assert_error(&error, "invalid_argument");
    assert_eq!(text(&error, "field").as_deref(), Some("signal"));
}

/// Whether these tests run in a browser page (wasm-bindgen-test's Chromium run) or in Node.
fn in_browser() -> bool {
    Reflect::has(&js_sys::global(), &"window".into()).unwrap_or(false)
}

#[wasm_bindgen_test]
async fn a_browser_sends_a_secret_only_to_loopback_or_when_told() {
    let far = JSON::stringify(&FAR.into()).unwrap().as_string().unwrap();
    let answers =
        format!("[[200, {far}, {{}}], [200, {far}, {{}}], [200, {far}, {{}}], [200, {far}, {{}}]]");
    let (fetch, calls) = canned_fetch(&answers);
    let with = |json: &str| {
        let options = JSON::parse(json).expect("JSON");
        Reflect::set(&options, &"fetch".into(), &fetch).expect("an object");
        options
    };
    let elsewhere = settled(get_token("id".into(), SECRET.into(), with(BASE_OPTIONS))).await;
    if in_browser() {
        let error = elsewhere.unwrap_err();
        assert_error(&error, "invalid_argument");
        assert_eq!(
            text(&error, "field").as_deref(),
            Some("dangerouslyAllowBrowser")
        );
        assert!(text(&error, "message")
            .unwrap_or_default()
            .contains("sehatmu-auth/proxy"));
        assert_eq!(calls.length(), 0, "no request");
        // A TokenClient is made, and its calls reject.
        let json = format!(r#"{{"clientId": "id", "clientSecret": "s", "baseUrl": "{BASE}"}}"#);
        let tokens = TokenClient::new(with(&json)).expect("the constructor does not throw");
        let error = settled(tokens.get_token(None)).await.unwrap_err();
        assert_eq!(
            text(&error, "field").as_deref(),
            Some("dangerouslyAllowBrowser")
        );
        assert_eq!(calls.length(), 0, "no request");
    } else {
        assert!(elsewhere.is_ok(), "Node is never refused");
    }
    let loopback = r#"{"baseUrl": "http://127.0.0.1:8080"}"#;
    assert!(
        settled(get_token("id".into(), SECRET.into(), with(loopback)))
            .await
            .is_ok()
    );
    let allowed = r#"{"baseUrl": "https://sehatmu.example", "dangerouslyAllowBrowser": true}"#;
    assert!(
        settled(get_token("id".into(), SECRET.into(), with(allowed)))
            .await
            .is_ok()
    );
    let not_true = r#"{"baseUrl": "https://sehatmu.example", "dangerouslyAllowBrowser": "yes"}"#;
    let not_true = settled(get_token("id".into(), SECRET.into(), with(not_true))).await;
    assert_eq!(not_true.is_err(), in_browser(), "only true opts in");
}

/// The facade writes `accessTokenExpiresAt` (and the expiry in "has already passed") with the
/// platform's `Date.prototype.toISOString`, the core's `format_iso` natively: the two must
/// write the same text for every instant the core formats (the years 0000 to 9999).
#[wasm_bindgen_test]
fn the_platform_writes_iso_instants_as_format_iso_does() {
    use sehatmu_auth::core::{format_iso, MAX_INSTANT_MS, MIN_INSTANT_MS};
    let platform =
        |ms: i64| String::from(js_sys::Date::new(&JsValue::from_f64(ms as f64)).to_iso_string());
    let mut checked = vec![MIN_INSTANT_MS, -1, 0, 951_782_400_000, MAX_INSTANT_MS];
    let mut ms = MIN_INSTANT_MS;
    while ms <= MAX_INSTANT_MS {
        checked.push(ms);
        // Not a divisor of a day, a year or 400 years: every field takes many values.
        ms += 3_456_789_012_345;
    }
    for ms in checked {
        assert_eq!(Some(platform(ms)), format_iso(ms), "{ms}");
    }
}

/// The first and last instants with a four-digit year, end to end: a token of the last is
/// written by the platform, one of the first has passed (its text in the message), and one
/// past the last has no ISO text.
#[wasm_bindgen_test]
async fn expiries_at_the_ends_of_the_iso_range() {
    let answer = |at: &str| {
        let body = format!(r#"{{"accessToken": "abc", "accessTokenExpiresAt": "{at}"}}"#);
        let body = JSON::stringify(&body.into()).unwrap().as_string().unwrap();
        format!(r#"[[200, {body}, {{}}]]"#)
    };
    let (result, _) = token_from(&answer("9999-12-31T23:59:59.999Z"), BASE_OPTIONS).await;
    let token = result.expect("a token");
    assert_eq!(
        text(&token, "accessTokenExpiresAt").as_deref(),
        Some("9999-12-31T23:59:59.999Z")
    );

    let (result, _) = token_from(&answer("0000-01-01T00:00:00Z"), BASE_OPTIONS).await;
    let error = result.unwrap_err();
    assert_error(&error, "invalid_response");
    assert!(text(&error, "message")
        .unwrap_or_default()
        .contains("its expiry 0000-01-01T00:00:00.000Z has already passed"));

    let (result, _) = token_from(&answer("0000-01-01T00:00:00+00:01"), BASE_OPTIONS).await;
    let error = result.unwrap_err();
    assert_error(&error, "invalid_response");
    assert!(text(&error, "message")
        .unwrap_or_default()
        .contains("its expiry lies beyond the year 9999"));
}
