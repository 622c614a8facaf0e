//! Property tests for what the bridge parses from the page
//! (docs/rfc/bridge.md §3, §4): the strict percent-decoder, the
//! `hostapi://host/<path>` target check, the Origin check, the method
//! list, the headers that cross in each direction, and the config (whose
//! Referer the host's guard must admit).
//!
//! Bounded (256 cases per property) so they run in every `cargo nextest
//! run`; `scripts/fuzz.sh` runs them with a large `PROPTEST_CASES`
//! (docs/fuzzing.md). A failing case is printed shrunk; add it to the
//! module's case table as a regression.

use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use proptest::test_runner::Config;

use crate::config::BridgeConfig;
use crate::headers::{from_page, to_page};
use crate::refusal::Refusal;
use crate::request::{check_origin, vet, BridgeRequest};
use crate::target::{host_target, percent_decode};

/// `cases` cases, unless `PROPTEST_CASES` says otherwise; no failure files.
fn config(cases: u32) -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config.failure_persistence = None;
    config
}

/// Strings rich in `%`, hex digits, dots and slashes, plus anything at all.
fn escape_ish() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[%0-9a-fA-F./\\\\+ g-z]{0,40}",
        1 => any::<String>(),
    ]
}

/// The reference decoder: every `%` must start `%XX`.
fn reference_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Path segments the target check must refuse, wherever they appear.
const BAD_SEGMENTS: &[&str] = &[
    "", ".", "..", "%2e", "%2E", "%2e%2e", "%2E%2e", ".%2e", "%2e.", "a%2fb", "%2F", "a%5cb",
    "%5C", "a\\b", "%00", "a%2", "%zz", "%", "a%+2e", "a%-1", "a b", "\u{e4}", "a#b", "a\0b",
    "a\tb", "a\nb",
];

