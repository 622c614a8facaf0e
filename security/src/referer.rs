//! The Referer guard: only pages under the renderer's roots may call the host.
//!
//! The Origin check alone admits every page of an allowed origin; the Referer
//! narrows that to the renderer's own paths (e.g. `/desktop/...`). Because a
//! prefix test on paths is easy to fool, the raw header is checked strictly
//! and without normalisation: dot segments (plain or percent-encoded),
//! encoded slashes, backslashes, userinfo, empty segments, control and
//! non-ASCII bytes all fail. The check allocates nothing; it is on the hot
//! path of every request. The path rules are `agent_urlpath`'s, which the
//! bridge and the shell's renderer server share.

use agent_urlpath::{is_control, is_dot_segment, path_is_plain, under_root};

use crate::origin::{truncate_for_echo, BareOrigin};

/// Why a referer root (or policy) is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefererError {
    /// The root is not an absolute, normalised path prefix.
    #[error("invalid referer root {root:?}: {reason}")]
    InvalidRoot {
        /// First 100 characters of the offending root.
        root: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Checks that `root` is a clean absolute path prefix such as `/desktop`.
///
/// Roots are compared byte-wise against raw Referer paths, so they must be in
/// the only form that can match: starting with `/`, no `.`/`..` segments, no
/// `//`, and none of `\`, `%`, `?`, `#`, spaces, control or non-ASCII
/// characters (a Referer path is visible ASCII).
pub fn validate_root(root: &str) -> Result<(), RefererError> {
    let fail = |reason| {
        Err(RefererError::InvalidRoot {
            root: truncate_for_echo(root, 100),
            reason,
        })
    };
    if !root.starts_with('/') {
        return fail("must start with '/'");
    }
    if !root.bytes().all(|b| b.is_ascii_graphic()) {
        return fail("must be visible ASCII: no spaces, control or non-ASCII characters");
    }
    if let Some(c) = root.chars().find(|c| matches!(c, '\\' | '%' | '?' | '#')) {
        return fail(match c {
            '\\' => "must not contain a backslash",
            '%' => "must not contain '%'",
            '?' => "must not contain '?'",
            _ => "must not contain '#'",
        });
    }
    if root.contains("//") {
        return fail("must not contain '//'");
    }
    if root.split('/').any(is_dot_segment) {
        return fail("must not contain '.' or '..' segments");
    }
    Ok(())
}

/// A root as stored: without trailing slash, so `/` becomes the empty string
/// and "under root" is simply "equals root or continues with `/`".
fn normalise_root(root: &str) -> Result<String, RefererError> {
    validate_root(root)?;
    Ok(root.trim_end_matches('/').to_owned())
}

/// Which `Referer` values the host accepts.
#[derive(Debug, Clone)]
pub struct RefererPolicy {
    origins: Vec<BareOrigin>,
    roots: Vec<String>,
    extra_pairs: Vec<(BareOrigin, String)>,
}

impl RefererPolicy {
    /// Builds a policy: a Referer is allowed when its origin is one of
    /// `allowed_origins` and its path is under one of `roots`, or when its
    /// origin and path match one of `extra_pairs` (for non-browser clients
    /// such as the CLI, whose origin need not be a browser origin).
    pub fn new(
        allowed_origins: &[BareOrigin],
        roots: &[String],
        extra_pairs: &[(BareOrigin, String)],
    ) -> Result<Self, RefererError> {
        let roots = roots
            .iter()
            .map(|r| normalise_root(r))
            .collect::<Result<Vec<_>, _>>()?;
        let extra_pairs = extra_pairs
            .iter()
            .map(|(o, r)| Ok((o.clone(), normalise_root(r)?)))
            .collect::<Result<Vec<_>, RefererError>>()?;
        Ok(Self {
            origins: allowed_origins.to_vec(),
            roots,
            extra_pairs,
        })
    }

    /// True iff `referer` is a well-formed absolute URL whose origin and path
    /// are allowed (see [`RefererPolicy::new`]). Anything unusual is refused.
    pub fn permits(&self, referer: &str) -> bool {
        let Some(parts) = split_referer(referer) else {
            return false;
        };
        if !path_is_plain(parts.path, is_control) {
            return false;
        }
        let by_origin = self.origins.iter().any(|o| o.as_str() == parts.origin)
            && self.roots.iter().any(|r| under_root(parts.path, r));
        by_origin
            || self
                .extra_pairs
                .iter()
                .any(|(o, r)| o.as_str() == parts.origin && under_root(parts.path, r))
    }
}

/// The pieces of a Referer the policy looks at, borrowed from the header.
struct RefererParts<'a> {
    /// `scheme://authority`, compared verbatim with bare origins.
    origin: &'a str,
    /// The path, `/` when the URL has none; never empty.
    path: &'a str,
}

