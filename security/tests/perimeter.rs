//! The perimeter through a real axum server and raw HTTP/1.1, so every
//! header (duplicates, missing Host, non-UTF-8 bytes) is under the test's
//! control.

use std::net::SocketAddr;
use std::sync::Arc;

use agent_security::{
    apply_perimeter, BareOrigin, Credentials, ErrorBody, PerimeterConfig, RefererPolicy,
};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zeroize::Zeroizing;

const PASSWORD: &str = "correct-horse-battery";
const RENDERER: &str = "http://127.0.0.1:1420";
const CLI: &str = "http://127.0.0.1:9999";

struct Server {
    addr: SocketAddr,
}

impl Server {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let renderer = BareOrigin::parse(RENDERER).expect("origin");
        let cli = BareOrigin::parse(CLI).expect("origin");
        let config = PerimeterConfig {
            port: addr.port(),
            allowed_origins: vec![renderer.clone()],
            referer: RefererPolicy::new(
                std::slice::from_ref(&renderer),
                &["/desktop".to_owned()],
                &[(cli, "/cli".to_owned())],
            )
            .expect("policy"),
            credentials: Credentials::from_password(&Zeroizing::new(PASSWORD.to_owned())),
        };
        let router = Router::new()
            .route(
                "/health",
                get(|| async { "ok" }).post(|| async { "posted" }),
            )
            .route(
                "/sneaky-cors",
                get(|| async {
                    let mut h = HeaderMap::new();
                    h.insert(
                        header::ACCESS_CONTROL_ALLOW_ORIGIN,
                        HeaderValue::from_static("*"),
                    );
                    h.insert(
                        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                        HeaderValue::from_static("true"),
                    );
                    (h, "sneaky")
                }),
            )
            .route(
                "/sees-auth",
                get(|headers: HeaderMap| async move {
                    if headers.contains_key(header::AUTHORIZATION) {
                        "present"
                    } else {
                        "absent"
                    }
                }),
            );
        let app = apply_perimeter(router, Arc::new(config));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr }
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port())
    }

    /// A request that passes every check.
    fn valid(&self, method: &str, target: &str) -> Req {
        Req::new(method, target)
            .header("Host", &self.host())
            .header("Referer", &format!("{RENDERER}/desktop/index.html"))
            .header("Authorization", &basic("agent", PASSWORD))
    }

    async fn send(&self, req: Req) -> Reply {
        let mut stream = TcpStream::connect(self.addr).await.expect("connect");
        stream.write_all(&req.bytes()).await.expect("write");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read");
        Reply::parse(&raw)
    }
}

fn basic(user: &str, password: &str) -> String {
    let enc = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {enc}")
}

struct Req {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
}

impl Req {
    fn new(method: &str, target: &str) -> Self {
        Self {
            method: method.to_owned(),
            target: target.to_owned(),
            headers: Vec::new(),
        }
    }

    /// Appends a header (so calling twice duplicates it).
    fn header(self, name: &str, value: &str) -> Self {
        self.header_bytes(name, value.as_bytes())
    }

    fn header_bytes(mut self, name: &str, value: &[u8]) -> Self {
        self.headers.push((name.to_owned(), value.to_vec()));
        self
    }

