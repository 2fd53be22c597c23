//! The response parser and normaliser on arbitrary answers: it must never panic, every token
//! it accepts must be usable, and no error may carry the secret, however the server echoes it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sehatmu_auth::core::{interpret, json, ClientSecret, ResponseMeta};

const SECRET: &str = "FUZZ-SECRET";

fuzz_target!(|data: &[u8]| {
    // status (2 bytes), received_at (8 bytes), then "retry-after\ndate\nbody".
    if data.len() < 10 {
        return;
    }
    let status = u16::from_le_bytes([data[0], data[1]]) % 700;
    let received_at_ms = i64::from_le_bytes(data[2..10].try_into().unwrap_or_default());
    let text = String::from_utf8_lossy(&data[10..]);
    let mut parts = text.splitn(3, '\n');
    let retry_after = parts.next().filter(|s| !s.is_empty());
    let date = parts.next().filter(|s| !s.is_empty());
    let body_text = parts.next().unwrap_or("");
    let meta = ResponseMeta {
        status,
        retry_after,
        date,
        received_at_ms,
        body_too_large: data[0] & 0x80 != 0,
    };
    let body = json::body(body_text);
    let secret = ClientSecret::new(SECRET.to_owned());
    match interpret(&meta, body_text, body.as_ref(), &secret) {
        Ok(token) => {
            assert!((200..300).contains(&status));
            assert!(!token.access_token.is_empty());
            assert!(token.access_token.bytes().all(|b| b.is_ascii_graphic()));
            assert!(token.lifetime_ms > 0);
            assert_eq!(token.expires_at_iso.len(), 24);
        }
        Err(error) => {
            let shown = format!("{error:?}");
            assert!(!shown.contains(SECRET), "{shown}");
            assert!(error.body.as_ref().is_none_or(|b| b.len() <= 2048));
        }
    }
});
