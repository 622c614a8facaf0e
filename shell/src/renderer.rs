//! The renderer side of the shell that needs no display: where the renderer
//! lives (its base origin and the `/desktop` root the window may stay on),
//! the preload that defines `window.desktop`, and the tiny static server
//! that serves the renderer build on the shell's own loopback origin: by
//! default `web/dist` compiled into the binary (see `build.rs`), or a build
//! on disk.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
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
  // The shell's own actions: same scheme, same Origin check, answered by
  // the shell (202) instead of the host.
  const shellAction = (name, body) =>
    realFetch('hostapi://shell/' + name, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'unsafe-url',
      mode: 'cors',
    }).then((r) => {
      if (!r.ok) throw new Error('the shell refused ' + name + ' (' + r.status + ')');
    });
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
    shell: Object.freeze({
      open: (path) => shellAction('open', { path: String(path) }),
      openDialog: () => shellAction('open-dialog', {}),
      setDirty: (dirty) => shellAction('dirty', { dirty: dirty === true }),
      close: () => shellAction('close', {}),
      quit: () => shellAction('quit', {}),
    }),
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

/// The renderer build the shell serves: a Vite build with `base:
/// '/desktop/'` (an `index.html` plus its assets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Assets {
    /// `web/dist` as it was when this binary was built (`build.rs` found
    /// `web/dist/index.html` and set `cfg(embedded_renderer)`).
    #[cfg(embedded_renderer)]
    Embedded,
    /// A build on disk, read on every request.
    Dir(PathBuf),
}

/// `web/dist`, compiled in.
#[cfg(embedded_renderer)]
static EMBEDDED: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/../web/dist");

const INDEX: &str = "index.html";

impl Assets {
    /// The build compiled into this binary, or `None` when there was no
    /// `web/dist` to embed at build time.
    pub fn embedded() -> Option<Self> {
        #[cfg(embedded_renderer)]
        {
            Some(Self::Embedded)
        }
        #[cfg(not(embedded_renderer))]
        {
            None
        }
    }

    /// The build in `dir`; an error when `dir` holds no `index.html`.
    pub fn dir(dir: impl Into<PathBuf>) -> Result<Self, String> {
        let dir = dir.into();
        if dir.join(INDEX).is_file() {
            Ok(Self::Dir(dir))
        } else {
            Err(format!(
                "no renderer build at {} (no {INDEX}; run `npm --prefix web run build`)",
                dir.display()
            ))
        }
    }

    /// The bytes of the file at `relative` (a [`plain_relative`] path),
    /// `None` when there is no such file.
    async fn read(&self, relative: &Path) -> Option<Cow<'static, [u8]>> {
        match self {
            #[cfg(embedded_renderer)]
            Self::Embedded => EMBEDDED
                .get_file(relative)
                .map(|file| Cow::Borrowed(file.contents())),
            Self::Dir(dir) => {
                let file = dir.join(relative);
                match tokio::fs::metadata(&file).await {
                    Ok(meta) if meta.is_file() => {}
                    _ => return None,
                }
                match tokio::fs::read(&file).await {
                    Ok(bytes) => Some(Cow::Owned(bytes)),
                    Err(error) => {
                        tracing::warn!(%error, file = %file.display(), "cannot read a renderer file");
                        None
                    }
                }
            }
        }
    }
}

impl fmt::Display for Assets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            #[cfg(embedded_renderer)]
            Self::Embedded => f.write_str("the embedded renderer build"),
            Self::Dir(dir) => write!(f, "{}", dir.display()),
        }
    }
}

/// The `Content-Security-Policy` of every answer of [`serve`]. What the
/// renderer needs: its own scripts (no inline script, no `eval`), its own
/// styles plus the ones the editor injects at run time (`'unsafe-inline'`
/// styles only), `data:` images and fonts, and `fetch` to its own origin
/// and to `hostapi:` (the bridge). No plugin, no `<base>`, no framing by
/// anyone, no form submission, and frames, workers and media only from its
/// own origin (`default-src 'self'`).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self' hostapi:; object-src 'none'; base-uri 'none'; \
    frame-ancestors 'none'; form-action 'none'";

