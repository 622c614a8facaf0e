//! AgentHost: the long-lived local process that owns secrets, documents,
//! workspaces, sessions and the agent loop.
//!
//! [`AgentHost`] wires the collaborators and owns start-up and shutdown
//! order. The collaborators (`documents`, `workspaces`, `recent`,
//! `secrets`, `agent`) speak the domain: plain values and an error enum
//! each, no HTTP. `routes` are thin handlers over them, with the one table
//! from their errors to HTTP (`routes/errors.rs`) and the SSE framing of
//! their streams (`routes/sse.rs`); `http` puts the perimeter from
//! `agent-security` around the routes, `server` serves them. See
//! ARCHITECTURE.md for the map and docs/rfc/ for the contracts.
//!
//! This library exists for the `agent-host` binary and the crate's own
//! tests; nothing else depends on it (parents talk to a host through
//! `agent-client`). Its public surface is what those two need:
//!
//! - [`AgentHost`] and [`StartError`], with [`handshake`] and [`lifeline`]:
//!   `agent-host serve`.
//! - [`openapi_json`]: `agent-host openapi` and the committed spec.
//! - [`connection`]: the origin and root the CLI's private host admits.
//! - [`InProcessHost`]: the routes over a user-data directory without a
//!   process, for in-process tests.

mod agent;
mod agent_host;
mod api;
mod blocking;
mod changes;
mod clock;
pub mod connection;
mod database;
mod document_tools;
mod documents;
mod events;
mod extract;
mod files;
pub mod handshake;
mod http;
mod ids;
pub mod lifeline;
mod local_socket;
mod models;
#[cfg(test)]
mod proptests;
mod recent;
mod routes;
mod secrets;
mod server;
mod state;
mod workspaces;

pub use agent_host::{AgentHost, InProcessHost, StartError};
pub use routes::openapi_json;
pub use state::VERSION;
