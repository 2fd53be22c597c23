use alloc::borrow::ToOwned;
use alloc::vec;

use super::*;
use crate::core::ErrorCode;

fn url(href: &str) -> ParsedUrl {
    let protocol = &href[..href.find(':').unwrap() + 1];
    let host = href[protocol.len() + 2..]
        .split(['/', '?', '#'])
        .next()
        .unwrap();
    let hostname = match host.rfind(':') {
        Some(at) if !host.ends_with(']') => &host[..at],
        _ => host,
    };
    ParsedUrl {
        href: href.into(),
        protocol: protocol.into(),
        hostname: hostname.into(),
        ..ParsedUrl::default()
    }
}

fn routes_of(prefix: &str, paths: &[&str], upstream: &str) -> ProxyRoutes {
    let paths: Vec<_> = paths.iter().map(|&p| Some(p.to_owned())).collect();
    let parsed = url(upstream);
    let upstream = Upstream::Given {
        raw: upstream,
        url: Some(&parsed),
    };
    ProxyRoutes::new(Some(Some(prefix)), Some(Some(&paths)), upstream).unwrap()
}

fn field_of(error: Error) -> &'static str {
    assert_eq!(error.code, ErrorCode::InvalidArgument);
    error.field.unwrap()
}

#[test]
fn refuses_malformed_paths_with_400() {
    let routes = routes_of("/sehatmu", &["/fhir/"], "https://api.example/");
    for target in [
        "/sehatmu/fhir/../oauth/token",
        "/sehatmu/fhir/%2e%2e/oauth/token",
        "/sehatmu/fhir/%2E%2E/oauth/token",
        "/sehatmu/fhir/.%2e/oauth/token",
        "/sehatmu/fhir%2f..",
        "/sehatmu/fhir%2F..",
        "/sehatmu/fhir/..",
        "/sehatmu/fhir/./Patient",
        "/sehatmu/fhir/.",
        "/sehatmu/fhir//Patient",
        "/sehatmu//fhir/Patient",
        "//sehatmu/fhir/Patient",
        "/sehatmu/fhir/Patient\\..\\..\\oauth\\token",
        "/sehatmu/fhir/%5c..%5coauth",
        "/sehatmu/fhir/%5C",
        "/sehatmu/fhir/%252e%252e/oauth/token",
        "/sehatmu/fhir/Patient%2Fx",
        "sehatmu/fhir/Patient",
        "http://evil.example/sehatmu/fhir/Patient",
        "*",
        "",
        "?x",
        // What a WHATWG URL parser drops, strips or ends the path at.
        "/sehatmu/fhir/x/\t../../oauth/token",
        "/sehatmu/fhir/x/.\n./../oauth/token",
        "/sehatmu/fhir/x#/../../oauth/token",
        "/sehatmu/fhir/Patient ",
        "/sehatmu/fhir/Pa tient",
        "/sehatmu/fhir/Patient\x00",
        "/sehatmu/fhir/Patient\x1f",
        "/sehatmu/fhir/Patient\x7f",
        "\x20/sehatmu/fhir/Patient",
    ] {
        assert_eq!(routes.route(target), Err(400), "{target:?}");
    }
}

#[test]
fn refuses_paths_outside_prefix_and_paths_with_404() {
    let routes = routes_of("/sehatmu", &["/fhir/"], "https://api.example");
    for target in [
        "/sehatmu/oauth/token",
        "/sehatmu/OAuth/Token",
        "/sehatmu/fhir/oauth/token",
        "/sehatmu/fhir/x/OAUTH/TOKEN/",
        "/sehatmu/fhir/oauth/token?x=1",
        "/sehatmu",
        "/sehatmu/",
        "/sehatmufhir/Patient",
        "/sehatmu/fhirPatient",
        "/sehatmu/fhir",
        "/sehatmu/FHIR/Patient",
        "/fhir/Patient",
        "/",
        "/sehatmu/other/fhir/Patient",
    ] {
        assert_eq!(routes.route(target), Err(404), "{target:?}");
    }
}

