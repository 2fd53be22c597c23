//! The hand-written date and number parsers on arbitrary text: no panic, and every instant
//! they accept formats and parses back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sehatmu_auth::core::{format_iso, parse_decimal, parse_http_date, parse_iso};

fuzz_target!(|text: &str| {
    for ms in [parse_iso(text), parse_http_date(text)]
        .into_iter()
        .flatten()
    {
        if let Some(iso) = format_iso(ms) {
            assert_eq!(parse_iso(&iso), Some(ms), "{iso}");
        }
    }
    if let Some(n) = parse_decimal(text) {
        assert!(n.is_finite() && n >= 0.0);
    }
});
