//! `BareOrigin::parse`: only the one canonical spelling of an http(s)
//! origin is accepted (docs/rfc/handshake.md, `allowed_origins`).

use proptest::prelude::*;
use url::Url;

use super::{config, url_ish};
use crate::origin::BareOrigin;

/// A lowercase DNS label that is not all digits (those would be IPv4).
fn label() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,10}[a-z0-9]|[a-z]".prop_filter("no IDNA hyphens", |l| !l.contains("--"))
}

/// Canonical `scheme://host[:port]`.
fn canonical_origin() -> impl Strategy<Value = String> {
    let host = prop_oneof![
        proptest::collection::vec(label(), 1..4).prop_map(|l| l.join(".")),
        (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>())
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        Just("[::1]".to_owned()),
    ];
    (
        prop_oneof![Just("http"), Just("https")],
        host,
        proptest::option::of(1u16..),
    )
        .prop_map(|(scheme, host, port)| {
            let default = if scheme == "http" { 80 } else { 443 };
            match port {
                Some(port) if port != default => format!("{scheme}://{host}:{port}"),
                _ => format!("{scheme}://{host}"),
            }
        })
}

/// A way to spell `origin` differently; each must be refused.
fn mutate(origin: &str, which: usize, at: usize) -> Option<String> {
    let (scheme, rest) = origin.split_once("://")?;
    let default_port = if scheme == "http" { ":80" } else { ":443" };
    let has_port = rest
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.ends_with(']'));
    Some(match which {
        0 => format!("{origin}/"),
        1 => format!("{origin}/x"),
        2 => format!("{origin}?"),
        3 => format!("{origin}#"),
        4 => format!("{origin} "),
        5 => format!(" {origin}"),
        6 => format!("{scheme}://u@{rest}"),
        7 => format!("{scheme}://u:p@{rest}"),
        8 if !has_port => format!("{origin}{default_port}"),
        9 => format!("ftp://{rest}"),
        10 => format!("{scheme}:{rest}"),
        11 => origin.to_ascii_uppercase(),
        12 => {
            // Upper-case one letter.
            let letters: Vec<usize> = origin
                .char_indices()
                .filter(|(_, c)| c.is_ascii_lowercase())
                .map(|(i, _)| i)
                .collect();
            let i = letters[at % letters.len()];
            let mut s = origin.to_owned();
            s.replace_range(i..=i, &origin[i..=i].to_ascii_uppercase());
            s
        }
        13 if has_port => {
            let (head, port) = origin.rsplit_once(':')?;
            format!("{head}:0{port}")
        }
        14 => format!("{origin}\0"),
        15 => format!("{scheme}://{rest}\u{e9}"),
        _ => return None,
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// Never panics; whatever is accepted is its own canonical serialisation
    /// and round-trips.
    #[test]
    fn accepted_origins_are_canonical(s in url_ish()) {
        if let Ok(origin) = BareOrigin::parse(&s) {
            prop_assert_eq!(origin.as_str(), s.as_str());
            let url = Url::parse(&s).expect("accepted, so a URL");
            prop_assert!(matches!(url.scheme(), "http" | "https"));
            prop_assert_eq!(url.origin().ascii_serialization(), s.clone());
            prop_assert!(!s.contains(['?', '#', '@', ' ', '\\']), "{:?}", s);
            prop_assert!(!s.bytes().any(|b| b.is_ascii_uppercase()), "{:?}", s);
            prop_assert_eq!(s.matches('/').count(), 2, "{:?}", s);
            prop_assert_eq!(BareOrigin::parse(origin.as_str()), Ok(origin.clone()));
        }
    }

    /// Canonical origins pass; every other spelling of them is refused, and
    /// the error echoes at most ~100 bytes of the input.
    #[test]
    fn canonical_passes_and_variants_fail(
        origin in canonical_origin(),
        which in 0usize..16,
        at in any::<usize>(),
    ) {
        prop_assert!(BareOrigin::parse(&origin).is_ok(), "{:?} refused", origin);
        if let Some(variant) = mutate(&origin, which, at) {
            if variant != origin {
                let err = BareOrigin::parse(&variant);
                prop_assert!(err.is_err(), "{:?} accepted", variant);
                let msg = err.unwrap_err().to_string();
                prop_assert!(msg.len() < 400, "{}", msg);
            }
        }
    }
}