#[test]
fn forwards_the_path_after_the_prefix_and_the_query_as_given() {
    let routes = routes_of("/sehatmu", &["/fhir/"], "https://api.example");
    for (target, url) in [
        ("/sehatmu/fhir/Patient", "https://api.example/fhir/Patient"),
        (
            "/sehatmu/fhir/Patient/123/_history/2",
            "https://api.example/fhir/Patient/123/_history/2",
        ),
        (
            "/sehatmu/fhir/Patient/",
            "https://api.example/fhir/Patient/",
        ),
        (
            "/sehatmu/fhir/Patient?name=a/../b&x=%2e%2e#\t",
            "https://api.example/fhir/Patient?name=a/../b&x=%2e%2e#\t",
        ),
        (
            "/sehatmu/fhir/Patient..x/.well",
            "https://api.example/fhir/Patient..x/.well",
        ),
        ("/sehatmu/fhir/%41%2", "https://api.example/fhir/%41%2"),
        ("/sehatmu/fhir/é", "https://api.example/fhir/é"),
        ("/sehatmu/fhir/oauth", "https://api.example/fhir/oauth"),
        (
            "/sehatmu/fhir/oauth/tokens",
            "https://api.example/fhir/oauth/tokens",
        ),
    ] {
        assert_eq!(routes.route(target).as_deref(), Ok(url), "{target:?}");
    }
}

#[test]
fn joins_the_upstreams_own_path() {
    let routes = routes_of("/sehatmu/", &["/fhir/"], "https://host.example:8443/api/");
    assert_eq!(
        routes.route("/sehatmu/fhir/Patient?_count=1").as_deref(),
        Ok("https://host.example:8443/api/fhir/Patient?_count=1")
    );
    let routes = routes_of("", &["/fhir/"], "http://[::1]:8080//");
    assert_eq!(
        routes.route("/fhir/x").as_deref(),
        Ok("http://[::1]:8080/fhir/x")
    );
}

#[test]
fn paths_with_a_trailing_slash_are_prefixes_others_exact_or_with_subpaths() {
    let routes = routes_of("", &["/fhir/", "/metadata"], "https://api.example");
    for (target, passes) in [
        ("/fhir/Patient", true),
        ("/fhir/", true),
        ("/metadata", true),
        ("/metadata/x", true),
        ("/metadata/", true),
        ("/metadatax", false),
        ("/fhir", false),
    ] {
        assert_eq!(routes.route(target).is_ok(), passes, "{target:?}");
    }
}

#[test]
fn the_token_endpoint_stays_out_of_reach() {
    for (paths, upstream, target) in [
        (&["/"][..], "https://api.example", "/oauth/token"),
        (
            &["/oauth/"],
            "https://api.example",
            "/oauth/token?grant_type=client_credentials",
        ),
        (&["/oauth/"], "https://api.example", "/oauth/ToKeN/"),
        (&["/token"], "https://api.example/oauth", "/token"),
        (&["/Token"], "https://api.example/x/OAuth/", "/Token/y"),
        (&["/"], "https://api.example/", "/a/b/oauth/token"),
        (&["/"], "https://api.example", "/%6Fauth/token"),
        (
            &["/"],
            "https://api.example",
            "/%4f%41%55%54%48/%74%6f%6b%65%6e/",
        ),
        (&["/token"], "https://api.example/o%61uth", "/token"),
    ] {
        assert_eq!(
            routes_of("", paths, upstream).route(target),
            Err(404),
            "{upstream} {target}"
        );
    }
    let routes = routes_of("", &["/"], "https://api.example");
    for target in [
        "/oauthtoken",
        "/oauth/tokenx",
        "/xoauth/token",
        "/oauth",
        "/%6Fauth/%74oken%",
        "/%6Fauth/%74oke",
        "/%6Gauth/token",
        "/oauth%/token",
    ] {
        assert!(routes.route(target).is_ok(), "{target}");
    }
}

#[test]
fn defaults_fhir_and_10_mib() {
    let parsed = url("https://api.example");
    let upstream = Upstream::Given {
        raw: "https://api.example",
        url: Some(&parsed),
    };
    let routes = ProxyRoutes::new(None, None, upstream).unwrap();
    assert!(routes.route("/fhir/Patient").is_ok());
    assert_eq!(routes.route("/metadata"), Err(404));
    assert_eq!(proxy_body_limit(None).unwrap(), 10.0 * 1024.0 * 1024.0);
}

