//! The Referer guard (docs/rfc/security.md, layer 3): a Referer passes only
//! when its origin is allowed and its path is a root or below it, and no
//! spelling (`..`, `%2e%2e`, `%2f`, backslash, userinfo, controls,
//! non-ASCII) hides a path outside the roots.

use proptest::prelude::*;
use url::Url;

use super::{config, url_ish};
use crate::origin::BareOrigin;
use crate::referer::{validate_root, RefererPolicy};

const RENDERER: &str = "http://127.0.0.1:1420";
const APP: &str = "https://app.example";
const CLI: &str = "http://127.0.0.1:9999";
const ROOTS: [&str; 2] = ["/desktop", "/a/b"];
const CLI_ROOT: &str = "/cli";

fn origin(s: &str) -> BareOrigin {
    BareOrigin::parse(s).expect("valid origin")
}

fn policy() -> RefererPolicy {
    RefererPolicy::new(
        &[origin(RENDERER), origin(APP)],
        &ROOTS.map(str::to_owned),
        &[(origin(CLI), CLI_ROOT.to_owned())],
    )
    .expect("valid policy")
}

/// `path` is `root` or below it, segment-wise.
fn under(path: &str, root: &str) -> bool {
    let root = root.trim_end_matches('/');
    path.strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// What a browser-grade URL parser makes of `referer`: its origin and its
/// path after dot-segment resolution, `\` → `/` and the like.
fn normalised(referer: &str) -> Option<(String, String)> {
    let url = Url::parse(referer).ok()?;
    Some((url.origin().ascii_serialization(), url.path().to_owned()))
}

/// The raw path of an `http(s)://authority/path?query` string.
fn raw_path(referer: &str) -> &str {
    let rest = referer.split_once("://").map_or("", |(_, rest)| rest);
    let rest = &rest[rest.find(['/', '?']).unwrap_or(rest.len())..];
    let path = &rest[..rest.find('?').unwrap_or(rest.len())];
    if path.is_empty() {
        "/"
    } else {
        path
    }
}

/// Path segments that must never pass, wherever they appear.
const BAD_SEGMENTS: &[&str] = &[
    "", ".", "..", "%2e", "%2E", "%2e%2e", "%2E%2e", ".%2e", "%2e.", ".%2E", "a%2fb", "%2F",
    "a%2F..", "a%5cb", "%5C", "a\\b", "\\", "%00", "a%0a", "%0D", "%1f", "%7f", "%7F", "%zz",
    "a%2", "%", "a%g0", "a%+2e", "a b", "\u{e9}", "a\u{0}b", "a\tb", "a\nb", "a#b", "#",
];

/// Path segments that are plain names (some look dotty but are not dot
/// segments).
fn good_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_~!$&'()*+,;=:@-]{1,8}",
        Just("...".to_owned()),
        Just(".hidden".to_owned()),
        Just("..a".to_owned()),
        Just("a..".to_owned()),
        Just("%2e%2e%2e".to_owned()),
        Just("a%20b".to_owned()),
        Just("%41%2Ex".to_owned()),
        Just("%ff".to_owned()),
    ]
}