/// Serves `assets` under `/desktop/` on `listener` until the runtime
/// stops: files as they are, any other path under `/desktop/` without a
/// file extension gets `index.html` (the single-page app's routes),
/// `/desktop` redirects to `/desktop/`, everything else is 404.
///
/// As the host does, it answers only requests for itself: exactly one
/// `Host` (and any absolute-form authority) that is `127.0.0.1:<port>` or
/// `localhost:<port>` (ASCII case-insensitively), else 403, so a page
/// reaching the port through another name (DNS rebinding) gets nothing.
/// Every answer carries [`CONTENT_SECURITY_POLICY`] and `nosniff`.
pub async fn serve(listener: tokio::net::TcpListener, assets: Assets) -> io::Result<()> {
    let hosts = Arc::new(OwnHost::new(listener.local_addr()?.port()));
    let assets = Arc::new(assets);
    let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let assets = Arc::clone(&assets);
        let hosts = Arc::clone(&hosts);
        async move {
            let response = if hosts.admits(&headers, &uri) {
                respond(&assets, uri.path()).await
            } else {
                (StatusCode::FORBIDDEN, "the Host header is not allowed").into_response()
            };
            with_security_headers(response)
        }
    });
    axum::serve(listener, app).await
}

/// The names the server answers to: the host's rule (security/src/perimeter.rs).
#[derive(Debug)]
struct OwnHost {
    /// `127.0.0.1:<port>`, byte for byte.
    ip: String,
    /// `localhost:<port>`, ASCII case-insensitively.
    name: String,
}

impl OwnHost {
    fn new(port: u16) -> Self {
        Self {
            ip: format!("127.0.0.1:{port}"),
            name: format!("localhost:{port}"),
        }
    }

    fn allows(&self, value: &[u8]) -> bool {
        value == self.ip.as_bytes() || value.eq_ignore_ascii_case(self.name.as_bytes())
    }

    /// Exactly one allowed `Host`, and an allowed authority if the request
    /// target has one.
    fn admits(&self, headers: &HeaderMap, uri: &Uri) -> bool {
        let mut hosts = headers.get_all(header::HOST).iter();
        let (Some(host), None) = (hosts.next(), hosts.next()) else {
            return false;
        };
        self.allows(host.as_bytes())
            && uri
                .authority()
                .is_none_or(|authority| self.allows(authority.as_str().as_bytes()))
    }
}