#[derive(Debug, Clone)]
enum Segment {
    Good(String),
    Bad(&'static str),
}

fn segment() -> impl Strategy<Value = Segment> {
    let good = prop_oneof![
        4 => "[A-Za-z0-9_~!$&'()*+,;=:@-]{1,8}",
        1 => proptest::sample::select(vec![
            "...", ".hidden", "..a", "a..", "%2e%2e%2e", "a%20b", "%41", "%ff", "a%0Ab", "a.b",
        ])
        .prop_map(str::to_owned),
    ];
    prop_oneof![
        4 => good.prop_map(Segment::Good),
        1 => proptest::sample::select(BAD_SEGMENTS).prop_map(Segment::Bad),
    ]
}

const PREFIXES: &[(&str, bool)] = &[
    ("hostapi://host", true),
    ("HOSTAPI://HOST", true),
    ("hostApi://hOsT", true),
    ("hostapi://hostile", false),
    ("hostapi://host:80", false),
    ("hostapi://host:", false),
    ("hostapi://user@host", false),
    ("hostapi://host.", false),
    ("hostapi://h%6Fst", false),
    ("hostapi:/host", false),
    ("hostapi:host", false),
    ("http://host", false),
    ("hostapi://", false),
    (" hostapi://host", false),
    ("hostapi://shell", false),
];

const QUERIES: &[(&str, bool)] = &[
    ("", true),
    ("?", true),
    ("?a=1&b=%2F..", true),
    ("?x=../..", true),
    ("?a?b", true),
    ("?%0a", true),
    ("?%00", false),
    ("?a%zz", false),
    ("?a%2", false),
    ("?a#b", false),
    ("#b", false),
    ("?a b", false),
    ("?a\\b", false),
    ("?\u{e9}", false),
];

/// A URI from prefixes, segments and queries, the target it must yield
/// (or `None`: refused).
fn uri_grammar() -> impl Strategy<Value = (String, Option<String>)> {
    (
        proptest::sample::select(PREFIXES),
        proptest::collection::vec(segment(), 0..5),
        any::<bool>(),
        proptest::sample::select(QUERIES),
    )
        .prop_map(
            |((prefix, prefix_ok), segments, trailing, (query, query_ok))| {
                let mut path = String::new();
                let mut clean = true;
                for (i, segment) in segments.iter().enumerate() {
                    path.push('/');
                    match segment {
                        Segment::Good(s) => path.push_str(s),
                        // An empty last segment is just a trailing slash.
                        Segment::Bad("") if i + 1 == segments.len() => {}
                        Segment::Bad(s) => {
                            path.push_str(s);
                            clean = false;
                        }
                    }
                }
                if path.is_empty() || (trailing && !path.ends_with('/')) {
                    path.push('/');
                }
                clean &= !path.contains("//");
                let target = format!("{path}{query}");
                let uri = format!("{prefix}{target}");
                (uri, (prefix_ok && clean && query_ok).then_some(target))
            },
        )
}

const RENDERER: &str = "http://127.0.0.1:4173";

fn bridge_config() -> BridgeConfig {
    BridgeConfig::new(RENDERER, "/desktop").expect("config")
}

proptest! {
    #![proptest_config(config(256))]

    /// Never panics; refuses exactly the strings with a `%` not followed by
    /// two hex digits; otherwise equals the reference decoding.
    #[test]
    fn percent_decode_matches_the_reference(s in escape_ish()) {
        let decoded = percent_decode(&s);
        prop_assert_eq!(&decoded, &reference_decode(&s), "{:?}", s);
        if let Some(decoded) = decoded {
            prop_assert_eq!(decoded.len(), s.len() - 2 * s.matches('%').count());
            if !s.contains('%') {
                prop_assert_eq!(decoded, s.as_bytes());
            }
        }
    }

    /// Any bytes, escaped (either hex case) or left raw where unreserved,
    /// decode back to themselves; `%2f` is `/` to the decoder (refusing it
    /// is the target check's job, tested below).
    #[test]
    fn percent_decode_round_trips(
        bytes in proptest::collection::vec(any::<u8>(), 0..64),
        styles in proptest::collection::vec(0u8..3, 64),
    ) {
        let mut encoded = String::new();
        for (b, style) in bytes.iter().zip(&styles) {
            match style {
                0 if b.is_ascii_alphanumeric() || b"-._~".contains(b) => encoded.push(char::from(*b)),
                1 => encoded.push_str(&format!("%{b:02x}")),
                _ => encoded.push_str(&format!("%{b:02X}")),
            }
        }
        prop_assert_eq!(percent_decode(&encoded), Some(bytes));
    }

    /// Built from prefixes, segments and queries: a URI passes iff every
    /// part is clean, and then its target is the raw text, unchanged.
    #[test]
    fn host_target_grammar_oracle((uri, expected) in uri_grammar()) {
        let got = host_target(&uri).map(|t| t.to_string());
        prop_assert_eq!(got, expected, "{:?}", uri);
    }

    /// Never panics; whatever passes is passed through unchanged and a URL
    /// parser's normalisation (dot segments, `\`) changes nothing of its
    /// structure; no decoded segment is `.`/`..` or hides `/`, `\` or NUL.
    #[test]
    fn accepted_targets_are_plain(
        uri in prop_oneof![
            uri_grammar().prop_map(|(uri, _)| uri),
            "(?i)hostapi://host[/a-z.%0-9\\\\?#:@ ]{0,30}",
            any::<String>(),
        ],
    ) {
        if let Some(target) = host_target(&uri) {
            let raw = &uri["hostapi://host".len()..];
            prop_assert_eq!(target.as_str(), raw);
            prop_assert!(raw.bytes().all(|b| b.is_ascii_graphic()), "{:?}", uri);
            prop_assert!(!raw.contains(['#', '\\']), "{:?}", uri);
            let path = target.path();
            let url = url::Url::parse(&format!("http://h{raw}")).expect("a URL");
            prop_assert_eq!(url.path().matches('/').count(), path.matches('/').count(), "{:?}", uri);
            for segment in path.split('/').skip(1) {
                let decoded = percent_decode(segment).expect("valid escapes");
                prop_assert!(decoded != b"." && decoded != b"..", "{:?}", uri);
                prop_assert!(!decoded.iter().any(|b| matches!(b, b'/' | b'\\' | 0)), "{:?}", uri);
            }
            let query = target.query().unwrap_or("");
            prop_assert!(percent_decode(query).is_some_and(|q| !q.contains(&0)), "{:?}", uri);
        }
    }

    /// Exactly one `Origin` (name in any case), byte-equal to the renderer's.
    #[test]
    fn origin_check_needs_exactly_the_renderer(
        headers in proptest::collection::vec(
            (
                proptest::sample::select(vec![
                    "Origin", "origin", "ORIGIN", "oRiGiN", "Origin ", "x-origin", "Referer", "origin\0",
                ]),
                proptest::sample::select(vec![
                    RENDERER,
                    "http://127.0.0.1:4173/",
                    "HTTP://127.0.0.1:4173",
                    "http://127.0.0.1:41730",
                    "http://localhost:4173",
                    " http://127.0.0.1:4173",
                    "http://127.0.0.1:4173\0",
                    "null",
                    "",
                ]),
            ),
            0..4,
        ),
    ) {
        let headers: Vec<(String, String)> = headers
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        let origins: Vec<&String> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("origin"))
            .map(|(_, v)| v)
            .collect();
        let expected = matches!(&origins[..], [o] if o.as_str() == RENDERER);
        let got = check_origin(&bridge_config(), &headers);
        prop_assert_eq!(got.is_ok(), expected, "{:?}", headers);
        if !expected {
            prop_assert_eq!(got.unwrap_err(), Refusal::ORIGIN);
        }
    }

