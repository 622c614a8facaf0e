//! Turns the page's `hostapi://host/<path>?<query>` into the host's
//! origin-form request target, refusing anything that could address
//! something other than the path the page names.
//!
//! The check runs on the raw text, before any normalisation: a URL parser
//! would quietly resolve `/a/../b` to `/b`, and the point is to refuse
//! such requests, not to guess what they meant. The path rules are
//! `agent_urlpath`'s, which the host's Referer guard and the shell's
//! renderer server share.

use agent_urlpath::{is_nul, path_is_plain};
use hyper::http::uri::PathAndQuery;

/// Strict percent-decoding (`None` for a malformed escape such as `%`,
/// `%zz` or `%+f`), re-exported for the bridge's users.
pub use agent_urlpath::percent_decode;

/// The custom scheme WebKit hands to the bridge.
pub const SCHEME: &str = "hostapi";
/// The only authority the scheme serves.
pub const AUTHORITY: &str = "host";

/// Returns the `path?query` to send to the host, or `None` for a URI the
/// bridge refuses.
pub(crate) fn host_target(uri: &str) -> Option<PathAndQuery> {
    let rest = strip_prefix_ignore_case(uri, SCHEME)?;
    let rest = rest.strip_prefix("://")?;
    let rest = strip_prefix_ignore_case(rest, AUTHORITY)?;
    // WebKit percent-encodes what it sends; anything else outside visible
    // ASCII is not a URI the page could have meant.
    let visible = rest.bytes().all(|b| b.is_ascii_graphic());
    if !visible || !rest.starts_with('/') || rest.contains(['#', '\\']) {
        return None;
    }
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    if !path_is_plain(path, is_nul) || query.is_some_and(|q| has_encoded(q, b'\0')) {
        return None;
    }
    // Also refuses anything else no HTTP request target may carry.
    rest.parse().ok()
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn has_encoded(s: &str, byte: u8) -> bool {
    percent_decode(s).is_none_or(|decoded| decoded.contains(&byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(uri: &str) -> String {
        host_target(uri)
            .unwrap_or_else(|| panic!("refused {uri}"))
            .to_string()
    }

    #[test]
    fn plain_targets_pass_through_unchanged() {
        assert_eq!(ok("hostapi://host/health"), "/health");
        assert_eq!(ok("hostapi://host/"), "/");
        assert_eq!(ok("HostApi://HOST/sessions/"), "/sessions/");
        assert_eq!(
            ok("hostapi://host/documents/doc_1?path=%2Ftmp%2Fa.md&x=1"),
            "/documents/doc_1?path=%2Ftmp%2Fa.md&x=1"
        );
        assert_eq!(ok("hostapi://host/a%20b/c.d/..e"), "/a%20b/c.d/..e");
    }

    #[test]
    fn escapes_and_other_targets_are_refused() {
        for uri in [
            "hostapi://host/../x",
            "hostapi://host/a/../x",
            "hostapi://host/a/..",
            "hostapi://host/./x",
            "hostapi://host/%2e%2e/x",
            "hostapi://host/%2E%2e/x",
            "hostapi://host/a%+2e/x",
            "hostapi://host/.%2e/x",
            "hostapi://host/%2e/x",
            "hostapi://host//x",
            "hostapi://host/a//x",
            "hostapi://host/a%2fb",
            "hostapi://host/a%5cb",
            "hostapi://host/a\\b",
            "hostapi://host/a%00b",
            "hostapi://host/a\0b",
            "hostapi://host/a?q=%00",
            "hostapi://host/a%zz",
            "hostapi://host/a%2",
            "hostapi://host/a#frag",
            "hostapi://host/a b",
            "hostapi://host/ä",
            "hostapi://host",
            "hostapi://host?x",
            "hostapi://hostile/x",
            "hostapi://host:80/x",
            "hostapi://user@host/x",
            "hostapi:/host/x",
            "http://host/x",
            "http://127.0.0.1:1/x",
            "",
        ] {
            assert!(host_target(uri).is_none(), "accepted {uri:?}");
        }
    }
}