/// Splits `scheme://authority/path?query` without normalising anything.
fn split_referer(referer: &str) -> Option<RefererParts<'_>> {
    // Visible ASCII only: no spaces, controls, or raw non-ASCII.
    if !referer.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return None;
    }
    if referer.contains('\\') || referer.contains('#') {
        return None;
    }
    let scheme_len = if referer.starts_with("http://") {
        "http://".len()
    } else if referer.starts_with("https://") {
        "https://".len()
    } else {
        return None;
    };
    let rest = &referer[scheme_len..];
    let authority_len = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let origin_end = scheme_len + authority_len;
    let after = &referer[origin_end..];
    let path_len = after.find('?').unwrap_or(after.len());
    let path = &after[..path_len];
    let path = if path.is_empty() { "/" } else { path };
    if !path.starts_with('/') {
        return None;
    }
    Some(RefererParts {
        origin: &referer[..origin_end],
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(s: &str) -> BareOrigin {
        BareOrigin::parse(s).expect("valid origin")
    }

    fn desktop_policy() -> RefererPolicy {
        RefererPolicy::new(
            &[
                origin("http://127.0.0.1:1420"),
                origin("https://app.example"),
            ],
            &["/desktop".to_owned()],
            &[(origin("http://127.0.0.1:9999"), "/cli".to_owned())],
        )
        .expect("valid policy")
    }

    #[test]
    fn validate_root_table() {
        for ok in [
            "/",
            "/desktop",
            "/desktop/",
            "/a/b-c_d~e",
            "/a.b",
            "/..a",
            "/.well",
        ] {
            assert!(validate_root(ok).is_ok(), "{ok:?} refused");
        }
        for bad in [
            "",
            "desktop",
            "//",
            "/a//b",
            "/.",
            "/..",
            "/a/./b",
            "/a/../b",
            "/a/..",
            "/a\\b",
            "/a%2e",
            "/a?b",
            "/a#b",
            "/a\0b",
            "/a\nb",
            "/a\u{7f}",
            "/a b",
            "/ ",
            "/\u{e9}",
            "/a\u{a0}",
            "http://x/desktop",
        ] {
            assert!(validate_root(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn new_rejects_bad_roots() {
        assert!(RefererPolicy::new(&[], &["/a/../b".to_owned()], &[]).is_err());
        assert!(
            RefererPolicy::new(&[], &[], &[(origin("http://localhost"), "x".to_owned())]).is_err()
        );
    }

    #[test]
    fn permits_table() {
        let p = desktop_policy();
        for ok in [
            "http://127.0.0.1:1420/desktop",
            "http://127.0.0.1:1420/desktop/",
            "http://127.0.0.1:1420/desktop/x",
            "http://127.0.0.1:1420/desktop/x/y.html",
            "http://127.0.0.1:1420/desktop?q",
            "http://127.0.0.1:1420/desktop/?q=../x",
            "http://127.0.0.1:1420/desktop/a%20b",
            "http://127.0.0.1:1420/desktop/...",
            "http://127.0.0.1:1420/desktop/.hidden",
            "https://app.example/desktop/x",
            "http://127.0.0.1:9999/cli",
            "http://127.0.0.1:9999/cli/run",
        ] {
            assert!(p.permits(ok), "{ok:?} refused");
        }
        for bad in [
            "",
            "/desktop",
            "//evil",
            "http://127.0.0.1:1420//evil",
            "http://127.0.0.1:1420/desktopX",
            "http://127.0.0.1:1420/desktop/../admin",
            "http://127.0.0.1:1420/desktop/..",
            "http://127.0.0.1:1420/desktop/%2e%2e/admin",
            "http://127.0.0.1:1420/desktop/%2E%2E/admin",
            "http://127.0.0.1:1420/desktop/.%2e/admin",
            "http://127.0.0.1:1420/desktop/%2e/x",
            "http://127.0.0.1:1420/desktop/./x",
            "http://127.0.0.1:1420/desktop\\..",
            "http://127.0.0.1:1420/desktop/x%2f..%2fadmin",
            "http://127.0.0.1:1420/desktop/x%5cy",
            "http://127.0.0.1:1420/desktop/x%00",
            "http://127.0.0.1:1420/desktop/x%zz",
            "http://127.0.0.1:1420/desktop/x%2",
            "http://127.0.0.1:1420/desktop//x",
            "http://127.0.0.1:1420/desktop#frag",
            "http://127.0.0.1:1420/desktop/x y",
            "http://127.0.0.1:1420/desktop/é",
            "http://127.0.0.1:1420/admin",
            "http://127.0.0.1:1420",
            "http://127.0.0.1:1420?desktop",
            "http://user@127.0.0.1:1420/desktop",
            "http://user:pw@127.0.0.1:1420/desktop",
            "http://evil.example/desktop",
            "http://127.0.0.1:1421/desktop",
            "https://127.0.0.1:1420/desktop",
            "http://127.0.0.1:1420.evil.example/desktop",
            "HTTP://127.0.0.1:1420/desktop",
            "http://LOCALHOST:1420/desktop",
            "ftp://127.0.0.1:1420/desktop",
            "http:///desktop",
            "http://127.0.0.1:9999/desktop",
            "http://127.0.0.1:1420/cli",
            "http://127.0.0.1:9999/cliX",
            " http://127.0.0.1:1420/desktop",
            "http://127.0.0.1:1420/desktop\n",
        ] {
            assert!(!p.permits(bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn slash_root_permits_every_clean_path() {
        let p = RefererPolicy::new(&[origin("http://localhost:1420")], &["/".to_owned()], &[])
            .expect("valid");
        assert!(p.permits("http://localhost:1420"));
        assert!(p.permits("http://localhost:1420/"));
        assert!(p.permits("http://localhost:1420/anything/else?x"));
        assert!(!p.permits("http://localhost:1420/a/../b"));
        assert!(!p.permits("http://other:1420/"));
    }

    #[test]
    fn trailing_slash_root_is_the_same_root() {
        let p = RefererPolicy::new(
            &[origin("http://localhost:1420")],
            &["/desktop/".to_owned()],
            &[],
        )
        .expect("valid");
        assert!(p.permits("http://localhost:1420/desktop"));
        assert!(p.permits("http://localhost:1420/desktop/x"));
        assert!(!p.permits("http://localhost:1420/desktopX"));
    }

    #[test]
    fn empty_policy_permits_nothing() {
        let p = RefererPolicy::new(&[], &[], &[]).expect("valid");
        assert!(!p.permits("http://localhost:1420/desktop"));
    }
}
