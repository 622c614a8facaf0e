//! The renderer side of the shell that needs no display: where the renderer
//! lives (its base origin and the `/desktop` root the window may stay on),
//! the preload that defines `window.desktop`, and the tiny static server
//! that serves `web/dist` on the shell's own loopback origin.

use std::io;
use std::path::{Path, PathBuf};

use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

/// The path root the renderer lives under (the host's referer root too).
pub const ROOT: &str = "/desktop";

/// The renderer's base: a bare origin plus [`ROOT`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RendererBase {
    origin: String,
}

impl RendererBase {
    /// The base of any `http(s)` URL: only its origin counts (a Vite dev
    /// server `http://localhost:5173`, or `https://app.example/desktop/`).
    pub fn from_url(url: &str) -> Result<Self, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("bad renderer URL {url:?}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("the renderer URL must be http(s): {url:?}"));
        }
        let origin = parsed.origin().ascii_serialization();
        if origin == "null" {
            return Err(format!("the renderer URL has no origin: {url:?}"));
        }
        Ok(Self { origin })
    }

    /// `http://127.0.0.1:<port>`, the bare origin (no trailing slash).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The URL the window loads: `<origin>/desktop/`.
    pub fn start_url(&self) -> String {
        format!("{}{ROOT}/", self.origin)
    }

    /// Whether the window may show `url`: same origin (byte for byte, after
    /// parsing), and the path is `/desktop` or below it (not `/desktopX`).
    pub fn allows(&self, url: &str) -> bool {
        let Ok(parsed) = url::Url::parse(url) else {
            return false;
        };
        parsed.origin().ascii_serialization() == self.origin && path_is_under_root(parsed.path())
    }
}

/// `/desktop` or `/desktop/...`.
pub fn path_is_under_root(path: &str) -> bool {
    path == ROOT
        || path
            .strip_prefix(ROOT)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The name of the DOM event the shell dispatches on host state changes
/// (`HOST_STATE_EVENT` in web/src/desktop/types.ts).
pub const HOST_STATE_EVENT: &str = "desktop:host-state";

/// The preload: a main-frame-only initialization script. It does nothing
/// unless the page is at the renderer origin under `/desktop`; there it
/// defines one frozen `window.desktop` over the `hostapi://` scheme. It
/// holds no credential and no port: the Rust side adds both.
pub fn preload_script(base: &RendererBase) -> String {
    let origin = serde_json::to_string(base.origin()).expect("a string serialises");
    PRELOAD
        .replace("__ORIGIN__", &origin)
        .replace("__ROOT__", &serde_json::to_string(ROOT).expect("a string"))
        .replace(
            "__EVENT__",
            &serde_json::to_string(HOST_STATE_EVENT).expect("a string"),
        )
}

const PRELOAD: &str = r#"(() => {
  'use strict';
  if (window !== window.top) return;
  const ORIGIN = __ORIGIN__;
  const ROOT = __ROOT__;
  const path = location.pathname;
  if (location.origin !== ORIGIN) return;
  if (path !== ROOT && !path.startsWith(ROOT + '/')) return;
  const EVENT = __EVENT__;
  const forbidden = new Set(['authorization', 'host', 'origin', 'referer', 'cookie']);
  const realFetch = window.fetch.bind(window);
  const addListener = window.addEventListener.bind(window);
  const removeListener = window.removeEventListener.bind(window);
  const desktop = Object.freeze({
    fetch(path, init) {
      const options = init || {};
      if (typeof path !== 'string' || !path.startsWith('/')) {
        return Promise.reject(new TypeError('path must start with "/"'));
      }
      const headers = {};
      for (const [name, value] of Object.entries(options.headers || {})) {
        if (!forbidden.has(String(name).toLowerCase())) headers[name] = String(value);
      }
      return realFetch('hostapi://host' + path, {
        method: options.method || 'GET',
        body: options.body,
        headers,
        signal: options.signal,
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'unsafe-url',
        mode: 'cors',
      });
    },
    onHostState(cb) {
      const listener = (event) => {
        try { cb(event.detail); } catch (error) { console.error(error); }
      };
      addListener(EVENT, listener);
      return () => removeListener(EVENT, listener);
    },
  });
  Object.defineProperty(window, 'desktop', {
    value: desktop, writable: false, enumerable: true, configurable: false,
  });
})();
"#;

/// The script that tells the page about a host state change: a
/// `CustomEvent` named [`HOST_STATE_EVENT`] with `{state, message?}`,
/// dispatched only where the preload defined `window.desktop`.
pub fn host_state_script(state: &str, message: Option<&str>) -> String {
    let mut detail = serde_json::json!({ "state": state });
    if let Some(message) = message {
        detail["message"] = message.into();
    }
    let event = serde_json::to_string(HOST_STATE_EVENT).expect("a string");
    format!(
        "if (window.desktop) window.dispatchEvent(new CustomEvent({event}, {{ detail: {detail} }}));"
    )
}

/// Serves `dir` (a Vite build with `base: '/desktop/'`) under `/desktop/`
/// on `listener` until the runtime stops: files as they are, any other
/// path under `/desktop/` without a file extension gets `index.html` (the
/// single-page app's routes), everything else is 404.
pub async fn serve_dir(listener: tokio::net::TcpListener, dir: PathBuf) -> io::Result<()> {
    let app = Router::new().fallback(move |uri: Uri| {
        let dir = dir.clone();
        async move { serve_file(&dir, uri.path()).await }
    });
    axum::serve(listener, app).await
}

