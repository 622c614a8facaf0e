//! `web_fetch` against real loopback servers, with the exact-address test
//! allowance, and the refusals that must happen before any connection.

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{fixture, Fixture};
use agent_tools::{FetchPolicy, ToolError};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A tiny HTTP/1.1 server on 127.0.0.1 that counts connections.
struct Server {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

/// Where `/redirect-other` points: a second loopback listener.
async fn server(other: Option<SocketAddr>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let connections = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(handle(stream, addr, other));
        }
    });
    Server { addr, connections }
}

async fn handle(mut stream: TcpStream, me: SocketAddr, other: Option<SocketAddr>) {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&request);
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let redirect = |to: String| {
        format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    };
    let head = match path.as_str() {
        "/" | "/final" => {
            let body = if path == "/" { "hello" } else { "final" };
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        }
        "/redirect-same" => redirect(format!("http://{me}/final")),
        "/redirect-relative" => redirect("/final".into()),
        "/redirect-loop" => redirect("/redirect-loop".into()),
        "/redirect-other" => redirect(format!("http://{}/", other.unwrap_or(me))),
        "/redirect-metadata" => redirect("http://169.254.169.254/latest/meta-data/".into()),
        "/redirect-file" => redirect("file:///etc/passwd".into()),
        "/big" => {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
                )
                .await;
            let chunk = vec![b'x'; 64 * 1024];
            for _ in 0..(3 * 16) {
                if stream.write_all(&chunk).await.is_err() {
                    return;
                }
            }
            return;
        }
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            return;
        }
        _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
    };
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// A fixture whose policy allows exactly `allow`.
fn allowing(allow: SocketAddr, timeout: Duration) -> Fixture {
    let mut f = fixture();
    f.ctx.fetch = FetchPolicy {
        timeout,
        max_redirects: 5,
        allow_loopback_for_tests: Some(allow),
    };
    f
}

async fn fetch(f: &Fixture, args: Value) -> Result<Value, ToolError> {
    f.call("web_fetch", args).await
}

#[tokio::test]
async fn fetches_from_the_allowed_address() {
    let s = server(None).await;
    let f = allowing(s.addr, Duration::from_secs(10));
    let v = fetch(&f, json!({"url": format!("http://{}/", s.addr)}))
        .await
        .expect("fetch");
    assert_eq!(v["status"], 200);
    assert_eq!(v["body"], "hello");
    assert_eq!(v["content_type"], "text/plain; charset=utf-8");
    assert_eq!(v["truncated"], false);

    for path in ["/redirect-same", "/redirect-relative"] {
        let v = fetch(&f, json!({"url": format!("http://{}{path}", s.addr)}))
            .await
            .expect(path);
        assert_eq!(v["body"], "final", "{path}");
        assert_eq!(v["url"], format!("http://{}/final", s.addr));
    }
}

#[tokio::test]
async fn redirect_to_another_loopback_port_is_refused() {
    let other = StdListener::bind("127.0.0.1:0").expect("bind");
    other.set_nonblocking(true).expect("nonblocking");
    let s = server(Some(other.local_addr().expect("addr"))).await;
    let f = allowing(s.addr, Duration::from_secs(10));
    for path in ["/redirect-other", "/redirect-metadata", "/redirect-file"] {
        let err = fetch(&f, json!({"url": format!("http://{}{path}", s.addr)}))
            .await
            .expect_err(path);
        assert!(matches!(err, ToolError::Refused(_)), "{path}: {err:?}");
    }
    assert_eq!(
        other.accept().expect_err("no connection").kind(),
        ErrorKind::WouldBlock
    );
    // localhost may resolve to ::1 too, which the allowance does not cover.
    let err = fetch(
        &f,
        json!({"url": format!("http://127.0.0.2:{}/", s.addr.port())}),
    )
    .await
    .expect_err("other loopback ip");
    assert!(matches!(err, ToolError::Refused(_)), "{err:?}");
}

