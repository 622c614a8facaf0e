//! `agent-provider`: one streaming client for the OpenAI-compatible
//! chat-completions wire format.
//!
//! OpenRouter, Vercel AI Gateway and local servers (Ollama, llama.cpp,
//! vLLM) all speak `POST {base_url}/chat/completions` with an SSE answer,
//! so one client covers them; an [`Endpoint`] says where and with which key.
//!
//! ```no_run
//! # async fn run() -> Result<(), agent_provider::ProviderError> {
//! use agent_provider::*;
//! let client = Client::new(ClientConfig::default())?;
//! let endpoint = Endpoint::new("http://127.0.0.1:11434/v1");
//! let request = ChatRequest {
//!     model: "llama3.2".into(),
//!     messages: vec![ChatMessage::User { content: "hi".into() }],
//!     tools: vec![],
//! };
//! let mut stream = client.stream(&endpoint, &request).await?;
//! let mut turn = AssistantTurn::new();
//! while let Some(event) = stream.next_event().await {
//!     turn.push(&event?);
//! }
//! # Ok(()) }
//! ```
//!
//! With the `scripted` feature, [`scripted`] is a loopback stand-in server
//! for tests and benchmarks.

mod chunk;
mod client;
mod config;
mod endpoint;
mod error;
mod event;
mod id;
mod message;
mod models;
#[cfg(test)]
mod proptests;
mod reader;
mod request;
mod retry;
mod sse;
mod stream;
mod transport;
mod turn;

#[cfg(feature = "scripted")]
pub mod scripted;

pub use client::Client;
pub use config::ClientConfig;
pub use endpoint::{Endpoint, OPENROUTER_BASE_URL, VERCEL_AI_GATEWAY_BASE_URL};
pub use error::{ProviderError, MAX_MESSAGE_CHARS};
pub use event::{FinishReason, StreamEvent};
pub use id::Provider;
pub use message::{ChatMessage, ChatRequest, FunctionCall, ToolCall, ToolSpec};
pub use models::{is_missing_models_route, LocalProbe, ModelInfo, ModelPricing};
pub use stream::ChatStream;
pub use turn::AssistantTurn;
pub use zeroize::Zeroizing;
