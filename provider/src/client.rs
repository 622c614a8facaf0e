//! The client: sends a request, retries what may be retried, and hands
//! back a [`ChatStream`].
//!
//! Retries happen only while nothing has reached the caller: `stream()`
//! reads up to the first event before it returns, so a 429, a 5xx, a
//! refused connection or a body cut before its first event are retried
//! here, and once `stream()` has returned, no event can be duplicated.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use tokio::time::{sleep, timeout_at, Instant};

use crate::chunk::describe_error;
use crate::config::ClientConfig;
use crate::endpoint::Endpoint;
use crate::error::{scrub, ProviderError};
use crate::message::ChatRequest;
use crate::reader::EventReader;
use crate::request::Prepared;
use crate::retry;
use crate::stream::ChatStream;
use crate::transport::describe;

/// Largest error body read; the message is cut to 500 characters anyway.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A streaming chat-completions client. Cheap to clone (the connection
/// pool is shared); one per host is enough.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
}

/// A failed attempt and what the provider said about retrying.
struct Failure {
    error: ProviderError,
    retry_after: Option<Duration>,
}

impl From<ProviderError> for Failure {
    fn from(error: ProviderError) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, ProviderError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("agent-host/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| {
                ProviderError::Connect(format!("could not set up HTTP: {}", describe(&err)))
            })?;
        Ok(Self { http, config })
    }

    /// The same connection pool under another configuration: a host keeps
    /// one client and reuses its pool (and TLS set-up) for every turn. Only
    /// the connect timeout is fixed when the pool is built; a different one
    /// gets a new pool.
    pub fn with_config(&self, config: ClientConfig) -> Result<Self, ProviderError> {
        if config.connect_timeout != self.config.connect_timeout {
            return Self::new(config);
        }
        Ok(Self {
            http: self.http.clone(),
            config,
        })
    }

    /// The underlying connection pool (the model list shares it).
    pub(crate) fn plain_http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Sends `request` to `endpoint` and waits for the first event.
    ///
    /// An `Err` here means nothing was produced (and retries are used up
    /// or pointless); errors after that arrive through the stream.
    pub async fn stream(
        &self,
        endpoint: &Endpoint,
        request: &ChatRequest,
    ) -> Result<ChatStream, ProviderError> {
        let prepared = Prepared::new(endpoint, request)?;
        let mut attempt = 0;
        loop {
            let failure = match self.attempt(&prepared).await {
                Ok(mut reader) => match reader.next().await {
                    Some(Err(error)) => Failure::from(error),
                    first => return Ok(ChatStream::new(first, reader)),
                },
                Err(failure) => failure,
            };
            if attempt >= self.config.max_retries || !failure.error.is_retryable() {
                return Err(failure.error);
            }
            let wait = retry::delay(&self.config, attempt, failure.retry_after);
            attempt += 1;
            tracing::warn!(
                code = failure.error.code(),
                attempt,
                max_retries = self.config.max_retries,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "provider request failed before its first event; retrying"
            );
            sleep(wait).await;
        }
    }

    /// One attempt: send, check the status, and set up the body reader.
    async fn attempt(&self, prepared: &Prepared) -> Result<EventReader, Failure> {
        let deadline = Instant::now() + self.config.first_chunk_timeout;
        let send = self
            .http
            .post(prepared.url.clone())
            .headers(prepared.headers.clone())
            .body(prepared.body.clone())
            .send();
        let response = match timeout_at(deadline, send).await {
            Err(_) => {
                return Err(
                    ProviderError::FirstChunkTimeout(self.config.first_chunk_timeout).into(),
                )
            }
            Ok(Err(err)) => return Err(ProviderError::Connect(describe(&err)).into()),
            Ok(Ok(response)) => response,
        };

        let status = response.status();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(retry::parse_retry_after);
            let message = error_message(response, deadline, prepared.key()).await;
            let error = if status == StatusCode::TOO_MANY_REQUESTS {
                ProviderError::RateLimited { message }
            } else {
                ProviderError::Status {
                    status: status.as_u16(),
                    message,
                }
            };
            return Err(Failure { error, retry_after });
        }
        if is_json(&response) {
            // The server ignored `"stream": true` or answered an error with
            // a 200; either way there is no event stream to read.
            return Err(json_instead_of_stream(response, deadline, prepared.key())
                .await
                .into());
        }
        Ok(EventReader::new(
            response,
            deadline,
            self.config.first_chunk_timeout,
            self.config.idle_timeout,
            prepared.key.clone(),
        ))
    }
}

fn is_json(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().starts_with("application/json"))
}

async fn json_instead_of_stream(
    response: reqwest::Response,
    deadline: Instant,
    key: Option<&str>,
) -> ProviderError {
    let body = read_bounded(response, deadline).await;
    let error = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|value| {
            value
                .get("error")
                .filter(|e| !e.is_null())
                .map(describe_error)
        });
    match error {
        Some((message, code)) => ProviderError::Api {
            message: scrub(message.as_deref().unwrap_or("unknown error"), key),
            code: code.map(|code| scrub(&code, key)),
        },
        None => {
            ProviderError::Protocol("the provider answered JSON instead of an event stream".into())
        }
    }
}

/// The message of a non-2xx answer: `error.message` (or `error` as a
/// string, or `message`), else the body text, else the status reason.
async fn error_message(
    response: reqwest::Response,
    deadline: Instant,
    key: Option<&str>,
) -> String {
    let status = response.status();
    let body = read_bounded(response, deadline).await;
    let from_json = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|value| match value.get("error").filter(|e| !e.is_null()) {
            Some(error) => describe_error(error).0,
            None => value
                .get("message")
                .and_then(|m| m.as_str())
                .map(str::to_owned),
        });
    let text = from_json.unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
    let text = if text.trim().is_empty() {
        status.canonical_reason().unwrap_or("no message").to_owned()
    } else {
        text
    };
    scrub(&text, key)
}

/// Reads at most [`MAX_ERROR_BODY`] bytes, stopping at the deadline: an
/// error answer must not be able to hang the call either.
async fn read_bounded(mut response: reqwest::Response, deadline: Instant) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < MAX_ERROR_BODY {
        match timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(bytes))) => body.extend_from_slice(&bytes),
            _ => break,
        }
    }
    body.truncate(MAX_ERROR_BODY);
    body
}