fn with_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn respond(assets: &Assets, path: &str) -> Response {
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
    let index = Path::new(INDEX);
    let wanted = if relative.as_os_str().is_empty() {
        index
    } else {
        relative.as_path()
    };
    let (file, bytes) = match assets.read(wanted).await {
        Some(bytes) => (wanted, bytes),
        None if !last_segment_has_extension(rest) => match assets.read(index).await {
            Some(bytes) => (index, bytes),
            None => return StatusCode::NOT_FOUND.into_response(),
        },
        None => return StatusCode::NOT_FOUND.into_response(),
    };
    let cache = if file.file_name().is_some_and(|n| n == INDEX) {
        "no-cache"
    } else {
        "public, max-age=3600"
    };
    (
        [
            (header::CONTENT_TYPE, content_type(file)),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response()
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
        let assets = Assets::dir(dir.path()).unwrap();
        let get = |path: &'static str| {
            let assets = assets.clone();
            async move { respond(&assets, path).await }
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
        assert_eq!(get("/desktop/assets").await.status(), StatusCode::OK);
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

    #[test]
    fn a_dir_needs_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let error = Assets::dir(dir.path()).unwrap_err();
        assert!(error.contains("no renderer build at"), "{error}");
        std::fs::write(dir.path().join("index.html"), "x").unwrap();
        assert_eq!(
            Assets::dir(dir.path()),
            Ok(Assets::Dir(dir.path().to_owned()))
        );
    }

    #[test]
    fn embedded_exactly_when_compiled_in() {
        assert_eq!(Assets::embedded().is_some(), cfg!(embedded_renderer));
    }

    /// One request over a fresh connection, as raw HTTP/1.1: the status,
    /// the head (lowercase) and the body.
    async fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, String, Vec<u8>) {
        http_raw(
            addr,
            &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        )
        .await
    }

    /// `request` (a whole request head) over a fresh connection.
    async fn http_raw(addr: std::net::SocketAddr, request: &str) -> (u16, String, Vec<u8>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a complete head");
        let head = String::from_utf8(response[..split].to_vec())
            .unwrap()
            .to_ascii_lowercase();
        let status = head[9..12].parse().unwrap();
        (status, head, response[split + 4..].to_vec())
    }

    /// The head carries the policy and `nosniff`, once each.
    fn assert_secure(head: &str) {
        let csp = format!(
            "content-security-policy: {}",
            CONTENT_SECURITY_POLICY.to_ascii_lowercase()
        );
        assert_eq!(head.matches(&csp).count(), 1, "{head}");
        assert_eq!(
            head.matches("content-security-policy:").count(),
            1,
            "{head}"
        );
        assert_eq!(
            head.matches("x-content-type-options: nosniff").count(),
            1,
            "{head}"
        );
    }

    /// The policy the renderer needs, and nothing looser.
    #[test]
    fn the_policy_is_strict() {
        let directives: Vec<&str> = CONTENT_SECURITY_POLICY.split("; ").collect();
        assert_eq!(
            directives,
            [
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self' 'unsafe-inline'",
                "img-src 'self' data:",
                "font-src 'self' data:",
                "connect-src 'self' hostapi:",
                "object-src 'none'",
                "base-uri 'none'",
                "frame-ancestors 'none'",
                "form-action 'none'",
            ]
        );
    }

    /// Only `127.0.0.1:<port>` and `localhost:<port>` are answered, as by
    /// the host: another name (a DNS-rebinding page), port or address, a
    /// missing or doubled `Host`, or a foreign absolute-form target is 403,
    /// with the policy all the same.
    #[tokio::test]
    async fn answers_only_its_own_host() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<html>app</html>").unwrap();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let port = addr.port();
        let server = tokio::spawn(serve(listener, Assets::dir(dir.path()).unwrap()));
        let get = |target: &str, host_lines: &str| {
            format!("GET {target} HTTP/1.1\r\n{host_lines}Connection: close\r\n\r\n")
        };

        for host in [
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("LocalHost:{port}"),
        ] {
            let (status, head, body) =
                http_raw(addr, &get("/desktop/", &format!("Host: {host}\r\n"))).await;
            assert_eq!(status, 200, "{host}: {head}");
            assert_eq!(body, b"<html>app</html>");
            assert_secure(&head);
        }
        let other_port = port.wrapping_add(1);
        for host_lines in [
            "Host: evil.example\r\n".to_owned(),
            format!("Host: evil.example:{port}\r\n"),
            format!("Host: 127.0.0.1:{other_port}\r\n"),
            "Host: 127.0.0.1\r\n".to_owned(),
            "Host: localhost\r\n".to_owned(),
            format!("Host: [::1]:{port}\r\n"),
            format!("Host: 127.0.0.2:{port}\r\n"),
            format!("Host: 127.0.0.1:{port}\r\nHost: 127.0.0.1:{port}\r\n"),
            String::new(),
        ] {
            let (status, head, body) = http_raw(addr, &get("/desktop/", &host_lines)).await;
            assert_eq!(status, 403, "{host_lines:?}: {head}");
            assert!(
                !String::from_utf8_lossy(&body).contains("app"),
                "{host_lines:?}"
            );
            assert_secure(&head);
        }
        let host = format!("Host: 127.0.0.1:{port}\r\n");
        let (status, head, _) = http_raw(addr, &get("http://evil.example/desktop/", &host)).await;
        assert_eq!(status, 403, "{head}");
        let (status, head, _) = http_raw(
            addr,
            &get(&format!("http://127.0.0.1:{port}/desktop/"), &host),
        )
        .await;
        assert_eq!(status, 200, "{head}");
        server.abort();
    }

    /// Serves `assets` on a loopback port and checks every rule against
    /// it: `index` is its `index.html`, `asset` one more file (relative
    /// path, bytes, content type).
    async fn check_serves(assets: Assets, index: &[u8], asset: (&str, &[u8], &str)) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(serve(listener, assets));

        let (status, head, body) = http_get(addr, "/desktop/").await;
        assert_eq!(status, 200, "{head}");
        assert!(
            head.contains("content-type: text/html; charset=utf-8"),
            "{head}"
        );
        assert!(head.contains("cache-control: no-cache"), "{head}");
        assert_secure(&head);
        assert_eq!(body, index);

        let (path, bytes, content_type) = asset;
        let (status, head, body) = http_get(addr, &format!("/desktop/{path}")).await;
        assert_eq!(status, 200, "{path}: {head}");
        assert!(
            head.contains(&format!("content-type: {content_type}")),
            "{path}: {head}"
        );
        assert!(
            head.contains("cache-control: public, max-age=3600"),
            "{head}"
        );
        assert_secure(&head);
        assert_eq!(body, bytes, "{path}");

        for route in ["/desktop/sessions/abc", "/desktop/settings/"] {
            let (status, head, body) = http_get(addr, route).await;
            assert_eq!(status, 200, "{route}: {head}");
            assert!(head.contains("cache-control: no-cache"), "{head}");
            assert_eq!(body, index, "{route}");
        }
        for missing in [
            "/desktop/../x",
            "/desktop/assets/../index.html",
            "/desktop/%2e%2e/x",
            "/desktop//index.html",
            "/desktop/assets/no-such-file.js",
            "/desktop/x.unknownext",
            "/desktopX",
            "/",
        ] {
            let (status, head, _) = http_get(addr, missing).await;
            assert_eq!(status, 404, "{missing}: {head}");
            assert_secure(&head);
        }
        let (status, head, _) = http_get(addr, "/desktop").await;
        assert_eq!(status, 308, "{head}");
        assert!(head.contains("location: /desktop/"), "{head}");
        assert_secure(&head);
        server.abort();
    }

    #[tokio::test]
    async fn serves_a_dir_over_http() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<html>app</html>").unwrap();
        std::fs::create_dir(dir.path().join("assets")).unwrap();
        std::fs::write(dir.path().join("assets/a.css"), "a{}").unwrap();
        check_serves(
            Assets::dir(dir.path()).unwrap(),
            b"<html>app</html>",
            ("assets/a.css", b"a{}", "text/css; charset=utf-8"),
        )
        .await;
    }

    /// The build compiled in is `web/dist` (`build.rs`), served by the
    /// same rules as a directory.
    #[cfg(embedded_renderer)]
    #[tokio::test]
    async fn serves_the_embedded_build() {
        let index = EMBEDDED.get_file(INDEX).expect("an embedded index.html");
        assert!(
            String::from_utf8_lossy(index.contents()).contains("/desktop/assets/"),
            "a Vite build with base /desktop/"
        );
        let scripts: Vec<_> = EMBEDDED
            .get_dir("assets")
            .expect("web/dist/assets")
            .files()
            .filter(|f| f.path().extension().is_some_and(|e| e == "js"))
            .collect();
        assert!(!scripts.is_empty(), "no script in web/dist/assets");
        for script in scripts {
            check_serves(
                Assets::embedded().expect("compiled in"),
                index.contents(),
                (
                    script.path().to_str().unwrap(),
                    script.contents(),
                    "text/javascript; charset=utf-8",
                ),
            )
            .await;
        }
    }
}
