//! `agent-urlpath`: the URL-path rules that three guards share, so each
//! checks paths the same way: the host's Referer guard
//! (`agent_security`), the bridge's `hostapi://host/<path>` target
//! (`renderer_bridge`) and the shell's renderer server (`agent_shell`).
//!
//! Everything works on the raw text, before any normalisation: a URL
//! parser would quietly resolve `/a/../b` to `/b`, and the point of these
//! checks is to refuse such paths, not to guess what they meant. Nothing
//! allocates except [`percent_decode`], so the Referer guard can run them
//! on every request.
//!
//! - [`percent_decode`], [`escapes_are_valid`]: strict percent-decoding
//!   (every `%` starts a `%XX` escape; the decoding itself is the
//!   `percent-encoding` crate's).
//! - [`is_dot_segment`]: `.` or `..`, raw or percent-encoded.
//! - [`segment_is_plain`], [`path_is_plain`]: no empty or dot segment, no
//!   `/` or `\` hidden in an escape, nothing else the caller refuses.
//! - [`under_root`]: the path is the root or below it (`/desktop/x`, never
//!   `/desktopX`).
//!
//! ```
//! use agent_urlpath::{is_control, path_is_plain, under_root};
//! assert!(path_is_plain("/desktop/a%20b/", is_control));
//! assert!(!path_is_plain("/desktop/%2e%2e/admin", is_control));
//! assert!(under_root("/desktop/x", "/desktop"));
//! assert!(!under_root("/desktopX", "/desktop"));
//! ```

/// Whether every `%` in `s` starts a valid escape: `%` and two hex digits.
pub fn escapes_are_valid(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let Some(hex) = bytes.get(i + 1..i + 3) else {
                return false;
            };
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// Strict percent-decoding: the bytes `s` stands for, or `None` when an
/// escape is malformed (`%`, `%2`, `%zz`, `%+f`). `+` stays `+`.
pub fn percent_decode(s: &str) -> Option<Vec<u8>> {
    escapes_are_valid(s).then(|| percent_encoding::percent_decode_str(s).collect())
}

/// Whether `segment` is `.` or `..`, each dot raw or percent-encoded
/// (`%2e`, `%2E`).
pub fn is_dot_segment(segment: &str) -> bool {
    if !escapes_are_valid(segment) {
        return false;
    }
    let mut dots = 0;
    for b in percent_encoding::percent_decode_str(segment) {
        if b != b'.' || dots == 2 {
            return false;
        }
        dots += 1;
    }
    dots > 0
}

/// The NUL byte: what the bridge refuses inside a decoded segment.
pub fn is_nul(b: u8) -> bool {
    b == 0
}

/// A control byte or DEL: what the Referer guard refuses inside a decoded
/// segment.
pub fn is_control(b: u8) -> bool {
    b < 0x20 || b == 0x7f
}

/// One path segment (the text between two `/`) is plain when its escapes
/// are valid and, decoded, it is not empty, not `.` or `..`, and holds no
/// `/`, no `\` and no byte `refuse` names.
pub fn segment_is_plain(segment: &str, refuse: impl Fn(u8) -> bool) -> bool {
    if segment.is_empty() || is_dot_segment(segment) || !escapes_are_valid(segment) {
        return false;
    }
    percent_encoding::percent_decode_str(segment).all(|b| !matches!(b, b'/' | b'\\') && !refuse(b))
}

/// `path` starts with `/` and every segment after it is plain
/// ([`segment_is_plain`]); one trailing `/` is allowed, so `/` itself and
/// `/a/` are plain, `//`, `/a//b` and `/a/../b` are not.
pub fn path_is_plain(path: &str, refuse: impl Fn(u8) -> bool) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    rest.split('/')
        .all(|segment| segment_is_plain(segment, &refuse))
}

