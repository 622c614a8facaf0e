//! Through the bridge to the real `agent-host` binary: its perimeter
//! (Host, Origin, Referer, Basic Auth) admits exactly what the bridge sends.

use std::time::Duration;

use crate::support::*;
use agent_provider::scripted::{Reply, Scripted, ScriptedProvider};
use base64::Engine;
use serde_json::json;
use testkit::contains;

#[test]
fn health_through_the_bridge_and_no_credential_reaches_the_page() {
    let user_data = tempfile::tempdir().unwrap();
    let host = launch_host(user_data.path());
    let rt = runtime();
    rt.block_on(async {
        let bridge = bridge(host.ready.port, &host.password);
        let answer = call(&bridge, request("GET", "/health", Some(ORIGIN))).await;
        assert_eq!(
            answer.status,
            Some(200),
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        let health = json(&answer);
        assert!(health.is_object(), "{health}");

        let mut everything = answer.body.clone();
        for (name, value) in &answer.headers {
            everything.extend_from_slice(name.as_bytes());
            everything.extend_from_slice(value.as_bytes());
        }
        let password = host.password.as_bytes();
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("agent:{}", host.password.as_str()));
        assert!(
            !contains(&everything, password),
            "the password reached the page"
        );
        assert!(
            !contains(&everything, basic.as_bytes()),
            "the credential reached the page"
        );

        // A refusal from the host itself streams back unchanged.
        let answer = call(&bridge, request("GET", "/nope", Some(ORIGIN))).await;
        assert_eq!(answer.status, Some(404));
        assert!(json(&answer)["error"]["code"].is_string());
    });
    assert!(host.stop().success());
}

#[test]
fn an_agent_turn_streams_through_a_socket_sink_as_it_happens() {
    let user_data = tempfile::tempdir().unwrap();
    let host = launch_host(user_data.path());
    let rt = runtime();
    rt.block_on(async {
        let text = |t: &str| Scripted::Text { text: t.to_owned() };
        let delay = || Scripted::Delay { ms: 400 };
        let provider = ScriptedProvider::start(vec![Reply::Stream {
            events: vec![
                text("first "),
                delay(),
                text("second "),
                delay(),
                text("third"),
                Scripted::Finish {
                    reason: "stop".to_owned(),
                },
                Scripted::Usage {
                    input: 1,
                    output: 3,
                },
                Scripted::Done,
            ],
        }])
        .await
        .unwrap();
        let bridge = bridge(host.ready.port, &host.password);
        let r = call(
            &bridge,
            json_request(
                "PUT",
                "/secrets/openrouter",
                json!({"key": "sk-test-0123456789"}),
            ),
        )
        .await;
        assert_eq!(r.status, Some(200), "{}", String::from_utf8_lossy(&r.body));
        let r = call(
            &bridge,
            json_request(
                "PUT",
                "/providers/openrouter",
                json!({"base_url": provider.base_url()}),
            ),
        )
        .await;
        assert_eq!(r.status, Some(200), "{}", String::from_utf8_lossy(&r.body));
        let r = call(&bridge, json_request("POST", "/sessions", json!({}))).await;
        assert_eq!(r.status, Some(200), "{}", String::from_utf8_lossy(&r.body));
        let session = json(&r)["id"].as_str().unwrap().to_owned();

        let (sink, reader, heads) = socket_sink();
        let reads = read_timed(reader);
        let turn = json_request(
            "POST",
            &format!("/sessions/{session}/turns"),
            json!({"message": "hi"}),
        );
        let handled = tokio::spawn({
            let bridge = bridge.clone();
            async move { bridge.handle(turn, sink).await }
        });
        let (status, headers) = tokio::task::spawn_blocking(move || {
            heads.recv_timeout(Duration::from_secs(5)).unwrap()
        })
        .await
        .unwrap();
        assert_eq!(status, 200);
        assert!(headers
            .iter()
            .any(|(n, v)| n == "content-type" && v.starts_with("text/event-stream")));
        tokio::time::timeout(Duration::from_secs(10), handled)
            .await
            .expect("the turn ends")
            .unwrap()
            .unwrap();
        let reads = tokio::task::spawn_blocking(move || reads.join().unwrap())
            .await
            .unwrap();

        let body: Vec<u8> = reads.iter().flat_map(|(_, b)| b.clone()).collect();
        let body = String::from_utf8(body).unwrap();
        for word in ["first", "second", "third"] {
            assert!(body.contains(word), "{word} missing from {body}");
        }
        let arrived = |word: &str| {
            let mut seen = String::new();
            reads
                .iter()
                .find(|(_, b)| {
                    seen.push_str(&String::from_utf8_lossy(b));
                    seen.contains(word)
                })
                .map(|(at, _)| *at)
                .unwrap()
        };
        let first = arrived("first");
        let last = reads.last().unwrap().0;
        assert!(
            last.duration_since(first) >= Duration::from_millis(600),
            "the first delta arrived only {:?} before the end",
            last.duration_since(first)
        );
        assert!(arrived("second") < arrived("third"));
    });
    assert!(host.stop().success());
}
