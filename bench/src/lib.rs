//! `agent-bench`: measures the AgentHost (`agent-host serve`) against a bare
//! axum hello-world (`bare-hello`) side by side in one run.
//!
//! The `host-bench` binary drives the modules here:
//!
//! - [`server`] spawns either binary, speaks the stdin/stdout handshake and
//!   times spawn-to-ready and EOF-to-exit;
//! - [`client`] is a minimal hyper 1 HTTP/1.1 client with pre-built headers;
//! - [`load`] is the closed-loop keep-alive load generator;
//! - [`procfs`] reads memory figures from `/proc/<pid>/status`;
//! - [`stats`] summarises samples; [`report`] prints and serialises results;
//! - [`api_host`] is a launched host with a JSON client, for the agent and
//!   shell benchmarks.

pub mod api_host;
pub mod cli;
pub mod client;
pub mod error;
pub mod load;
pub mod procfs;
pub mod report;
pub mod server;
pub mod stats;

pub use error::{Error, Result};