/// `path` is `root` or lies below it: `/desktop` and `/desktop/x` are under
/// `/desktop`, `/desktopX` is not. A trailing `/` of the root is ignored,
/// so the root `/` admits every path that starts with `/`. Byte-wise: check
/// the path with [`path_is_plain`] first, or `/desktop/../x` is "under".
pub fn under_root(path: &str, root: &str) -> bool {
    let root = root.trim_end_matches('/');
    path.strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decode_table() {
        for (text, bytes) in [
            ("", &b""[..]),
            ("abc", b"abc"),
            ("a%20b", b"a b"),
            ("%2F%2f", b"//"),
            ("%2e%2E", b".."),
            ("a+b", b"a+b"),
            ("%E9%00", b"\xe9\x00"),
            ("\u{e9}", "\u{e9}".as_bytes()),
        ] {
            assert_eq!(percent_decode(text).as_deref(), Some(bytes), "{text:?}");
            assert!(escapes_are_valid(text), "{text:?}");
        }
        for bad in [
            "%", "%2", "a%2", "%zz", "%+f", "%g0", "%%41", "a%2%41", "%\u{e9}",
        ] {
            assert_eq!(percent_decode(bad), None, "{bad:?}");
            assert!(!escapes_are_valid(bad), "{bad:?}");
        }
    }

    #[test]
    fn dot_segment_table() {
        for dot in [".", "..", "%2e", "%2E", "%2e%2E", ".%2e", "%2e."] {
            assert!(is_dot_segment(dot), "{dot:?}");
        }
        for other in [
            "",
            "...",
            "%2e%2e%2e",
            ".a",
            "a.",
            ".hidden",
            "..a",
            "%252e",
            "%2",
            "%2e%",
            "%2f",
        ] {
            assert!(!is_dot_segment(other), "{other:?}");
        }
    }

    /// The bridge's refusals (renderer-bridge/src/target.rs): paths of
    /// `hostapi://host/<path>`.
    #[test]
    fn bridge_paths() {
        for ok in ["/", "/health", "/sessions/", "/a%20b/c.d/..e", "/a/%01"] {
            assert!(path_is_plain(ok, is_nul), "{ok:?} refused");
        }
        for bad in [
            "",
            "health",
            "/../x",
            "/a/../x",
            "/a/..",
            "/./x",
            "/%2e%2e/x",
            "/%2E%2e/x",
            "/a%+2e/x",
            "/.%2e/x",
            "/%2e/x",
            "//x",
            "/a//x",
            "//",
            "/a%2fb",
            "/a%5cb",
            "/a\\b",
            "/a%00b",
            "/a\0b",
            "/a%zz",
            "/a%2",
        ] {
            assert!(!path_is_plain(bad, is_nul), "{bad:?} accepted");
        }
    }

    /// The Referer guard's refusals (security/src/referer.rs): paths of a
    /// Referer, which may not hide a control byte either.
    #[test]
    fn referer_paths() {
        for ok in [
            "/",
            "/desktop",
            "/desktop/",
            "/desktop/x/y.html",
            "/desktop/a%20b",
            "/desktop/...",
            "/desktop/.hidden",
        ] {
            assert!(path_is_plain(ok, is_control), "{ok:?} refused");
        }
        for bad in [
            "//evil",
            "/desktop/../admin",
            "/desktop/..",
            "/desktop/%2e%2e/admin",
            "/desktop/%2E%2E/admin",
            "/desktop/.%2e/admin",
            "/desktop/%2e/x",
            "/desktop/./x",
            "/desktop/x%2f..%2fadmin",
            "/desktop/x%5cy",
            "/desktop/x%00",
            "/desktop/x%1f",
            "/desktop/x%7f",
            "/desktop/x%zz",
            "/desktop/x%2",
            "/desktop//x",
        ] {
            assert!(!path_is_plain(bad, is_control), "{bad:?} accepted");
        }
    }

    /// The shell's renderer server (shell/src/renderer.rs): segments below
    /// `/desktop/`.
    #[test]
    fn renderer_segments() {
        for ok in ["assets", "a.js", "index.html", "..a", "a..", "a b"] {
            assert!(segment_is_plain(ok, is_nul), "{ok:?} refused");
        }
        for bad in [
            "", ".", "..", "%2e%2e", "%2e", "a\\b", "a%5cb", "a%2fb", "a\0b", "%zz",
        ] {
            assert!(!segment_is_plain(bad, is_nul), "{bad:?} accepted");
        }
    }

    #[test]
    fn under_root_table() {
        for (path, root) in [
            ("/desktop", "/desktop"),
            ("/desktop/", "/desktop"),
            ("/desktop/x", "/desktop"),
            ("/desktop/x", "/desktop/"),
            ("/cli/run", "/cli"),
            ("/", "/"),
            ("/anything/else", "/"),
            ("/anything", ""),
        ] {
            assert!(under_root(path, root), "{path:?} not under {root:?}");
        }
        for (path, root) in [
            ("/desktopX", "/desktop"),
            ("/desktop.html", "/desktop"),
            ("/", "/desktop"),
            ("", "/desktop"),
            ("/admin", "/desktop"),
            ("/cliX", "/cli"),
            ("/deskto", "/desktop"),
        ] {
            assert!(!under_root(path, root), "{path:?} under {root:?}");
        }
    }
}
