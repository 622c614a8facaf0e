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
