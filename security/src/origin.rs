//! Bare web origins (`scheme://host[:port]`) as used by the `Origin` header.
//!
//! The perimeter compares origins by exact string, so an allow-list entry must
//! already be in the one canonical form a browser sends. Parsing here refuses
//! anything that is not: no path (not even `/`), query, fragment, userinfo,
//! upper case, or spelled-out default port.

use std::fmt;

use url::Url;

/// Longest prefix of a rejected input echoed in an error message.
const ECHO_LIMIT: usize = 100;

/// A canonical `http://` or `https://` origin such as `http://127.0.0.1:1420`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BareOrigin(String);

/// Why a string is not a bare origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    /// Not parseable as a URL at all.
    #[error("not a valid origin URL: {0:?}")]
    Malformed(String),
    /// Scheme other than `http` / `https`.
    #[error("origin scheme must be http or https: {0:?}")]
    Scheme(String),
    /// Parses, but is not exactly `scheme://host[:port]` in canonical form.
    #[error(
        "origin must be exactly scheme://host[:port], lowercase, without path, query, \
         fragment, userinfo or default port: {0:?}"
    )]
    NotBare(String),
}

/// The first [`ECHO_LIMIT`] bytes of `s`, cut on a character boundary.
pub(crate) fn truncate_for_echo(s: &str, limit: usize) -> String {
    if s.len() <= limit {
        return s.to_owned();
    }
    let mut end = limit;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

impl BareOrigin {
    /// Parses a canonical bare origin; see the module docs for what is refused.
    pub fn parse(s: &str) -> Result<Self, OriginError> {
        let echo = || truncate_for_echo(s, ECHO_LIMIT);
        let url = Url::parse(s).map_err(|_| OriginError::Malformed(echo()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OriginError::Scheme(echo()));
        }
        // `Url` normalises (lowercases, drops default ports, adds "/"), so the
        // input is canonical iff its origin serialises back to the same bytes.
        if url.host().is_none() || url.origin().ascii_serialization() != s {
            return Err(OriginError::NotBare(echo()));
        }
        Ok(Self(s.to_owned()))
    }

    /// The origin as sent in an `Origin` header.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BareOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for BareOrigin {
    type Err = OriginError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for BareOrigin {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_canonical_origins() {
        for ok in [
            "http://127.0.0.1:1420",
            "http://localhost:5173",
            "https://app.example",
            "http://localhost",
            "https://example.com:8443",
            "http://[::1]:3000",
        ] {
            let o = BareOrigin::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(o.as_str(), ok);
            assert_eq!(o.to_string(), ok);
        }
    }

    #[test]
    fn refuses_non_bare_forms() {
        for bad in [
            "",
            "null",
            "localhost:1420",
            "127.0.0.1:1420",
            "http://localhost:1420/",
            "http://localhost:1420/desktop",
            "http://localhost:1420?x",
            "http://localhost:1420#x",
            "http://user@localhost:1420",
            "http://user:pw@localhost:1420",
            "http://localhost:80",
            "https://example.com:443",
            "HTTP://localhost:1420",
            "http://LOCALHOST:1420",
            "http://localhost:1420 ",
            " http://localhost:1420",
            "ftp://localhost",
            "file:///etc/passwd",
            "tauri://localhost",
            "http://",
            "http://exämple.com",
            "http://127.1:1420",
        ] {
            assert!(BareOrigin::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn error_echo_is_bounded() {
        let long = format!("http://{}/", "a".repeat(500));
        let msg = BareOrigin::parse(&long).expect_err("not bare").to_string();
        assert!(msg.len() < 300, "{msg}");
        assert!(!msg.contains(&"a".repeat(101)));
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        let s = "é".repeat(100);
        let t = truncate_for_echo(&s, 101);
        assert!(t.starts_with(&"é".repeat(50)));
    }
}
