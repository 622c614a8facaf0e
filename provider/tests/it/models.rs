//! `Client::list_models` and `probe_models` against the scripted server's
//! `GET /models`.

use std::time::Duration;

use agent_provider::scripted::{Reply, Scripted, ScriptedProvider};
use agent_provider::{
    is_missing_models_route, Client, Endpoint, LocalProbe, StreamEvent, Zeroizing,
};

use crate::common::{collect, fast_config, open};

const LIMIT: Duration = Duration::from_secs(2);

#[tokio::test]
async fn lists_the_served_models_with_the_key() {
    let server = ScriptedProvider::start(vec![]).await.unwrap();
    server.set_model_entries(vec![
        serde_json::json!({"id": "a/one", "object": "model"}),
        serde_json::json!({"id": "b/two", "object": "model", "name": "Two",
                           "context_length": 8192, "pricing": {"prompt": "0.1", "completion": "0.2"}}),
    ]);
    let client = Client::new(fast_config()).unwrap();
    let endpoint =
        Endpoint::new(server.base_url()).with_api_key(Zeroizing::new("sk-test-1".into()));
    let models = client.list_models(&endpoint, LIMIT).await.unwrap();
    let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["a/one", "b/two"]);
    assert_eq!(models[1].context_length, Some(8192));
    assert_eq!(
        server.model_requests(),
        [Some("Bearer sk-test-1".to_owned())]
    );
    // The chat script is untouched.
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn failures_have_the_stable_codes_and_never_the_key() {
    let server = ScriptedProvider::start(vec![]).await.unwrap();
    let client = Client::new(fast_config()).unwrap();
    let endpoint =
        Endpoint::new(server.base_url()).with_api_key(Zeroizing::new("sk-secret-9".into()));

    server.fail_models(401, "Incorrect API key provided: sk-secret-9");
    let error = client.list_models(&endpoint, LIMIT).await.unwrap_err();
    assert_eq!(error.code(), "provider_auth");
    assert!(!error.to_string().contains("sk-secret-9"), "{error}");

    server.fail_models(404, "not found");
    let error = client.list_models(&endpoint, LIMIT).await.unwrap_err();
    assert!(is_missing_models_route(&error));

    server.fail_models(503, "overloaded");
    let error = client.list_models(&endpoint, LIMIT).await.unwrap_err();
    assert_eq!(error.code(), "provider_status");

    let port = server.port();
    server.shutdown().await;
    let down = Endpoint::new(format!("http://127.0.0.1:{port}/v1"));
    let error = client.list_models(&down, LIMIT).await.unwrap_err();
    assert_eq!(error.code(), "provider_connect");
}

#[tokio::test]
async fn a_silent_server_times_out() {
    // Accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let client = Client::new(fast_config()).unwrap();
    let endpoint = Endpoint::new(format!("http://{addr}/v1"));
    let started = std::time::Instant::now();
    let error = client
        .list_models(&endpoint, Duration::from_millis(200))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "provider_timeout");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn the_probe_reads_a_local_list_and_never_follows_redirects() {
    let server = ScriptedProvider::start(vec![]).await.unwrap();
    server.set_models(&["llama3.2"]);
    let probe = LocalProbe::new(Duration::from_millis(300)).unwrap();
    let models = probe
        .models(&server.base_url(), Duration::from_millis(300))
        .await
        .unwrap();
    assert_eq!(models[0].id, "llama3.2");

    // A redirect is an answer that is not a list, not a hop elsewhere.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            let _ = socket
                .write_all(
                    format!(
                        "HTTP/1.1 302 Found\r\nLocation: {}/models\r\nContent-Length: 0\r\n\r\n",
                        server.base_url()
                    )
                    .as_bytes(),
                )
                .await;
        }
    });
    let error = probe
        .models(&format!("http://{addr}/v1"), Duration::from_millis(300))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "provider_status");
}

#[tokio::test]
async fn openrouter_cost_reaches_the_usage_event() {
    let server = ScriptedProvider::start(vec![Reply::Stream {
        events: vec![
            Scripted::Text { text: "hi".into() },
            Scripted::Finish {
                reason: "stop".into(),
            },
            Scripted::UsageCost {
                input: 7,
                output: 1,
                cost: 0.0025,
            },
            Scripted::Done,
        ],
    }])
    .await
    .unwrap();
    let (events, error) = collect(open(&server).await.unwrap()).await;
    assert_eq!(error, None);
    assert!(events.contains(&StreamEvent::Usage {
        input_tokens: 7,
        output_tokens: 1,
        cost: Some(0.0025),
    }));
}
