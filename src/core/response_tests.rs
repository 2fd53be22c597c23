use super::*;

const NOW: i64 = 1_702_787_508_002; // 2023-12-17T04:31:48.002Z, an hour before the example expiry
const SECRET: &str = "SECRET-d5a513c5f285-SECRET";

const CAMEL: &str = r#"{
  "accessToken": "718d19c515f12c68dcfce7a97b7510c160c4678f",
  "accessTokenExpiresAt": "2023-12-17T05:31:48.002Z",
  "clientId": "3310fd56-10fb-4319-8044-9c0eb570a25f.sehatmu.client",
  "client": { "name": "John Doe System", "email": "john.doe@example.com" },
  "userId": "64eb3286e34e01fa5887d9b6",
  "user": { "id": "64eb3286e34e01fa5887d9b6", "email": "john.doe@example.com", "name": "John Doe System" }
}"#;

const UNAUTHENTICATED: &str = r#"{"resourceType": "OperationOutcome", "issue": [{"severity": "invalid", "code": "value",
  "details": {"text": "The user or system was not able to be authenticated (either client_id or client_secret combination is unacceptable)"}}]}"#;

const RATE_LIMITED: &str = r#"{"resourceType": "OperationOutcome", "issue": [{"severity": "invalid", "code": "value",
  "details": {"text": "Authentication temporarily cannot be performed due to the rate limit policy. Rate limit: 1 request per minute after a failed attempt."}}]}"#;

fn meta(status: u16) -> ResponseMeta<'static> {
    ResponseMeta {
        status,
        retry_after: None,
        date: None,
        received_at_ms: NOW,
        body_too_large: false,
    }
}

fn run(meta: &ResponseMeta, text: &str) -> Result<Token, Error> {
    let body = crate::core::json::body(text);
    interpret(meta, text, body.as_ref(), &ClientSecret::new(SECRET.into()))
}

fn ok(text: &str) -> Token {
    run(&meta(200), text).unwrap()
}

fn err(status: u16, text: &str) -> Error {
    run(&meta(status), text).unwrap_err()
}

#[test]
fn normalises_the_documented_camel_case_body() {
    let t = ok(CAMEL);
    assert_eq!(t.access_token, "718d19c515f12c68dcfce7a97b7510c160c4678f");
    assert_eq!(t.expires_at_iso, "2023-12-17T05:31:48.002Z");
    assert_eq!(t.expires_at_ms, NOW + 3_600_000);
    assert_eq!(t.lifetime_ms, 3_600_000);
    assert_eq!(
        t.client_id.as_deref(),
        Some("3310fd56-10fb-4319-8044-9c0eb570a25f.sehatmu.client")
    );
    assert_eq!(t.user_id.as_deref(), Some("64eb3286e34e01fa5887d9b6"));
    assert_eq!(t.client, ClientField::FromBody);
    assert!(t.has_user);
}

#[test]
fn normalises_the_snake_case_satusehat_body() {
    let issued = NOW - 1000;
    let t = ok(&format!(
        r#"{{"access_token": "abc", "expires_in": "3599", "issued_at": "{issued}",
            "token_type": "BearerToken", "client_id": "cid", "developer": {{"email": "dev@example.com"}}}}"#
    ));
    assert_eq!(t.access_token, "abc");
    assert_eq!(t.expires_at_ms, issued + 3_599_000);
    assert_eq!(t.lifetime_ms, 3_598_000);
    assert_eq!(t.client_id.as_deref(), Some("cid"));
    assert_eq!(
        t.client,
        ClientField::DeveloperEmail("dev@example.com".into())
    );
    assert!(!t.has_user);
}

#[test]
fn counts_expires_in_from_receipt_without_issued_at() {
    for body in [
        r#"{"access_token": "abc", "token_type": "bearer", "expires_in": 3600}"#,
        r#"{"access_token": "abc", "expires_in": "3600.0"}"#,
        r#"{"access_token": "abc", "expires_in": 3600, "issued_at": "not a time"}"#,
    ] {
        let t = ok(body);
        assert_eq!(t.expires_at_ms, NOW + 3_600_000, "{body}");
        assert_eq!(t.lifetime_ms, 3_600_000);
        assert_eq!(t.client, ClientField::Absent);
    }
}

