//! What crosses the bridge, seen by a loopback echo server standing in for
//! the host.

use crate::support::*;
use base64::Engine;

#[test]
fn the_bridge_sets_the_identity_headers_and_drops_the_pages() {
    let rt = runtime();
    rt.block_on(async {
        let echo = EchoServer::start().await;
        let bridge = bridge(echo.port, PASSWORD);
        let mut r = json_request(
            "POST",
            "/documents/doc_1?path=%2Ftmp%2Fa.md&x=1",
            serde_json::json!({"content": "hi"}),
        );
        for (name, value) in [
            ("Authorization", "Basic cGFnZTpwYWdl"),
            ("Cookie", "session=page"),
            ("Host", "evil.test"),
            ("Referer", "http://127.0.0.1:4173/other/"),
            ("Accept", "application/json"),
            ("Last-Event-ID", "42"),
            ("X-Requested-With", "page"),
        ] {
            r.headers.push((name.to_owned(), value.to_owned()));
        }
        let answer = call(&bridge, r).await;
        assert_eq!(answer.status, Some(201));

        let seen = echo.seen();
        assert_eq!(seen.len(), 1);
        let seen = &seen[0];
        assert_eq!(
            seen.request_line,
            "POST /documents/doc_1?path=%2Ftmp%2Fa.md&x=1 HTTP/1.1"
        );
        let expected_auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("agent:{PASSWORD}"))
        );
        let count = |name: &str| {
            seen.headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .count()
        };
        for name in ["authorization", "host", "origin", "referer"] {
            assert_eq!(count(name), 1, "{name} must appear exactly once");
        }
        assert_eq!(seen.header("authorization"), Some(expected_auth.as_str()));
        assert_eq!(
            seen.header("host"),
            Some(format!("127.0.0.1:{}", echo.port).as_str())
        );
        assert_eq!(seen.header("origin"), Some(ORIGIN));
        assert_eq!(
            seen.header("referer"),
            Some("http://127.0.0.1:4173/desktop/")
        );
        assert_eq!(seen.header("content-type"), Some("application/json"));
        assert_eq!(seen.header("accept"), Some("application/json"));
        assert_eq!(seen.header("last-event-id"), Some("42"));
        assert_eq!(seen.header("cookie"), None);
        assert_eq!(seen.header("x-requested-with"), None);
        assert_eq!(seen.body, br#"{"content":"hi"}"#);

        // The answer: end-to-end headers only, and no credential.
        assert_eq!(answer.header("x-echo"), Some("yes"));
        assert_eq!(answer.header("content-type"), Some("application/json"));
        for dropped in [
            "connection",
            "keep-alive",
            "x-hop",
            "access-control-allow-origin",
            "access-control-allow-credentials",
        ] {
            assert_eq!(answer.header(dropped), None, "{dropped} reached the page");
        }
        let echoed = json(&answer);
        assert_eq!(echoed["body"], r#"{"content":"hi"}"#);
    });
}

#[test]
fn get_without_body_and_empty_query_pass_through() {
    let rt = runtime();
    rt.block_on(async {
        let echo = EchoServer::start().await;
        let bridge = bridge(echo.port, PASSWORD);
        let answer = call(&bridge, request("GET", "/sessions/?", Some(ORIGIN))).await;
        assert_eq!(answer.status, Some(201));
        assert_eq!(echo.seen()[0].request_line, "GET /sessions/? HTTP/1.1");
        assert!(echo.seen()[0].body.is_empty());
    });
}
