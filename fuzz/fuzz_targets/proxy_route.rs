//! The proxy's path rule on arbitrary options and request-targets: it must never panic, and
//! every URL it forwards to, once a WHATWG URL parser (the `url` crate, as `fetch` reads it)
//! has normalised it, stays on the upstream's origin, under the upstream's path + one of
//! `paths`, and never names the token endpoint (not even percent-encoded).
//!
//! The input is UTF-8 text in parts separated by 0xff (a byte no UTF-8 text holds): the
//! upstream (empty: `https://api.example`), the prefix, the request-target, then the paths
//! (none: the default).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sehatmu_auth::core::{ParsedUrl, ProxyRoutes, Upstream, DEFAULT_PROXY_PATHS};
use url::Url;

/// What JS `URL` reports of `url`.
fn parsed(url: &Url) -> ParsedUrl {
    let part = |value: Option<&str>, mark: &str| match value {
        Some(text) if !text.is_empty() => format!("{mark}{text}"),
        _ => String::new(),
    };
    ParsedUrl {
        href: url.as_str().to_owned(),
        protocol: format!("{}:", url.scheme()),
        hostname: url.host_str().unwrap_or_default().to_owned(),
        username: url.username().to_owned(),
        password: url.password().unwrap_or_default().to_owned(),
        search: part(url.query(), "?"),
        hash: part(url.fragment(), "#"),
    }
}

/// A path segment with its percent-escapes decoded, as a server may before it routes it.
fn decoded(segment: &str) -> Vec<u8> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escape = bytes
            .get(at + 1..at + 3)
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match (bytes[at], escape) {
            (b'%', Some(byte)) => {
                out.push(byte);
                at += 3;
            }
            (byte, _) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    out
}

/// Whether a normalised path has the segments `oauth` then `token`, in any case, percent-encoded
/// or not.
fn names_token_endpoint(path: &str) -> bool {
    let segments: Vec<Vec<u8>> = path.split('/').map(decoded).collect();
    segments.windows(2).any(|pair| {
        pair[0].eq_ignore_ascii_case(b"oauth") && pair[1].eq_ignore_ascii_case(b"token")
    })
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0xff).map(std::str::from_utf8);
    let (Some(Ok(upstream)), Some(Ok(prefix)), Some(Ok(target))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let Ok(paths) = parts
        .map(|p| p.map(|p| Some(p.to_owned())))
        .collect::<Result<Vec<_>, _>>()
    else {
        return;
    };
    let upstream = if upstream.is_empty() {
        "https://api.example"
    } else {
        upstream
    };
    let upstream_url = Url::parse(upstream).ok();
    let upstream_parts = upstream_url.as_ref().map(parsed);
    let given = Upstream::Given {
        raw: upstream,
        url: upstream_parts.as_ref(),
    };
    let paths_option = (!paths.is_empty()).then_some(Some(&paths[..]));
    let Ok(routes) = ProxyRoutes::new(Some(Some(prefix)), paths_option, given) else {
        return;
    };
    let upstream_url = upstream_url.expect("an upstream that URL could not parse was accepted");
    let Ok(forwarded) = routes.route(target) else {
        return;
    };
    let url = Url::parse(&forwarded).expect("a URL that does not parse was forwarded");
    assert_eq!(url.origin(), upstream_url.origin(), "{forwarded}");
    let path = url.path();
    assert!(!names_token_endpoint(path), "{target:?} reaches {path}");

    let base = upstream_url.path().trim_end_matches('/');
    let origin = upstream_url.origin().ascii_serialization();
    let allowed: Vec<&str> = if paths.is_empty() {
        DEFAULT_PROXY_PATHS.to_vec()
    } else {
        paths.iter().flatten().map(String::as_str).collect()
    };
    let under = allowed.iter().any(|p| {
        // The allowed path as the parser writes it (percent-encoding what it encodes).
        let expected = Url::parse(&format!("{origin}{base}{p}")).expect("an allowed path");
        let expected = expected.path();
        match path.strip_prefix(expected) {
            Some(rest) => p.ends_with('/') || rest.is_empty() || rest.starts_with('/'),
            None => false,
        }
    });
    assert!(
        under,
        "{target:?} reaches {path}, outside {base} + {allowed:?}"
    );
});