#[derive(Debug, Clone)]
enum Segment {
    Good(String),
    Bad(&'static str),
}

fn segment() -> impl Strategy<Value = Segment> {
    prop_oneof![
        4 => good_segment().prop_map(Segment::Good),
        1 => proptest::sample::select(BAD_SEGMENTS).prop_map(Segment::Bad),
    ]
}

/// Origins: the allowed ones and near misses.
const ORIGINS: &[&str] = &[
    RENDERER,
    APP,
    CLI,
    "http://127.0.0.1:1421",
    "https://127.0.0.1:1420",
    "HTTP://127.0.0.1:1420",
    "http://127.0.0.1:1420.evil.example",
    "http://user@127.0.0.1:1420",
    "http://u:p@127.0.0.1:1420",
    "http://localhost:1420",
    "http://127.0.0.1:1420:",
    "http://[::1]:1420",
    "http://app.example",
    "https://APP.example",
    "https://app.example.",
    "http:/127.0.0.1:1420",
    "http://",
    " http://127.0.0.1:1420",
    "http://127.0.0.1:01420",
];

/// Path prefixes: the roots and near misses.
const PREFIXES: &[&str] = &[
    "/desktop",
    "/a/b",
    "/cli",
    "",
    "/",
    "/desktopX",
    "/deskto",
    "/DESKTOP",
    "/a",
    "/a/bc",
    "/clix",
    "//desktop",
    "/desktop/",
];

const QUERIES: &[(&str, bool)] = &[
    ("", true),
    ("?", true),
    ("?q=../x", true),
    ("?%zz%2f..", true),
    ("?a#b", false),
    ("#frag", false),
    ("?a\\b", false),
    ("?a b", false),
    ("?\u{e9}", false),
];

/// A Referer built from origins, roots, segments and queries, with whether
/// the policy must permit it.
fn referer_grammar() -> impl Strategy<Value = (String, bool)> {
    (
        proptest::sample::select(ORIGINS),
        proptest::sample::select(PREFIXES),
        proptest::collection::vec(segment(), 0..5),
        any::<bool>(),
        proptest::sample::select(QUERIES),
    )
        .prop_map(
            |(origin, prefix, segments, trailing_slash, (query, query_ok))| {
                let mut path = prefix.to_owned();
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
                if trailing_slash && !path.ends_with('/') {
                    path.push('/');
                }
                clean &= !path.contains("//");
                let effective = if path.is_empty() { "/" } else { path.as_str() };
                let allowed = ((origin == RENDERER || origin == APP)
                    && ROOTS.iter().any(|r| under(effective, r)))
                    || (origin == CLI && under(effective, CLI_ROOT));
                (
                    format!("{origin}{path}{query}"),
                    allowed && clean && query_ok,
                )
            },
        )
}

proptest! {
    #![proptest_config(config(256))]

    /// Never panics; whatever passes is, after a URL parser's normalisation,
    /// still at an allowed origin and under an allowed root, and the
    /// normalisation removed or merged no segment.
    #[test]
    fn accepted_referers_stay_under_the_roots(
        referer in prop_oneof![url_ish(), referer_grammar().prop_map(|(r, _)| r)],
    ) {
        let policy = policy();
        if policy.permits(&referer) {
            let (origin, path) = normalised(&referer)
                .unwrap_or_else(|| panic!("{referer:?} accepted but not a URL"));
            let by_origin = (origin == RENDERER || origin == APP)
                && ROOTS.iter().any(|r| under(&path, r));
            let by_pair = origin == CLI && under(&path, CLI_ROOT);
            prop_assert!(by_origin || by_pair, "{:?} -> {} {}", referer, origin, path);
            let raw = raw_path(&referer);
            prop_assert_eq!(path.matches('/').count(), raw.matches('/').count(), "{:?}", referer);
            prop_assert!(referer.bytes().all(|b| b.is_ascii_graphic()), "{:?}", referer);
            prop_assert!(!referer.contains(['\\', '#']), "{:?}", referer);
        }
    }

    /// Built from origins, roots and segments: passes iff the origin is
    /// allowed for the root and every segment and the query are clean.
    #[test]
    fn referer_grammar_oracle((referer, expected) in referer_grammar()) {
        prop_assert_eq!(policy().permits(&referer), expected, "{:?}", referer);
    }

    /// A root `validate_root` accepts can be matched: the Referer of the
    /// root itself and of a page below it pass ("roots must be in the only
    /// form that can match").
    #[test]
    fn valid_roots_are_reachable(root in "/[a-zA-Z0-9._~/ %?#\\\\\u{e9}\u{0}-]{0,20}") {
        if validate_root(&root).is_ok() {
            let policy = RefererPolicy::new(&[origin(RENDERER)], std::slice::from_ref(&root), &[])
                .expect("a valid root makes a valid policy");
            let base = root.trim_end_matches('/');
            prop_assert!(policy.permits(&format!("{RENDERER}{root}")), "{:?}", root);
            prop_assert!(policy.permits(&format!("{RENDERER}{base}/page")), "{:?}", root);
            prop_assert!(!policy.permits(&format!("{RENDERER}{base}x")) || base.is_empty(), "{:?}", root);
        }
    }

    /// Arbitrary roots never panic and the accepted ones have no dot
    /// segments, no `//` and none of `\ % ? #`; they are visible ASCII.
    #[test]
    fn validate_root_refuses_what_cannot_match(root in any::<String>()) {
        if validate_root(&root).is_ok() {
            prop_assert!(root.starts_with('/'));
            prop_assert!(!root.contains("//"));
            prop_assert!(!root.contains(['\\', '%', '?', '#']));
            prop_assert!(root.bytes().all(|b| b.is_ascii_graphic()));
            prop_assert!(!root.split('/').any(|s| s == "." || s == ".."));
        }
    }
}