#[test]
fn accepts_issued_at_as_a_number_or_an_iso_instant() {
    let a = ok(&format!(
        r#"{{"access_token": "a", "expires_in": 60, "issued_at": {NOW}}}"#
    ));
    let b =
        ok(r#"{"access_token": "a", "expires_in": 60, "issued_at": "2023-12-17T04:31:48.002Z"}"#);
    assert_eq!(a.expires_at_ms, NOW + 60_000);
    assert_eq!(b.expires_at_ms, NOW + 60_000);
}

#[test]
fn turns_a_numeric_token_into_its_decimal_string() {
    let t = ok(r#"{"accessToken": 718191, "expires_in": 60}"#);
    assert_eq!(t.access_token, "718191");
    let e = err(200, r#"{"accessToken": 1e300, "expires_in": 60}"#);
    assert_eq!(e.code, ErrorCode::InvalidResponse);
    let e = err(200, r#"{"accessToken": 1.5, "expires_in": 60}"#);
    assert_eq!(e.code, ErrorCode::InvalidResponse);
}

#[test]
fn a_body_without_a_usable_token_is_invalid_response() {
    for body in [
        "",
        "   ",
        "not json",
        "[1,2]",
        r#""a string""#,
        "{}",
        r#"{"expires_in": 60}"#,
        r#"{"access_token": "", "expires_in": 60}"#,
        r#"{"access_token": "has space", "expires_in": 60}"#,
        r#"{"access_token": "line\nbreak", "expires_in": 60}"#,
        r#"{"access_token": true, "expires_in": 60}"#,
        r#"{"access_token": {"x": 1}, "expires_in": 60}"#,
        r#"{"access_token": "a", "token_type": "mac", "expires_in": 60}"#,
        r#"{"access_token": "a", "token_type": 7, "expires_in": 60}"#,
        r#"{"access_token": "a"}"#,
        r#"{"access_token": "a", "expires_in": "soon"}"#,
        r#"{"access_token": "a", "expires_in": -5}"#,
        r#"{"access_token": "a", "expires_in": 0}"#,
        r#"{"access_token": "a", "expires_in": 1e300}"#,
        r#"{"access_token": "a", "accessTokenExpiresAt": "tomorrow"}"#,
        r#"{"access_token": "a", "accessTokenExpiresAt": "2020-01-01T00:00:00Z"}"#,
        r#"{"access_token": "a", "expires_in": 60, "issued_at": 0}"#,
        UNAUTHENTICATED,
    ] {
        let e = err(200, body);
        assert_eq!(e.code, ErrorCode::InvalidResponse, "{body}");
        assert_eq!(e.status, Some(200));
        assert_eq!(e.body.as_deref(), Some(body));
        assert!(
            e.message.starts_with("SehatMu answered HTTP 200"),
            "{}",
            e.message
        );
    }
}

#[test]
fn an_unreadable_absolute_expiry_falls_back_to_expires_in() {
    let t = ok(r#"{"access_token": "a", "accessTokenExpiresAt": "soon", "expires_in": 60}"#);
    assert_eq!(t.expires_at_ms, NOW + 60_000);
}

#[test]
fn measures_the_lifetime_on_the_servers_clock() {
    // The server's clock is an hour behind ours: its expiry "now + 1 h" is our "now".
    let m = ResponseMeta {
        date: Some("Sun, 17 Dec 2023 03:31:48 GMT"),
        ..meta(200)
    };
    let t = run(
        &m,
        r#"{"accessToken": "a", "accessTokenExpiresAt": "2023-12-17T04:31:48.002Z"}"#,
    )
    .unwrap();
    assert_eq!(t.expires_at_ms, NOW);
    // Counted from the latest moment the whole-second Date header can stand for.
    assert_eq!(t.lifetime_ms, 3_600_002 - 999);
    // An unreadable Date header is ignored.
    let m = ResponseMeta {
        date: Some("yesterday"),
        ..meta(200)
    };
    let e = run(
        &m,
        r#"{"accessToken": "a", "accessTokenExpiresAt": "2023-12-17T04:31:48.002Z"}"#,
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidResponse);
}

#[test]
fn a_401_is_invalid_credentials_with_the_issues_and_the_servers_text() {
    let e = err(401, UNAUTHENTICATED);
    assert_eq!(e.code, ErrorCode::InvalidCredentials);
    assert_eq!(e.status, Some(401));
    let issues = e.issues.unwrap();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].severity.as_deref(), Some("invalid"));
    assert_eq!(issues[0].code.as_deref(), Some("value"));
    assert!(issues[0]
        .text
        .as_deref()
        .unwrap()
        .starts_with("The user or system"));
    assert!(
        e.message.contains("was not able to be authenticated"),
        "{}",
        e.message
    );
    assert_eq!(e.body, None);
    assert_eq!(err(401, "").code, ErrorCode::InvalidCredentials);
}

#[test]
fn a_400_that_says_authentication_failed_is_invalid_credentials() {
    assert_eq!(
        err(400, UNAUTHENTICATED).code,
        ErrorCode::InvalidCredentials
    );
    let e = err(
        400,
        r#"{"error": "invalid_client", "error_description": "Client authentication failed"}"#,
    );
    assert_eq!(e.code, ErrorCode::InvalidCredentials);
    assert_eq!(e.oauth_error.as_deref(), Some("invalid_client"));
    assert!(
        e.message
            .contains("invalid_client: Client authentication failed"),
        "{}",
        e.message
    );
}

#[test]
fn other_4xx_are_request_rejected_with_the_body() {
    let e = err(400, r#"{"error": "unsupported_grant_type"}"#);
    assert_eq!(e.code, ErrorCode::RequestRejected);
    assert_eq!(e.oauth_error.as_deref(), Some("unsupported_grant_type"));
    assert_eq!(
        e.body.as_deref(),
        Some(r#"{"error": "unsupported_grant_type"}"#)
    );
    let html = "<html><body><h1>403 Forbidden</h1></body></html>";
    let e = err(403, html);
    assert_eq!(e.code, ErrorCode::RequestRejected);
    assert_eq!(e.body.as_deref(), Some(html));
    assert!(e.message.contains("403 Forbidden"), "{}", e.message);
    assert_eq!(
        err(404, "").message,
        "SehatMu rejected the token request with HTTP 404."
    );
}

#[test]
fn the_rate_limit_text_and_429_are_rate_limited() {
    for status in [400, 401, 403] {
        let e = err(status, RATE_LIMITED);
        assert_eq!(e.code, ErrorCode::RateLimited, "{status}");
        assert_eq!(e.retry_after_ms, Some(60_000));
        assert_eq!(e.status, Some(status));
        assert!(e.issues.is_some());
    }
    let e = err(429, "Too Many Requests");
    assert_eq!(
        (e.code, e.retry_after_ms),
        (ErrorCode::RateLimited, Some(60_000))
    );
}

#[test]
fn retry_after_wins_as_seconds_or_http_date() {
    let m = ResponseMeta {
        retry_after: Some("120"),
        ..meta(429)
    };
    assert_eq!(run(&m, "").unwrap_err().retry_after_ms, Some(120_000));
    let m = ResponseMeta {
        retry_after: Some("Sun, 17 Dec 2023 04:32:18 GMT"),
        date: Some("Sun, 17 Dec 2023 04:31:48 GMT"),
        ..meta(401)
    };
    let e = run(&m, RATE_LIMITED).unwrap_err();
    assert_eq!(e.retry_after_ms, Some(30_000));
    let m = ResponseMeta {
        retry_after: Some("whenever"),
        ..meta(429)
    };
    assert_eq!(run(&m, "").unwrap_err().retry_after_ms, Some(60_000));
}

#[test]
fn a_5xx_is_server_error_with_its_text() {
    let e = err(504, "Gateway Timeout");
    assert_eq!(e.code, ErrorCode::ServerError);
    assert_eq!(e.status, Some(504));
    assert_eq!(e.body.as_deref(), Some("Gateway Timeout"));
    assert_eq!(
        e.message,
        "The SehatMu token endpoint failed with HTTP 504: Gateway Timeout."
    );
    assert_eq!(e.retry_after_ms, None);
    let m = ResponseMeta {
        retry_after: Some("2"),
        ..meta(503)
    };
    assert_eq!(run(&m, "").unwrap_err().retry_after_ms, Some(2_000));
}

#[test]
fn redirects_and_other_statuses_are_invalid_response() {
    for status in [0, 101, 204, 301, 302, 307, 308] {
        let e = err(status, "");
        let want = if status == 204 {
            "SehatMu answered HTTP 204 without a usable token: the body is empty."
        } else {
            "which is not an answer of a token endpoint"
        };
        assert_eq!(e.code, ErrorCode::InvalidResponse, "{status}");
        assert!(e.message.contains(want), "{}", e.message);
    }
}

#[test]
fn the_body_field_is_cut_to_2_kib() {
    let long = "é".repeat(5000);
    let e = err(500, &long);
    assert_eq!(e.body.as_deref().map(str::len), Some(2048));
    assert!(e.message.chars().count() < 400);
}

#[test]
fn the_secret_is_redacted_from_everything_a_server_echoes() {
    let echo = |s: &str| s.replace("ECHO", SECRET);
    let cases = [
        (
            401,
            echo(
                r#"{"issue": [{"severity": "ECHO", "code": "ECHO", "details": {"text": "bad ECHO"}}]}"#,
            ),
        ),
        (
            400,
            echo(r#"{"error": "ECHO", "error_description": "ECHO"}"#),
        ),
        (403, echo("client_secret=ECHO")),
        (500, echo("client_secret=ECHO")),
        (200, echo(r#"{"error": "ECHO"}"#)),
        (302, echo("ECHO")),
    ];
    for (status, text) in cases {
        let e = err(status, &text);
        let all = format!("{e:?}");
        assert!(!all.contains(SECRET), "{all}");
        assert!(all.contains("[redacted]"), "{all}");
    }
}

#[test]
fn a_2xx_body_over_1_mib_is_invalid_response_others_keep_their_code() {
    let big = ResponseMeta {
        body_too_large: true,
        ..meta(200)
    };
    let e = run(&big, r#"{"access_token": "a", "expires_in": 60"#).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidResponse);
    assert!(e.message.contains("larger than 1 MiB"), "{}", e.message);
    let big = ResponseMeta {
        body_too_large: true,
        ..meta(502)
    };
    assert_eq!(
        run(&big, "<html>").unwrap_err().code,
        ErrorCode::ServerError
    );
}

#[test]
fn quoting_adds_a_full_stop_only_where_the_words_end_without_one() {
    assert_eq!(quoting("A".to_owned(), ""), "A.");
    assert_eq!(quoting("A".to_owned(), "no"), "A: no.");
    for words in ["no.", "no!", "no?", "no…"] {
        assert_eq!(quoting("A".to_owned(), words), join(&["A: ", words]));
    }
    assert_eq!(quoting("A".to_owned(), "日本"), "A: 日本.");
}
