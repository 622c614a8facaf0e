//! AgentHost: the long-lived local process that owns secrets, documents,
//! workspaces and (with the agent runtime) sessions and the agent loop.
//!
//! [`AgentHost`] wires the collaborators and owns start-up and shutdown
//! order; `routes` are thin wrappers over the collaborators; `security`
//! supplies the perimeter and `storage` the user-data layout. See
//! ARCHITECTURE.md for the map and docs/rfc/ for the contracts.

pub mod agent;
pub mod agent_host;
pub mod api;
mod blocking;
mod clock;
pub mod connection;
mod database;
mod documents;
mod extract;
mod files;
pub mod handshake;
mod http;
mod ids;
pub mod lifeline;
pub mod local_socket;
#[cfg(test)]
mod proptests;
mod recent;
pub mod routes;
mod secrets;
mod server;
mod state;
mod workspaces;

pub use agent_host::{AgentHost, StartError};
pub use state::VERSION;