#[tokio::test]
async fn too_many_redirects() {
    let s = server(None).await;
    let f = allowing(s.addr, Duration::from_secs(10));
    let err = fetch(
        &f,
        json!({"url": format!("http://{}/redirect-loop", s.addr)}),
    )
    .await
    .expect_err("loop");
    assert!(matches!(err, ToolError::Refused(_)), "{err:?}");
    assert_eq!(s.connections.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn body_is_capped() {
    let s = server(None).await;
    let f = allowing(s.addr, Duration::from_secs(20));
    let url = format!("http://{}/big", s.addr);
    let v = fetch(&f, json!({"url": url, "max_bytes": 1000}))
        .await
        .expect("fetch");
    assert_eq!(v["body"].as_str().expect("body").len(), 1000);
    assert_eq!(v["truncated"], true);
    let v = fetch(&f, json!({"url": url})).await.expect("default cap");
    assert_eq!(v["body"].as_str().expect("body").len(), 1024 * 1024);
    assert_eq!(v["truncated"], true);
    let v = fetch(&f, json!({"url": url, "max_bytes": 100_000_000}))
        .await
        .expect("hard cap");
    assert_eq!(v["body"].as_str().expect("body").len(), 3 * 1024 * 1024);
    assert_eq!(v["truncated"], false);
}

#[tokio::test]
async fn slow_server_times_out() {
    let s = server(None).await;
    let f = allowing(s.addr, Duration::from_millis(500));
    let started = Instant::now();
    let err = fetch(&f, json!({"url": format!("http://{}/slow", s.addr)}))
        .await
        .expect_err("timeout");
    assert!(matches!(err, ToolError::Timeout(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn non_public_targets_are_refused_before_connecting() {
    let listener = StdListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let f = fixture(); // production policy: no allowance
    let urls = [
        format!("http://127.0.0.1:{port}/"),
        format!("http://localhost:{port}/"),
        format!("http://LOCALHOST.:{port}/"),
        format!("http://app.localhost:{port}/"),
        format!("https://127.0.0.1:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://0x7f.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://0.0.0.0:{port}/"),
        "http://[::1]/".into(),
        "http://169.254.169.254/latest/meta-data/".into(),
        "http://10.0.0.1/".into(),
        "http://192.168.1.1/".into(),
        "http://172.16.0.1/".into(),
        "http://100.64.0.1/".into(),
        "http://[fe80::1]/".into(),
        "http://[fd00::1]/".into(),
        "http://224.0.0.1/".into(),
        "http://255.255.255.255/".into(),
        // NAT64, both prefixes, and other IPv6 forms that reach IPv4.
        format!("http://[64:ff9b::7f00:1]:{port}/"),
        format!("http://[64:ff9b:1::7f00:1]:{port}/"),
        "http://[64:ff9b:1::a00:1]/".into(),
        "http://[64:ff9b:1:a00:0:100::]/".into(),
        "http://[2002:808:808::]/".into(),
        "http://[2001:0:4136:e378:8000:ffaf:f5ff:fffe]/".into(), // Teredo, client 10.0.0.1
        "http://[::127.0.0.1]/".into(),
        // Blocks the audit found missing.
        "http://192.175.48.1/".into(),
        "http://192.31.196.1/".into(),
        "http://192.52.193.1/".into(),
        "http://[100:0:0:1::1]/".into(),
        "http://[2620:4f:8000::1]/".into(),
        "http://[5f00::1]/".into(),
    ];
    for url in &urls {
        let started = Instant::now();
        let err = fetch(&f, json!({"url": url})).await.expect_err(url);
        assert!(matches!(err, ToolError::Refused(_)), "{url}: {err:?}");
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{url}: slow refusal"
        );
    }
    assert_eq!(
        listener.accept().expect_err("no connection").kind(),
        ErrorKind::WouldBlock
    );

    for url in [
        "file:///etc/passwd",
        "ftp://x/",
        "gopher://x/",
        "data:text/plain,hi",
    ] {
        let err = fetch(&f, json!({"url": url})).await.expect_err(url);
        assert!(matches!(err, ToolError::Refused(_)), "{url}: {err:?}");
    }
    for args in [
        json!({"url": "not a url"}),
        json!({"url": "http://x/", "max_bytes": 0}),
        json!({}),
    ] {
        let err = fetch(&f, args.clone()).await.expect_err("bad args");
        assert!(
            matches!(err, ToolError::InvalidArguments(_)),
            "{args}: {err:?}"
        );
    }
}

#[tokio::test]
async fn allowance_covers_only_loopback_and_the_exact_port() {
    // A non-loopback allowance is ignored, so it cannot open up 10.x.
    let mut f = fixture();
    f.ctx.fetch.allow_loopback_for_tests = Some("10.0.0.1:80".parse().expect("addr"));
    let err = fetch(&f, json!({"url": "http://10.0.0.1/"}))
        .await
        .expect_err("10.x");
    assert!(matches!(err, ToolError::Refused(_)), "{err:?}");
}
