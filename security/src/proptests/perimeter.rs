//! The four perimeter checks together (docs/rfc/security.md, "Layer
//! order"), against a model: arbitrary and near-miss values of `Host`,
//! `Origin`, `Referer` and `Authorization`, each missing, single or
//! repeated, any method, with or without a preflight header and an
//! absolute-form target. The outcome must be the first failing check's
//! refusal, in contract order, or a pass that hides the credential from the
//! handler; CORS grants go only to the allowed origin.

use std::convert::Infallible;
use std::future::{ready, Future, Ready};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use proptest::prelude::*;
use tower::{service_fn, Layer, Service};
use zeroize::Zeroizing;

use super::config;
use crate::credentials::Credentials;
use crate::origin::BareOrigin;
use crate::perimeter::{PerimeterConfig, PerimeterLayer};
use crate::referer::RefererPolicy;

const PORT: u16 = 4242;
const RENDERER: &str = "http://127.0.0.1:1420";
const CLI: &str = "http://127.0.0.1:9999";
const PASSWORD: &str = "correct-horse-battery-staple-0123456789";

fn perimeter_config() -> PerimeterConfig {
    let renderer = BareOrigin::parse(RENDERER).expect("origin");
    PerimeterConfig {
        port: PORT,
        allowed_origins: vec![renderer.clone()],
        referer: RefererPolicy::new(
            &[renderer],
            &["/desktop".to_owned()],
            &[(BareOrigin::parse(CLI).expect("origin"), "/cli".to_owned())],
        )
        .expect("policy"),
        credentials: Credentials::from_password(&Zeroizing::new(PASSWORD.to_owned())),
    }
}

/// The handler: tells whether it saw a credential and tries to grant CORS
/// to everyone (the perimeter must strip that).
fn handler(req: Request) -> Ready<Result<Response, Infallible>> {
    let saw = req.headers().contains_key(header::AUTHORIZATION);
    let mut response = StatusCode::OK.into_response();
    let headers = response.headers_mut();
    headers.insert(
        "x-saw-auth",
        HeaderValue::from_static(if saw { "yes" } else { "no" }),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    ready(Ok(response))
}

/// Polls a future that must be ready at once (no I/O anywhere here).
fn now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the perimeter future was not ready"),
    }
}

fn error_code(response: Response) -> String {
    let body = now(axum::body::to_bytes(response.into_body(), 1 << 16)).expect("body");
    let value: serde_json::Value = serde_json::from_slice(&body).expect("JSON error body");
    value["error"]["code"].as_str().expect("code").to_owned()
}

fn right_auth() -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("agent:{PASSWORD}"));
    format!("Basic {token}")
}

/// One value: a known good or near-miss one, or arbitrary bytes that a
/// header value may hold (obs-text included).
fn value(known: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::sample::select(known).prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..48).prop_map(|bytes| {
            bytes
                .into_iter()
                .map(|b| if (b >= 0x20 && b != 0x7f) || b == b'\t' { b } else { b'\t' })
                .collect()
        }),
    ]
}

/// Mostly one value, sometimes none or two.
fn values(known: Vec<String>) -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop_oneof![
        1 => Just(Vec::new()),
        10 => proptest::collection::vec(value(known.clone()), 1..=1),
        1 => proptest::collection::vec(value(known), 2..=2),
    ]
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

const HOSTS: &[&str] = &[
    "127.0.0.1:4242",
    "localhost:4242",
    "LocalHost:4242",
    "127.0.0.1:4243",
    "127.0.0.1",
    "localhost",
    "[::1]:4242",
    "evil.example:4242",
    "127.0.0.1:4242 ",
    "localhost.:4242",
    "127.0.0.1:04242",
    "127.1:4242",
    "",
];

const ORIGINS: &[&str] = &[
    RENDERER,
    "null",
    CLI,
    "http://127.0.0.1:1421",
    "HTTP://127.0.0.1:1420",
    "http://127.0.0.1:1420/",
    "http://localhost:1420",
    " http://127.0.0.1:1420",
    "http://127.0.0.1:1420.evil.example",
    "",
];

const REFERERS: &[&str] = &[
    "http://127.0.0.1:1420/desktop/x",
    "http://127.0.0.1:1420/desktop",
    "http://127.0.0.1:9999/cli/run",
    "http://127.0.0.1:1420/desktop/../admin",
    "http://127.0.0.1:1420/desktop/%2e%2e/admin",
    "http://127.0.0.1:1420/desktopX",
    "http://127.0.0.1:1420/desktop\\..\\x",
    "http://evil.example/desktop",
    "http://127.0.0.1:9999/desktop",
    "",
];

fn auths() -> Vec<String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    vec![
        right_auth(),
        format!("bAsIc   {}\t", b64(&format!("agent:{PASSWORD}"))),
        format!("Basic {}", b64(&format!("agent:{PASSWORD}x"))),
        format!("Basic {}", b64(&format!("Agent:{PASSWORD}"))),
        format!("Bearer {}", b64(&format!("agent:{PASSWORD}"))),
        format!("Basic{}", b64(&format!("agent:{PASSWORD}"))),
        "Basic".to_owned(),
        String::new(),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    method: Method,
    absolute: Option<&'static str>,
    preflight: bool,
    hosts: Vec<Vec<u8>>,
    origins: Vec<Vec<u8>>,
    referers: Vec<Vec<u8>>,
    auths: Vec<Vec<u8>>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::sample::select(vec![
            Method::GET,
            Method::POST,
            Method::DELETE,
            Method::OPTIONS,
            Method::OPTIONS,
        ]),
        proptest::option::weighted(
            0.2,
            proptest::sample::select(vec![
                "127.0.0.1:4242",
                "localhost:4242",
                "evil.example:4242",
                "127.0.0.1:4243",
                "u@127.0.0.1:4242",
            ]),
        ),
        any::<bool>(),
        values(strings(HOSTS)),
        prop_oneof![Just(Vec::new()), values(strings(ORIGINS))],
        values(strings(REFERERS)),
        values(auths()),
    )
        .prop_map(
            |(method, absolute, preflight, hosts, origins, referers, auths)| Case {
                method,
                absolute,
                preflight,
                hosts,
                origins,
                referers,
                auths,
            },
        )
}