async fn serve_file(dir: &Path, path: &str) -> Response {
    if path == ROOT {
        return (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, HeaderValue::from_static("/desktop/"))],
        )
            .into_response();
    }
    let Some(rest) = path.strip_prefix("/desktop/") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(relative) = plain_relative(rest) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let file = if relative.as_os_str().is_empty() {
        dir.join("index.html")
    } else {
        dir.join(&relative)
    };
    let (file, is_index) = match tokio::fs::metadata(&file).await {
        Ok(meta) if meta.is_file() => {
            let is_index = file.file_name().is_some_and(|n| n == "index.html");
            (file, is_index)
        }
        _ if !last_segment_has_extension(rest) => (dir.join("index.html"), true),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let cache = if is_index {
                "no-cache"
            } else {
                "public, max-age=3600"
            };
            (
                [
                    (header::CONTENT_TYPE, content_type(&file)),
                    (header::CACHE_CONTROL, cache),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                ],
                bytes,
            )
                .into_response()
        }
        Err(error) => {
            tracing::warn!(%error, file = %file.display(), "cannot read a renderer file");
            StatusCode::NOT_FOUND.into_response()
        }
    }
}

/// The request path below `/desktop/` as a relative path, or `None` when a
/// segment is empty (`//`), `.`/`..`, or holds an escape or a backslash.
fn plain_relative(rest: &str) -> Option<PathBuf> {
    let mut path = PathBuf::new();
    let trimmed = rest.strip_suffix('/').unwrap_or(rest);
    if trimmed.is_empty() {
        return Some(path);
    }
    for segment in trimmed.split('/') {
        if segment.is_empty()
            || segment == "."
            || segment == ".."
            || segment.contains(['%', '\\', '\0'])
        {
            return None;
        }
        path.push(segment);
    }
    Some(path)
}

fn last_segment_has_extension(rest: &str) -> bool {
    rest.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "wasm" => "application/wasm",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_is_the_bare_origin() {
        let base = RendererBase::from_url("http://127.0.0.1:5173/desktop/x?y").unwrap();
        assert_eq!(base.origin(), "http://127.0.0.1:5173");
        assert_eq!(base.start_url(), "http://127.0.0.1:5173/desktop/");
        let base = RendererBase::from_url("https://App.example:443/").unwrap();
        assert_eq!(base.origin(), "https://app.example");
        assert!(RendererBase::from_url("file:///tmp/x").is_err());
        assert!(RendererBase::from_url("hostapi://host/").is_err());
        assert!(RendererBase::from_url("not a url").is_err());
    }

    #[test]
    fn navigation_stays_under_desktop() {
        let base = RendererBase::from_url("http://127.0.0.1:4173").unwrap();
        for good in [
            "http://127.0.0.1:4173/desktop",
            "http://127.0.0.1:4173/desktop/",
            "http://127.0.0.1:4173/desktop/sessions?q=1#x",
        ] {
            assert!(base.allows(good), "{good}");
        }
        for bad in [
            "http://127.0.0.1:4173/desktopX",
            "http://127.0.0.1:4173/desktop.html",
            "http://127.0.0.1:4173/",
            "http://127.0.0.1:4174/desktop/",
            "http://localhost:4173/desktop/",
            "https://127.0.0.1:4173/desktop/",
            "hostapi://host/desktop/",
            "about:blank",
            "",
        ] {
            assert!(!base.allows(bad), "{bad}");
        }
    }

    #[test]
    fn preload_names_the_origin_and_no_secret() {
        let base = RendererBase::from_url("http://127.0.0.1:4173").unwrap();
        let script = preload_script(&base);
        assert!(script.contains(r#"const ORIGIN = "http://127.0.0.1:4173";"#));
        assert!(script.contains(r#"const ROOT = "/desktop";"#));
        assert!(script.contains("'hostapi://host' + path"));
        assert!(!script.contains("__"));
        assert!(!script.to_ascii_lowercase().contains("basic "));
    }

    #[test]
    fn host_state_script_is_json() {
        let script = host_state_script("failed", Some("exit \"1\"</script>"));
        assert!(script.contains(r#"new CustomEvent("desktop:host-state""#));
        assert!(script.contains(r#""message":"exit \"1\"</script>""#));
    }

    #[test]
    fn relative_paths_are_plain() {
        assert_eq!(plain_relative(""), Some(PathBuf::new()));
        assert_eq!(
            plain_relative("assets/a.js"),
            Some(PathBuf::from("assets/a.js"))
        );
        for bad in ["../x", "a/../b", "a//b", "./a", "%2e%2e/x", "a\\b"] {
            assert_eq!(plain_relative(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn serves_files_with_spa_fallback() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<html>app</html>").unwrap();
        std::fs::create_dir(dir.path().join("assets")).unwrap();
        std::fs::write(dir.path().join("assets/a.js"), "js").unwrap();
        let get = |path: &'static str| {
            let dir = dir.path().to_owned();
            async move { serve_file(&dir, path).await }
        };
        let index = get("/desktop/").await;
        assert_eq!(index.status(), StatusCode::OK);
        assert_eq!(
            index.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        let js = get("/desktop/assets/a.js").await;
        assert_eq!(
            js.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        assert_eq!(get("/desktop/sessions/x").await.status(), StatusCode::OK);
        assert_eq!(
            get("/desktop/assets/b.js").await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(get("/desktop/../x").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(get("/desktopX").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(get("/").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            get("/desktop").await.status(),
            StatusCode::PERMANENT_REDIRECT
        );
    }
}