    fn without(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    fn set(self, name: &str, value: &str) -> Self {
        self.without(name).header(name, value)
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target).into_bytes();
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"Connection: close\r\n\r\n");
        out
    }
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn parse(raw: &[u8]) -> Self {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text.split_once("\r\n\r\n").expect("complete response");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().expect("status line");
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status code");
        let headers = lines
            .map(|l| {
                let (n, v) = l.split_once(':').expect("header line");
                (n.trim().to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        Self {
            status,
            headers,
            body: body.to_owned(),
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn has_any_cors(&self) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.starts_with("access-control-"))
    }

    fn code(&self) -> String {
        let body: ErrorBody = serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not an error body ({e}): {self:?}"));
        body.error.code
    }

    /// Asserts a JSON error of the given status and code.
    fn assert_error(&self, status: u16, code: &str, what: &str) {
        assert_eq!(self.status, status, "{what}: {self:?}");
        assert_eq!(self.code(), code, "{what}");
        assert_eq!(self.get("content-type"), Some("application/json"), "{what}");
        assert_eq!(self.get("cache-control"), Some("no-store"), "{what}");
    }
}

#[tokio::test]
async fn valid_request_passes() {
    let s = Server::start().await;
    let r = s.send(s.valid("GET", "/health")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, "ok");
    assert!(!r.has_any_cors(), "no Origin, no CORS headers: {r:?}");

    let r = s
        .send(
            s.valid("GET", "/health")
                .set("Host", &format!("localhost:{}", s.port())),
        )
        .await;
    assert_eq!(r.status, 200, "localhost: {r:?}");
    let r = s
        .send(
            s.valid("GET", "/health")
                .set("Host", &format!("LocalHost:{}", s.port())),
        )
        .await;
    assert_eq!(r.status, 200, "localhost any case: {r:?}");
    let r = s
        .send(s.valid("GET", "/health").set(
            "Authorization",
            &format!("bAsIc {}", &basic("agent", PASSWORD)[6..]),
        ))
        .await;
    assert_eq!(r.status, 200, "scheme case-insensitive: {r:?}");
    let r = s
        .send(s.valid("POST", "/health").header("Content-Length", "0"))
        .await;
    assert_eq!(r.status, 200, "POST: {r:?}");
    assert_eq!(r.body, "posted");
}

#[tokio::test]
async fn auth_failures_are_401_without_basic_challenge() {
    let s = Server::start().await;
    let wrong_same_len = "X".repeat(PASSWORD.len());
    let cases: Vec<(&str, Req)> = vec![
        (
            "no auth",
            s.valid("GET", "/health").without("Authorization"),
        ),
        (
            "wrong password, same length",
            s.valid("GET", "/health")
                .set("Authorization", &basic("agent", &wrong_same_len)),
        ),
        (
            "wrong password, shorter",
            s.valid("GET", "/health")
                .set("Authorization", &basic("agent", "short")),
        ),
        (
            "wrong password, longer",
            s.valid("GET", "/health")
                .set("Authorization", &basic("agent", &format!("{PASSWORD}x"))),
        ),
        (
            "wrong user",
            s.valid("GET", "/health")
                .set("Authorization", &basic("admin", PASSWORD)),
        ),
        (
            "bearer",
            s.valid("GET", "/health")
                .set("Authorization", &format!("Bearer {PASSWORD}")),
        ),
        (
            "bearer with basic payload",
            s.valid("GET", "/health").set(
                "Authorization",
                &basic("agent", PASSWORD).replace("Basic", "Bearer"),
            ),
        ),
        (
            "malformed base64",
            s.valid("GET", "/health")
                .set("Authorization", "Basic !!not-base64!!"),
        ),
        (
            "empty basic",
            s.valid("GET", "/health").set("Authorization", "Basic "),
        ),
        (
            "duplicate authorization",
            s.valid("GET", "/health")
                .header("Authorization", &basic("agent", PASSWORD)),
        ),
        (
            "unknown path",
            s.valid("GET", "/nope").without("Authorization"),
        ),
    ];
    for (what, req) in cases {
        let r = s.send(req).await;
        r.assert_error(401, "unauthorized", what);
        let challenge = r.get("www-authenticate").expect("WWW-Authenticate");
        assert!(
            !challenge.to_ascii_lowercase().starts_with("basic"),
            "{what}: {challenge}"
        );
        assert_eq!(challenge, "AgentHost realm=\"agent-host\"");
        assert!(!r.body.contains(PASSWORD), "{what}");
        assert!(!r.has_any_cors(), "{what}: {r:?}");
    }
}

#[tokio::test]
async fn foreign_hosts_are_refused_first() {
    let s = Server::start().await;
    let other_port = s.port().wrapping_add(1).max(1);
    let cases: Vec<(&str, Req)> = vec![
        (
            "rebinding name",
            s.valid("GET", "/health")
                .set("Host", &format!("evil.example:{}", s.port())),
        ),
        (
            "other port",
            s.valid("GET", "/health")
                .set("Host", &format!("127.0.0.1:{other_port}")),
        ),
        (
            "no port",
            s.valid("GET", "/health").set("Host", "127.0.0.1"),
        ),
        (
            "ipv6 loopback",
            s.valid("GET", "/health")
                .set("Host", &format!("[::1]:{}", s.port())),
        ),
        (
            "trailing dot",
            s.valid("GET", "/health")
                .set("Host", &format!("localhost.:{}", s.port())),
        ),
        (
            "userinfo",
            s.valid("GET", "/health")
                .set("Host", &format!("a@127.0.0.1:{}", s.port())),
        ),
        ("missing", s.valid("GET", "/health").without("Host")),
        (
            "duplicate",
            s.valid("GET", "/health").header("Host", &s.host()),
        ),
        (
            "foreign host, no auth, no referer",
            s.valid("GET", "/health")
                .set("Host", "evil.example")
                .without("Authorization")
                .without("Referer"),
        ),
        (
            "foreign host, foreign origin",
            s.valid("GET", "/health")
                .set("Host", "evil.example")
                .header("Origin", "http://evil.example"),
        ),
        (
            "foreign host preflight",
            Req::new("OPTIONS", "/health")
                .header("Host", "evil.example")
                .header("Origin", RENDERER)
                .header("Access-Control-Request-Method", "GET"),
        ),
        (
            "absolute-form foreign authority",
            s.valid("GET", &format!("http://evil.example:{}/health", s.port())),
        ),
        ("unknown path", s.valid("GET", "/nope").without("Host")),
    ];
    for (what, req) in cases {
        let r = s.send(req).await;
        r.assert_error(403, "host_not_allowed", what);
        assert!(!r.has_any_cors(), "{what}: {r:?}");
    }
    let r = s
        .send(s.valid("GET", &format!("http://127.0.0.1:{}/health", s.port())))
        .await;
    assert_eq!(r.status, 200, "absolute-form matching authority: {r:?}");
}

#[tokio::test]
async fn origin_checks() {
    let s = Server::start().await;
    for (what, req) in [
        (
            "foreign origin with valid auth",
            s.valid("GET", "/health")
                .header("Origin", "http://evil.example"),
        ),
        (
            "null origin",
            s.valid("GET", "/health").header("Origin", "null"),
        ),
        (
            "origin with trailing slash",
            s.valid("GET", "/health")
                .header("Origin", &format!("{RENDERER}/")),
        ),
        (
            "origin other case",
            s.valid("GET", "/health")
                .header("Origin", "HTTP://127.0.0.1:1420"),
        ),
        (
            "duplicate origin",
            s.valid("GET", "/health")
                .header("Origin", RENDERER)
                .header("Origin", RENDERER),
        ),
        (
            "foreign origin, no auth",
            s.valid("GET", "/health")
                .header("Origin", "http://evil.example")
                .without("Authorization"),
        ),
    ] {
        let r = s.send(req).await;
        r.assert_error(403, "origin_not_allowed", what);
        assert!(!r.has_any_cors(), "{what}: {r:?}");
    }

    let r = s
        .send(s.valid("GET", "/health").header("Origin", RENDERER))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.get("access-control-allow-origin"), Some(RENDERER));
    assert_eq!(r.get("vary"), Some("Origin"));
    assert_eq!(r.get("access-control-allow-credentials"), None);

    // Errors of inner checks carry the CORS grant, so the renderer can read them.
    let r = s
        .send(
            s.valid("GET", "/health")
                .header("Origin", RENDERER)
                .set("Authorization", &basic("agent", "nope")),
        )
        .await;
    r.assert_error(401, "unauthorized", "allowed origin, wrong password");
    assert_eq!(r.get("access-control-allow-origin"), Some(RENDERER));
    assert_eq!(r.get("vary"), Some("Origin"));
    let r = s
        .send(
            s.valid("GET", "/health")
                .header("Origin", RENDERER)
                .without("Referer"),
        )
        .await;
    r.assert_error(403, "referer_not_allowed", "allowed origin, no referer");
    assert_eq!(r.get("access-control-allow-origin"), Some(RENDERER));
}

#[tokio::test]
async fn handler_cors_headers_are_replaced() {
    let s = Server::start().await;
    let r = s.send(s.valid("GET", "/sneaky-cors")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(!r.has_any_cors(), "{r:?}");
    let r = s
        .send(s.valid("GET", "/sneaky-cors").header("Origin", RENDERER))
        .await;
    assert_eq!(r.get("access-control-allow-origin"), Some(RENDERER));
    assert_eq!(r.get("access-control-allow-credentials"), None);
}

#[tokio::test]
async fn handlers_never_see_the_credential() {
    let s = Server::start().await;
    let r = s.send(s.valid("GET", "/sees-auth")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, "absent");
}

#[tokio::test]
async fn preflights() {
    let s = Server::start().await;
    let preflight = |origin: &str| {
        Req::new("OPTIONS", "/health")
            .header("Host", &s.host())
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type",
            )
    };

    let r = s.send(preflight(RENDERER)).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(r.get("access-control-allow-origin"), Some(RENDERER));
    assert_eq!(
        r.get("access-control-allow-methods"),
        Some("GET, POST, PUT, PATCH, DELETE")
    );
    assert_eq!(
        r.get("access-control-allow-headers"),
        Some("authorization, content-type, last-event-id")
    );
    assert_eq!(r.get("access-control-max-age"), Some("600"));
    assert_eq!(r.get("vary"), Some("Origin"));
    assert_eq!(r.get("access-control-allow-credentials"), None);

    // Also for paths without a route: the preflight never reaches routing's 404/405.
    let mut on_unknown = preflight(RENDERER);
    on_unknown.target = "/nope".to_owned();
    assert_eq!(s.send(on_unknown).await.status, 204);

    let r = s.send(preflight("http://evil.example")).await;
    r.assert_error(403, "origin_not_allowed", "foreign preflight");
    assert!(!r.has_any_cors(), "{r:?}");
    let r = s.send(preflight("null")).await;
    r.assert_error(403, "origin_not_allowed", "null preflight");
    assert!(!r.has_any_cors(), "{r:?}");

    // OPTIONS without Access-Control-Request-Method is an ordinary request.
    let r = s
        .send(preflight(RENDERER).without("Access-Control-Request-Method"))
        .await;
    r.assert_error(403, "referer_not_allowed", "plain OPTIONS");
}

#[tokio::test]
async fn referer_checks() {
    let s = Server::start().await;
    let cases: Vec<(&str, Req)> = vec![
        (
            "missing, valid auth",
            s.valid("GET", "/health").without("Referer"),
        ),
        (
            "missing, no auth",
            s.valid("GET", "/health")
                .without("Referer")
                .without("Authorization"),
        ),
        (
            "foreign origin",
            s.valid("GET", "/health")
                .set("Referer", "http://evil.example/desktop/"),
        ),
        (
            "sibling",
            s.valid("GET", "/health")
                .set("Referer", &format!("{RENDERER}/desktopX")),
        ),
        (
            "other page of the origin",
            s.valid("GET", "/health")
                .set("Referer", &format!("{RENDERER}/admin")),
        ),
        (
            "traversal",
            s.valid("GET", "/health")
                .set("Referer", &format!("{RENDERER}/desktop/../admin")),
        ),
        (
            "encoded traversal",
            s.valid("GET", "/health")
                .set("Referer", &format!("{RENDERER}/desktop/%2e%2e/admin")),
        ),
        (
            "encoded traversal upper",
            s.valid("GET", "/health")
                .set("Referer", &format!("{RENDERER}/desktop/%2E%2E/admin")),
        ),
        (
            "dot segment",
            s.valid("GET", "/health")
                .set("Referer", &format!("{RENDERER}/desktop/./x")),
        ),
        (
            "backslash",
            s.valid("GET", "/health")
                .set("Referer", &format!("{RENDERER}/desktop\\..")),
        ),
        (
            "userinfo",
            s.valid("GET", "/health")
                .set("Referer", "http://u@127.0.0.1:1420/desktop"),
        ),
        (
            "malformed",
            s.valid("GET", "/health").set("Referer", "not a url"),
        ),
        (
            "relative",
            s.valid("GET", "/health").set("Referer", "/desktop"),
        ),
        (
            "scheme-relative",
            s.valid("GET", "/health").set("Referer", "//evil"),
        ),
        (
            "non-UTF-8",
            s.valid("GET", "/health")
                .without("Referer")
                .header_bytes("Referer", b"http://127.0.0.1:1420/desktop/\xff"),
        ),
        (
            "duplicated",
            s.valid("GET", "/health")
                .header("Referer", &format!("{RENDERER}/desktop/")),
        ),
        (
            "cli root for renderer origin",
            s.valid("GET", "/health")
                .set("Referer", &format!("{RENDERER}/cli")),
        ),
        (
            "renderer root for cli origin",
            s.valid("GET", "/health")
                .set("Referer", &format!("{CLI}/desktop")),
        ),
    ];
    for (what, req) in cases {
        let r = s.send(req).await;
        r.assert_error(403, "referer_not_allowed", what);
    }

    for (what, referer) in [
        ("root itself", format!("{RENDERER}/desktop")),
        ("root with slash", format!("{RENDERER}/desktop/")),
        ("root with query", format!("{RENDERER}/desktop?tab=1")),
        ("extra pair", format!("{CLI}/cli")),
        ("extra pair below", format!("{CLI}/cli/run")),
    ] {
        let r = s
            .send(s.valid("GET", "/health").set("Referer", &referer))
            .await;
        assert_eq!(r.status, 200, "{what}: {r:?}");
    }

    // A correct Referer with a wrong password is an auth failure, not a 403.
    let r = s
        .send(
            s.valid("GET", "/health")
                .set("Authorization", &basic("agent", "wrong")),
        )
        .await;
    r.assert_error(401, "unauthorized", "good referer, bad password");
}
