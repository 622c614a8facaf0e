//! The host's integration tests, against the real `agent-host` binary over
//! real loopback and real SQLite files: one test binary for the crate
//! (every file directly under tests/ would link a binary of its own, ~150
//! MB each), one module per area.

mod support;

mod agent;
mod ai_sdk;
mod api;
mod cli;
mod connections;
mod crash;
mod documents;
mod events;
mod handshake;
mod inproc;
mod keyring;
mod perimeter;
mod secrets;
mod workspaces;
