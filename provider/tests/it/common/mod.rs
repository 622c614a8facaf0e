//! Shared helpers for the integration tests (each test binary uses a
//! different subset).
#![allow(dead_code)]

use std::time::Duration;

use agent_provider::scripted::ScriptedProvider;
use agent_provider::{
    ChatMessage, ChatRequest, ChatStream, Client, ClientConfig, Endpoint, ProviderError,
    StreamEvent,
};

/// Retries and timeouts short enough for tests.
pub fn fast_config() -> ClientConfig {
    ClientConfig {
        max_retries: 3,
        backoff_base: Duration::from_millis(10),
        backoff_cap: Duration::from_millis(50),
        connect_timeout: Duration::from_secs(2),
        first_chunk_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(5),
    }
}

pub fn request() -> ChatRequest {
    ChatRequest {
        model: "test/model".into(),
        messages: vec![ChatMessage::User {
            content: "hello".into(),
        }],
        tools: vec![],
    }
}

pub fn endpoint(base_url: String) -> Endpoint {
    Endpoint::new(base_url)
}

/// [`request`] to `server` from a client with [`fast_config`].
pub async fn open(server: &ScriptedProvider) -> Result<ChatStream, ProviderError> {
    let client = Client::new(fast_config()).unwrap();
    client
        .stream(&endpoint(server.base_url()), &request())
        .await
}

/// Every event up to the end, and the error that ended the stream, if any.
pub async fn collect(mut stream: ChatStream) -> (Vec<StreamEvent>, Option<ProviderError>) {
    let mut events = Vec::new();
    while let Some(item) = stream.next_event().await {
        match item {
            Ok(event) => events.push(event),
            Err(error) => {
                assert!(
                    stream.next_event().await.is_none(),
                    "nothing after an error"
                );
                return (events, Some(error));
            }
        }
    }
    (events, None)
}
