//! Requests the bridge answers itself: nothing reaches the host.

use std::time::Duration;

use crate::support::*;

#[test]
fn foreign_or_missing_origins_are_refused_before_the_host() {
    let rt = runtime();
    rt.block_on(async {
        let host = CountingListener::start().await;
        let bridge = bridge(host.port, PASSWORD);
        for origin in [
            Some("http://evil.test"),
            None,
            Some("null"),
            Some("http://127.0.0.1:4173.evil.com"),
            Some("http://127.0.0.1:4174"),
            Some("http://localhost:4173"),
            Some("https://127.0.0.1:4173"),
        ] {
            let answer = call(&bridge, request("GET", "/health", origin)).await;
            assert_eq!(answer.status, Some(403), "{origin:?}");
            assert_eq!(error_code(&answer), "bridge_origin_not_allowed");
            assert_eq!(answer.header("content-type"), Some("application/json"));
            assert_eq!(answer.header("cache-control"), Some("no-store"));
        }
        // Two Origin headers, one of them right: still refused.
        let mut twice = request("GET", "/health", Some(ORIGIN));
        twice
            .headers
            .push(("origin".to_owned(), "http://evil.test".to_owned()));
        assert_eq!(call(&bridge, twice).await.status, Some(403));

        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(host.connections(), 0, "a refused request reached the host");
    });
}

#[test]
fn bad_uris_and_methods_are_refused_before_the_host() {
    let rt = runtime();
    rt.block_on(async {
        let host = CountingListener::start().await;
        let bridge = bridge(host.port, PASSWORD);
        for uri in [
            "hostapi://host/../x",
            "hostapi://host/sessions/../secrets",
            "hostapi://host/%2e%2e/x",
            "hostapi://host/%2E%2E/x",
            "hostapi://host//x",
            "hostapi://host/a\\b",
            "hostapi://host/a%00b",
            "hostapi://other/health",
            "http://127.0.0.1:1/health",
            "file:///etc/passwd",
        ] {
            let answer = call(&bridge, request("GET", uri, Some(ORIGIN))).await;
            assert_eq!(answer.status, Some(400), "{uri}");
            assert_eq!(error_code(&answer), "bridge_bad_request");
        }
        for method in ["TRACE", "OPTIONS", "HEAD", "CONNECT"] {
            let answer = call(&bridge, request(method, "/health", Some(ORIGIN))).await;
            assert_eq!(answer.status, Some(405), "{method}");
            assert_eq!(error_code(&answer), "bridge_method_not_allowed");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(host.connections(), 0, "a refused request reached the host");
    });
}

#[test]
fn no_host_is_503_host_restarting_and_a_new_host_is_used_at_once() {
    let rt = runtime();
    rt.block_on(async {
        let host = CountingListener::start().await;
        let bridge = bridge(host.port, PASSWORD);
        bridge.set_host(None);
        let answer = call(&bridge, request("GET", "/health", Some(ORIGIN))).await;
        assert_eq!(answer.status, Some(503));
        assert_eq!(error_code(&answer), "host_restarting");
        assert_eq!(host.connections(), 0);

        let echo = EchoServer::start().await;
        let clone = bridge.clone();
        clone.set_host(Some(renderer_bridge::HostTarget::new(
            echo.port,
            zeroize::Zeroizing::new("new-password".to_owned()),
        )));
        let answer = call(&bridge, request("GET", "/health", Some(ORIGIN))).await;
        assert_eq!(answer.status, Some(201));
        assert_eq!(echo.seen().len(), 1);
    });
}

#[test]
fn an_unreachable_host_is_502() {
    let rt = runtime();
    rt.block_on(async {
        // A port that was just free: connections are refused.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let bridge = bridge(port, PASSWORD);
        let answer = call(&bridge, request("GET", "/health", Some(ORIGIN))).await;
        assert_eq!(answer.status, Some(502));
        assert_eq!(error_code(&answer), "bridge_host_unavailable");
        let text = String::from_utf8_lossy(&answer.body);
        assert!(!text.contains(&port.to_string()), "the port leaked: {text}");
    });
}
