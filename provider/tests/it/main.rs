//! The provider client's integration tests against the scripted loopback provider: one test binary for the crate (every file directly under
//! tests/ would link a binary of its own), one module per area.

mod common;

mod binary;
mod failures;
mod models;
mod streaming;
