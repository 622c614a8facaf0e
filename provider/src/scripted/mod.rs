//! A scripted OpenAI-compatible server on loopback: the only stand-in for
//! remote providers in tests and benchmarks.
//!
//! Each request to `POST …/chat/completions` consumes the next [`Reply`]
//! of the script; a streaming reply is written as real
//! `chat.completion.chunk` SSE frames, with delays, stalls, error objects
//! and malformed data where the script says so.

mod frames;
mod script;
mod server;

pub use script::{Reply, Scripted};
pub use server::ScriptedProvider;

/// Nanoseconds since the first call in this process: the clock `Clock`
/// chunks carry, for latency measurements in the same process.
pub fn clock_ns() -> u64 {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let epoch = *EPOCH.get_or_init(std::time::Instant::now);
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}
