//! The tools' integration tests against real files, the real bubblewrap sandbox and loopback servers: one test binary for the crate (every file directly under
//! tests/ would link a binary of its own), one module per area.

mod common;

mod containment;
mod fetch;
mod files;
mod sandbox;
mod sandbox_env;
