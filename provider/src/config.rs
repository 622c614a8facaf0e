//! Retry and timeout knobs.

use std::time::Duration;

/// How hard the client tries and how long it waits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// Extra attempts after the first, only before anything was yielded.
    pub max_retries: u32,
    /// The first backoff; doubles per attempt, with jitter.
    pub backoff_base: Duration,
    /// No backoff (including a provider's `Retry-After`) waits longer.
    pub backoff_cap: Duration,
    /// TCP + TLS set-up.
    pub connect_timeout: Duration,
    /// From sending the request until the first SSE data line; covers slow
    /// model start-up and providers that sit on a queued request.
    pub first_chunk_timeout: Duration,
    /// Between two SSE data lines once the stream has started. Comment
    /// keep-alives do not reset it, so a provider that only says
    /// `: PROCESSING` forever still times out.
    pub idle_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            max_retries: 3,
            backoff_base: Duration::from_millis(250),
            backoff_cap: Duration::from_secs(4),
            connect_timeout: Duration::from_secs(10),
            first_chunk_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
        }
    }
}
