//! What the bridge is told: the one renderer origin it serves, and where the
//! host currently listens.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::BridgeError;

/// The default for [`BridgeConfig::max_buffered`]: 1 MiB.
pub const DEFAULT_MAX_BUFFERED: usize = 1 << 20;

/// The bridge's fixed settings, decided by the shell at start-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeConfig {
    /// The renderer's bare origin (`http://127.0.0.1:4173`). A request's
    /// `Origin` must equal it byte for byte; it is also the `Origin` and the
    /// `Referer` origin the host's perimeter sees.
    pub renderer_origin: String,
    /// The renderer's referer root (`/desktop`), as given to the host in the
    /// handshake's `referer_roots`.
    pub referer_root: String,
    /// Upper bound on the bytes of one answer held in memory on the way to
    /// the page (WebKit reads without backpressure, so the bridge must bound
    /// itself). Values below 24 KiB act as 24 KiB: hyper's read buffer
    /// cannot be smaller than 8 KiB and up to three buffers are in flight.
    pub max_buffered: usize,
}

impl BridgeConfig {
    /// A checked config with the default buffer bound.
    ///
    /// The origin must be a bare `http(s)://host[:port]` in its canonical
    /// serialisation (no path, query, fragment, userinfo or default port),
    /// the same rule the host's handshake applies, so that the exact-match
    /// Origin check cannot be defeated by an equivalent spelling. The root
    /// must start with `/`, not end with `/`, have no `.`/`..` segments and
    /// be visible ASCII (the host's Referer guard admits nothing else).
    pub fn new(
        renderer_origin: impl Into<String>,
        referer_root: impl Into<String>,
    ) -> Result<Self, BridgeError> {
        let renderer_origin = renderer_origin.into();
        let referer_root = referer_root.into();
        check_origin(&renderer_origin)?;
        check_root(&referer_root)?;
        Ok(Self {
            renderer_origin,
            referer_root,
            max_buffered: DEFAULT_MAX_BUFFERED,
        })
    }

    /// The `Referer` the bridge sends: the root's own directory URL, which
    /// the host's Referer guard admits.
    pub(crate) fn referer(&self) -> String {
        format!("{}{}/", self.renderer_origin, self.referer_root)
    }
}

fn check_origin(origin: &str) -> Result<(), BridgeError> {
    let bad = || BridgeError::Config("renderer_origin must be a bare http(s) origin");
    let url = url::Url::parse(origin).map_err(|_| bad())?;
    let canonical = url.origin().ascii_serialization();
    if !matches!(url.scheme(), "http" | "https") || canonical != origin {
        return Err(bad());
    }
    Ok(())
}

fn check_root(root: &str) -> Result<(), BridgeError> {
    let ok = root.starts_with('/')
        && root.len() > 1
        && root.bytes().all(|b| b.is_ascii_graphic())
        && !root.ends_with('/')
        && root[1..]
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains(['\\', '%', '?', '#']));
    if ok {
        Ok(())
    } else {
        Err(BridgeError::Config(
            "referer_root must be a plain path like /desktop",
        ))
    }
}

/// Where the host listens now. Replaced on every supervisor restart (new
/// port, new password); `None` in between.
#[derive(Clone)]
pub struct HostTarget {
    pub port: u16,
    /// The spawn password; zeroised when the last copy is dropped.
    pub password: Zeroizing<String>,
}

impl HostTarget {
    pub fn new(port: u16, password: Zeroizing<String>) -> Self {
        Self { port, password }
    }
}

/// Redacts the password so a `{:?}` in a log line cannot leak it.
impl fmt::Debug for HostTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostTarget")
            .field("port", &self.port)
            .field("password", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_must_be_canonical_and_bare() {
        for good in [
            "http://127.0.0.1:4173",
            "https://app.example",
            "http://localhost:1",
        ] {
            assert!(BridgeConfig::new(good, "/desktop").is_ok(), "{good}");
        }
        for bad in [
            "http://127.0.0.1:4173/",
            "http://127.0.0.1:4173/desktop",
            "HTTP://app.example",
            "http://App.example",
            "http://app.example:80",
            "http://u@app.example",
            "file:///x",
            "null",
            "",
        ] {
            assert!(BridgeConfig::new(bad, "/desktop").is_err(), "{bad}");
        }
    }

    #[test]
    fn roots_are_plain_paths() {
        for bad in [
            "",
            "/",
            "desktop",
            "/desktop/",
            "/a/../b",
            "/./a",
            "/a//b",
            "/a%2e",
            "/ ",
            "/a b",
            "/\u{e9}",
            "/a\0",
        ] {
            assert!(BridgeConfig::new("http://a.test", bad).is_err(), "{bad}");
        }
        let config = BridgeConfig::new("http://a.test", "/desktop/app").unwrap();
        assert_eq!(config.referer(), "http://a.test/desktop/app/");
    }

    #[test]
    fn debug_redacts_the_password() {
        let target = HostTarget::new(1, Zeroizing::new("hunter2-secret".to_owned()));
        let shown = format!("{target:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("port: 1"));
    }
}