    /// Only the five methods, spelt exactly, pass; only content-type,
    /// accept and last-event-id cross, with values that are valid header
    /// values (no CR/LF smuggling).
    #[test]
    fn vet_passes_methods_and_headers_by_the_list(
        method in prop_oneof![
            proptest::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE"]).prop_map(str::to_owned),
            "[A-Za-z ]{0,8}",
        ],
        page_headers in proptest::collection::vec(
            (
                proptest::sample::select(vec![
                    "Content-Type", "ACCEPT", "last-event-id", "Authorization", "Cookie", "Host",
                    "Referer", "Proxy-Authorization", "X-Forwarded-For", "accept ",
                ]),
                prop_oneof!["[ -~]{0,12}", any::<String>()],
            ),
            0..5,
        ),
    ) {
        let mut headers = vec![("Origin".to_owned(), RENDERER.to_owned())];
        headers.extend(page_headers.iter().map(|(n, v)| ((*n).to_owned(), v.clone())));
        let request = BridgeRequest {
            method: method.clone(),
            uri: "hostapi://host/health".to_owned(),
            headers,
            body: None,
        };
        let five = ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str());
        match vet(&bridge_config(), &request) {
            Ok(vetted) => {
                prop_assert!(five, "{:?}", method);
                prop_assert_eq!(vetted.method.as_str(), method.as_str());
                for (name, value) in &vetted.headers {
                    prop_assert!(["content-type", "accept", "last-event-id"].contains(&name.as_str()));
                    prop_assert!(HeaderValue::from_str(value).is_ok());
                }
            }
            Err(refusal) if !five => prop_assert_eq!(refusal, Refusal::METHOD),
            Err(refusal) => {
                prop_assert_eq!(refusal, Refusal::BAD_REQUEST);
                let forwarded = from_page(&request.headers);
                prop_assert!(forwarded.iter().any(|(_, v)| HeaderValue::from_str(v).is_err()));
            }
        }
    }

    /// No hop-by-hop header, none the `Connection` header names, and no
    /// `access-control-*` reaches the page; the rest does.
    #[test]
    fn to_page_drops_hop_by_hop_and_cors(
        headers in proptest::collection::vec(
            (
                proptest::sample::select(vec![
                    "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
                    "proxy-authenticate", "access-control-allow-origin", "access-control-x",
                    "content-type", "x-custom", "x-other", "set-cookie",
                ]),
                prop_oneof![
                    Just("x-custom".to_owned()),
                    Just("X-Other, keep-alive".to_owned()),
                    "[ -~]{0,10}",
                ],
            ),
            0..8,
        ),
    ) {
        let mut map = HeaderMap::new();
        for (name, value) in &headers {
            map.append(HeaderName::from_static(name), HeaderValue::from_str(value).expect("value"));
        }
        let named: Vec<String> = map
            .get_all("connection")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|n| n.trim().to_ascii_lowercase())
            .collect();
        let out = to_page(&map);
        for (name, _) in &out {
            prop_assert!(!name.starts_with("access-control-"), "{}", name);
            prop_assert!(![
                "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
                "proxy-authenticate",
            ].contains(&name.as_str()), "{}", name);
            prop_assert!(!named.contains(name), "{}", name);
        }
        let kept = map.iter().filter(|(n, _)| {
            let n = n.as_str();
            ["content-type", "x-custom", "x-other", "set-cookie"].contains(&n) && !named.iter().any(|m| m == n)
        }).count();
        prop_assert_eq!(out.len(), kept);
    }

    /// The bridge's origin rule is the handshake's (`BareOrigin`), and the
    /// Referer it sends for an accepted config passes the host's guard built
    /// from the same origin and root.
    #[test]
    fn config_agrees_with_the_host(
        origin in prop_oneof![
            "(http|https|HTTP)://[a-z0-9.:@\\[\\]]{1,16}[/?#]{0,1}",
            Just(RENDERER.to_owned()),
        ],
        root in "/[a-zA-Z0-9._~/ %?#\\\\\u{e9}\u{0}-]{0,16}",
    ) {
        let host_ok = agent_security::BareOrigin::parse(&origin).is_ok();
        let bridge = BridgeConfig::new(origin.clone(), "/desktop");
        prop_assert_eq!(bridge.is_ok(), host_ok, "{:?}", origin);
        if let Ok(config) = BridgeConfig::new(RENDERER, root.clone()) {
            prop_assert!(agent_security::validate_root(&root).is_ok(), "{:?}", root);
            let renderer = agent_security::BareOrigin::parse(RENDERER).expect("origin");
            let policy = agent_security::RefererPolicy::new(&[renderer], std::slice::from_ref(&root), &[])
                .expect("policy");
            prop_assert!(policy.permits(&config.referer()), "{:?}", root);
        }
    }
}
