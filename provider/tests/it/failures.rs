//! Failures, retries, timeouts, aborts and secrets, against the scripted
//! server over real loopback.

use std::time::{Duration, Instant};

use crate::common::{collect, endpoint, fast_config, open, request};
use agent_provider::scripted::{Reply, Scripted, ScriptedProvider};
use agent_provider::{
    Client, ClientConfig, Endpoint, ProviderError, StreamEvent, Zeroizing, MAX_MESSAGE_CHARS,
};
use serde_json::json;

fn text(t: &str) -> Scripted {
    Scripted::Text { text: t.into() }
}

fn status_reply(status: u16, retry_after: Option<u64>) -> Reply {
    Reply::Error {
        status,
        body: json!({"error": {"message": format!("status {status}"), "code": status}}),
        retry_after,
    }
}

#[tokio::test]
async fn error_object_mid_stream_comes_after_the_earlier_text() {
    let server = ScriptedProvider::start(vec![Reply::Stream {
        events: vec![
            text("partial "),
            text("answer"),
            Scripted::ErrorObject {
                message: "upstream overloaded".into(),
            },
            Scripted::Done,
        ],
    }])
    .await
    .unwrap();
    let (events, error) = collect(open(&server).await.unwrap()).await;
    assert_eq!(
        events,
        vec![
            StreamEvent::TextDelta("partial ".into()),
            StreamEvent::TextDelta("answer".into())
        ]
    );
    let error = error.unwrap();
    assert_eq!(
        error,
        ProviderError::Api {
            message: "upstream overloaded".into(),
            code: Some("502".into())
        }
    );
    assert_eq!(error.code(), "provider_error");
    assert_eq!(server.requests().len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn rate_limited_then_success_is_retried() {
    let server = ScriptedProvider::start(vec![status_reply(429, None), Reply::text_answer("ok")])
        .await
        .unwrap();
    let (events, error) = collect(open(&server).await.unwrap()).await;
    assert_eq!(error, None);
    assert_eq!(events[0], StreamEvent::TextDelta("ok".into()));
    assert_eq!(server.requests().len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn retry_after_is_honoured_up_to_the_cap() {
    let server =
        ScriptedProvider::start(vec![status_reply(429, Some(1)), Reply::text_answer("ok")])
            .await
            .unwrap();
    let config = ClientConfig {
        backoff_cap: Duration::from_millis(300),
        ..fast_config()
    };
    let client = Client::new(config).unwrap();
    let started = Instant::now();
    let stream = client
        .stream(&endpoint(server.base_url()), &request())
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "waited {elapsed:?}");
    assert!(elapsed < Duration::from_millis(950), "waited {elapsed:?}");
    let (_, error) = collect(stream).await;
    assert_eq!(error, None);
    assert_eq!(server.requests().len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn rate_limited_every_time_is_rate_limited() {
    let server = ScriptedProvider::start(vec![status_reply(429, None); 4])
        .await
        .unwrap();
    let error = open(&server).await.unwrap_err();
    assert_eq!(
        error,
        ProviderError::RateLimited {
            message: "status 429".into()
        }
    );
    assert_eq!(error.code(), "provider_rate_limited");
    assert_eq!(server.requests().len(), 4);
    server.shutdown().await;
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let config = fast_config();
    let attempts = config.max_retries as usize + 1;
    // One spare reply proves the client stopped after max_retries + 1.
    let server = ScriptedProvider::start(vec![status_reply(500, None); attempts + 1])
        .await
        .unwrap();
    let client = Client::new(config).unwrap();
    let error = client
        .stream(&endpoint(server.base_url()), &request())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ProviderError::Status {
            status: 500,
            message: "status 500".into()
        }
    );
    assert_eq!(error.code(), "provider_status");
    assert_eq!(server.requests().len(), attempts);
    assert_eq!(server.remaining(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server =
        ScriptedProvider::start(vec![status_reply(400, None), Reply::text_answer("unused")])
            .await
            .unwrap();
    let error = open(&server).await.unwrap_err();
    assert!(matches!(error, ProviderError::Status { status: 400, .. }));
    assert_eq!(server.requests().len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn long_error_messages_are_truncated() {
    let server = ScriptedProvider::start(vec![Reply::error(401, &"x".repeat(5000))])
        .await
        .unwrap();
    let error = open(&server).await.unwrap_err();
    let ProviderError::Status { status, message } = error else {
        panic!("unexpected {error:?}");
    };
    assert_eq!(status, 401);
    assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS);
    server.shutdown().await;
}

#[tokio::test]
async fn stall_before_the_first_chunk_is_a_first_chunk_timeout() {
    let server = ScriptedProvider::start(vec![
        Reply::Stream {
            events: vec![Scripted::Comment, Scripted::Stall],
        },
        Reply::text_answer("unused"),
    ])
    .await
    .unwrap();
    let config = ClientConfig {
        first_chunk_timeout: Duration::from_millis(300),
        ..fast_config()
    };
    let client = Client::new(config).unwrap();
    let started = Instant::now();
    let error = client
        .stream(&endpoint(server.base_url()), &request())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ProviderError::FirstChunkTimeout(Duration::from_millis(300))
    );
    assert_eq!(error.code(), "provider_timeout");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.requests().len(), 1, "timeouts are not retried");
    server.shutdown().await;
}

#[tokio::test]
async fn stall_mid_stream_is_an_idle_timeout_even_with_keepalives() {
    let mut events = vec![text("a")];
    for _ in 0..10 {
        events.push(Scripted::Comment);
        events.push(Scripted::Delay { ms: 50 });
    }
    events.push(Scripted::Stall);
    let server = ScriptedProvider::start(vec![Reply::Stream { events }])
        .await
        .unwrap();
    let config = ClientConfig {
        idle_timeout: Duration::from_millis(300),
        ..fast_config()
    };
    let client = Client::new(config).unwrap();
    let started = Instant::now();
    let stream = client
        .stream(&endpoint(server.base_url()), &request())
        .await
        .unwrap();
    let (events, error) = collect(stream).await;
    assert_eq!(events, vec![StreamEvent::TextDelta("a".into())]);
    assert_eq!(
        error,
        Some(ProviderError::IdleTimeout(Duration::from_millis(300)))
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    let server = ScriptedProvider::start(vec![Reply::Stream {
        events: vec![text("a"), text("b"), Scripted::Stall],
    }])
    .await
    .unwrap();
    let mut stream = open(&server).await.unwrap();
    assert_eq!(
        stream.next_event().await,
        Some(Ok(StreamEvent::TextDelta("a".into())))
    );
    assert_eq!(
        stream.next_event().await,
        Some(Ok(StreamEvent::TextDelta("b".into())))
    );
    assert_eq!(server.disconnects(), 0);
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(1);
    while server.disconnects() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.disconnects(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn the_key_is_sent_as_bearer_and_never_shown() {
    const KEY: &str = "sk-or-v1-TOPSECRET-0123456789";
    let server = ScriptedProvider::start(vec![
        Reply::error(401, &format!("Invalid API key: {KEY}")),
        Reply::Stream {
            events: vec![
                text("a"),
                Scripted::ErrorObject {
                    message: format!("key {KEY} revoked"),
                },
            ],
        },
    ])
    .await
    .unwrap();
    let endpoint = Endpoint::new(server.base_url()).with_api_key(Zeroizing::new(KEY.to_owned()));
    let client = Client::new(fast_config()).unwrap();

    let status = client.stream(&endpoint, &request()).await.unwrap_err();
    let stream = client.stream(&endpoint, &request()).await.unwrap();
    let (_, api) = collect(stream).await;
    let api = api.unwrap();
    assert!(matches!(api, ProviderError::Api { .. }));

    for shown in [
        format!("{endpoint:?}"),
        format!("{endpoint:#?}"),
        format!("{status} {status:?}"),
        format!("{api} {api:?}"),
        format!("{client:?}"),
    ] {
        assert!(!shown.contains("TOPSECRET"), "key leaked into {shown}");
    }
    assert!(status.to_string().contains("[redacted]"));
    let bearer = Some(format!("Bearer {KEY}"));
    assert_eq!(server.authorizations(), vec![bearer.clone(), bearer]);
    server.shutdown().await;
}

#[tokio::test]
async fn malformed_json_chunk_is_a_protocol_error() {
    let server = ScriptedProvider::start(vec![
        Reply::Stream {
            events: vec![
                text("ok"),
                Scripted::Raw {
                    text: "data: {\"choices\":[{\"delta\":\n\n".into(),
                },
            ],
        },
        // First thing malformed: reported by `stream()`, not retried.
        Reply::Stream {
            events: vec![Scripted::Raw {
                text: "data: not json\n\n".into(),
            }],
        },
        Reply::text_answer("unused"),
    ])
    .await
    .unwrap();
    let client = Client::new(fast_config()).unwrap();
    let stream = client
        .stream(&endpoint(server.base_url()), &request())
        .await
        .unwrap();
    let (events, error) = collect(stream).await;
    assert_eq!(events, vec![StreamEvent::TextDelta("ok".into())]);
    let error = error.unwrap();
    assert!(matches!(error, ProviderError::Protocol(_)), "{error:?}");
    assert_eq!(error.code(), "provider_protocol");

    let error = client
        .stream(&endpoint(server.base_url()), &request())
        .await
        .unwrap_err();
    assert!(matches!(error, ProviderError::Protocol(_)), "{error:?}");
    assert_eq!(server.requests().len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn a_body_cut_before_any_event_is_retried_and_after_is_interrupted() {
    let server = ScriptedProvider::start(vec![
        Reply::Stream { events: vec![] },
        Reply::Stream {
            events: vec![text("half")],
        },
    ])
    .await
    .unwrap();
    let (events, error) = collect(open(&server).await.unwrap()).await;
    assert_eq!(events, vec![StreamEvent::TextDelta("half".into())]);
    let error = error.unwrap();
    assert!(matches!(error, ProviderError::Interrupted(_)), "{error:?}");
    assert_eq!(error.code(), "provider_interrupted");
    assert_eq!(server.requests().len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn connection_refused_is_connect_after_retries() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = Client::new(fast_config()).unwrap();
    let started = Instant::now();
    let error = client
        .stream(&endpoint(format!("http://127.0.0.1:{port}/v1")), &request())
        .await
        .unwrap_err();
    assert!(matches!(error, ProviderError::Connect(_)), "{error:?}");
    assert_eq!(error.code(), "provider_connect");
    // Three backoffs of at least 5, 10 and 20 ms (half of 10, 20, 40).
    assert!(started.elapsed() >= Duration::from_millis(35));
}

#[tokio::test]
async fn exhausted_script_answers_500() {
    let server = ScriptedProvider::start(vec![]).await.unwrap();
    let config = ClientConfig {
        max_retries: 0,
        ..fast_config()
    };
    let client = Client::new(config).unwrap();
    let error = client
        .stream(&endpoint(server.base_url()), &request())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ProviderError::Status {
            status: 500,
            message: "script exhausted".into()
        }
    );
    server.shutdown().await;
}