#[test]
fn checks_the_path_options() {
    let parsed = url("https://api.example");
    let upstream = Upstream::Given {
        raw: "https://api.example",
        url: Some(&parsed),
    };
    let new = |prefix: Option<&str>, paths: &[Option<&str>]| {
        let paths: Vec<_> = paths.iter().map(|p| p.map(String::from)).collect();
        ProxyRoutes::new(Some(prefix), Some(Some(&paths)), upstream)
    };
    for prefix in ["", "/", "/sehatmu", "/sehatmu/", "/a..b/c"] {
        assert!(new(Some(prefix), &[Some("/fhir/")]).is_ok(), "{prefix:?}");
    }
    for path in ["/", "/fhir", "/fhir/", "/oauth/token"] {
        assert!(new(Some(""), &[Some(path)]).is_ok(), "{path:?}");
    }
    for prefix in [
        None,
        Some("sehatmu"),
        Some("/a/../b"),
        Some("/a//"),
        Some("//"),
        Some("/a%2Fb"),
        Some("/a b"),
        Some("/a#"),
    ] {
        let error = new(prefix, &[Some("/fhir/")]).unwrap_err();
        assert_eq!(field_of(error), "prefix", "{prefix:?}");
    }
    for paths in [
        &[][..],
        &[Some("/fhir/"), None],
        &[Some("fhir/")],
        &[Some("")],
        &[Some("/fhir/%2e%2e/")],
        &[Some("/fhir//")],
        &[Some("/fhir\\")],
    ] {
        let error = new(Some(""), paths).unwrap_err();
        assert_eq!(field_of(error), "paths", "{paths:?}");
    }
    let error = ProxyRoutes::new(None, Some(None), upstream).unwrap_err();
    assert_eq!(field_of(error), "paths");
    assert_eq!(
        new(Some("x"), &[Some("/fhir/")]).unwrap_err().message,
        r#"Invalid prefix: it must be a path that starts with "/", with no dot or empty segment, backslash or %2e, %2f, %5c or %25."#
    );
    assert_eq!(
        ProxyRoutes::new(Some(None), None, upstream)
            .unwrap_err()
            .message,
        "Invalid prefix: it must be a string."
    );
}

#[test]
fn checks_the_upstream() {
    for href in [
        "https://api.example/",
        "https://api.example/api/",
        "http://localhost:1/",
        "http://127.9.8.7/",
        "http://[::1]:8080/",
    ] {
        let parsed = url(href);
        let upstream = Upstream::Given {
            raw: href,
            url: Some(&parsed),
        };
        assert!(ProxyRoutes::new(None, None, upstream).is_ok(), "{href}");
    }
    let must = "Invalid upstream: it must be an absolute https: URL (http: only for localhost, 127.0.0.0/8 or [::1]) with no credentials, query or fragment.";
    let refused = |raw: &str, parsed: Option<ParsedUrl>| {
        let upstream = Upstream::Given {
            raw,
            url: parsed.as_ref(),
        };
        let error = ProxyRoutes::new(None, None, upstream).unwrap_err();
        assert_eq!(error.message, must, "{raw}");
        assert_eq!(field_of(error), "upstream");
    };
    refused("/relative", None);
    refused("", None);
    for href in [
        "http://api.example/",
        "http://127.0.0.1.nip.io/",
        "http://localhost.example.com/",
        "ftp://127.0.0.1/",
    ] {
        refused(href, Some(url(href)));
    }
    let with = |raw: &str, edit: fn(&mut ParsedUrl)| {
        let mut parsed = url("https://api.example/");
        edit(&mut parsed);
        refused(raw, Some(parsed));
    };
    with("https://user:pw@api.example", |u| {
        u.username = "user".into()
    });
    with("https://:pw@api.example", |u| u.password = "pw".into());
    with("https://api.example/?q", |u| u.search = "?q".into());
    with("https://api.example/#f", |u| u.hash = "#f".into());
    // `URL` drops an empty query or fragment: the raw value still has it.
    with("https://api.example/?", |_| {});
    with("https://api.example/#", |_| {});
    let error = ProxyRoutes::new(None, None, Upstream::Unknown).unwrap_err();
    assert_eq!(
        error.message,
        "Invalid upstream: it must be given where the client is picked for each request, or does not tell its baseUrl yet."
    );
}

#[test]
fn checks_max_body_bytes() {
    for n in [0.0, 1.0, -0.0, 9_007_199_254_740_991.0] {
        assert_eq!(proxy_body_limit(Some(Some(n))).unwrap(), n);
    }
    for n in [
        Some(-1.0),
        Some(1.5),
        Some(f64::INFINITY),
        Some(f64::NAN),
        Some(9_007_199_254_740_992.0),
        None,
    ] {
        let error = proxy_body_limit(Some(n)).unwrap_err();
        assert_eq!(
            error.message,
            "Invalid maxBodyBytes: it must be a whole number of bytes, 0 or more."
        );
    }
}

#[test]
fn lists_are_lower_case() {
    let lists = [
        &PROXY_REQUEST_HEADERS[..],
        &DROPPED_RESPONSE_HEADERS,
        &DECODED_BY_FETCH,
        &[DROPPED_RESPONSE_PREFIX],
    ];
    for name in lists.iter().flat_map(|list| list.iter()) {
        assert_eq!(*name, name.to_ascii_lowercase());
    }
    assert_eq!(vec![DEFAULT_PROXY_PATHS[0]], ["/fhir/"]);
}