/// What the contract says the answer is: status and refusal code.
fn expected(case: &Case, config: &PerimeterConfig) -> (StatusCode, Option<&'static str>) {
    let host_allowed = |v: &[u8]| {
        v == format!("127.0.0.1:{PORT}").as_bytes()
            || v.eq_ignore_ascii_case(format!("localhost:{PORT}").as_bytes())
    };
    let host_ok = matches!(&case.hosts[..], [h] if host_allowed(h))
        && case.absolute.is_none_or(|a| host_allowed(a.as_bytes()));
    if !host_ok {
        return (StatusCode::FORBIDDEN, Some("host_not_allowed"));
    }
    let origin_allowed = match &case.origins[..] {
        [] => false,
        [o] if o == RENDERER.as_bytes() => true,
        _ => return (StatusCode::FORBIDDEN, Some("origin_not_allowed")),
    };
    if origin_allowed && case.method == Method::OPTIONS && case.preflight {
        return (StatusCode::NO_CONTENT, None);
    }
    let referer_ok = matches!(&case.referers[..], [r]
        if std::str::from_utf8(r).is_ok_and(|r| config.referer.permits(r)));
    if !referer_ok {
        return (StatusCode::FORBIDDEN, Some("referer_not_allowed"));
    }
    let auth_ok = matches!(&case.auths[..], [a] if config.credentials.verify(a));
    if !auth_ok {
        return (StatusCode::UNAUTHORIZED, Some("unauthorized"));
    }
    (StatusCode::OK, None)
}

fn request(case: &Case) -> Request {
    let uri: Uri = match case.absolute {
        Some(authority) => format!("http://{authority}/health"),
        None => "/health".to_owned(),
    }
    .parse()
    .expect("uri");
    let mut req = Request::builder()
        .method(case.method.clone())
        .uri(uri)
        .body(Body::empty())
        .expect("request");
    let headers = req.headers_mut();
    for (name, list) in [
        (header::HOST, &case.hosts),
        (header::ORIGIN, &case.origins),
        (header::REFERER, &case.referers),
        (header::AUTHORIZATION, &case.auths),
    ] {
        for v in list {
            headers.append(
                name.clone(),
                HeaderValue::from_bytes(v).expect("valid value"),
            );
        }
    }
    if case.preflight {
        headers.insert(
            header::ACCESS_CONTROL_REQUEST_METHOD,
            HeaderValue::from_static("POST"),
        );
    }
    req
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn perimeter_matches_the_model(case in case()) {
        let config = Arc::new(perimeter_config());
        let (status, code) = expected(&case, &config);
        let mut service = PerimeterLayer::new(Arc::clone(&config)).layer(service_fn(handler));
        let response = now(service.call(request(&case))).expect("infallible");
        prop_assert_eq!(response.status(), status, "{:?}", case);

        let headers = response.headers().clone();
        let acao = headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN);
        prop_assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS));
        let origin_allowed = matches!(&case.origins[..], [o] if o == RENDERER.as_bytes());
        if origin_allowed && code != Some("host_not_allowed") {
            prop_assert_eq!(acao.map(HeaderValue::as_bytes), Some(RENDERER.as_bytes()));
            prop_assert!(headers.get_all(header::VARY).iter().any(|v| v == "Origin"));
        } else {
            prop_assert!(acao.is_none(), "{:?} granted {:?}", case, acao);
        }
        if status == StatusCode::UNAUTHORIZED {
            prop_assert_eq!(
                headers.get(header::WWW_AUTHENTICATE).map(HeaderValue::as_bytes),
                Some(&b"AgentHost realm=\"agent-host\""[..])
            );
        }
        match code {
            Some(code) => prop_assert_eq!(error_code(response), code, "{:?}", case),
            None if status == StatusCode::OK => {
                prop_assert_eq!(headers.get("x-saw-auth").map(HeaderValue::as_bytes), Some(&b"no"[..]));
            }
            None => {}
        }
    }
}

/// The CLI's extra Referer pair is not a CORS origin: a request from it
/// with its own `Origin` is refused, without one it passes.
#[test]
fn extra_referer_origin_is_not_a_cors_origin() {
    let config = Arc::new(perimeter_config());
    let mut case = Case {
        method: Method::GET,
        absolute: None,
        preflight: false,
        hosts: vec![b"127.0.0.1:4242".to_vec()],
        origins: vec![CLI.as_bytes().to_vec()],
        referers: vec![b"http://127.0.0.1:9999/cli/run".to_vec()],
        auths: vec![right_auth().into_bytes()],
    };
    let mut service = PerimeterLayer::new(Arc::clone(&config)).layer(service_fn(handler));
    let refused = now(service.call(request(&case))).expect("infallible");
    assert_eq!(error_code(refused), "origin_not_allowed");
    case.origins.clear();
    let passed = now(service.call(request(&case))).expect("infallible");
    assert_eq!(passed.status(), StatusCode::OK);
}
