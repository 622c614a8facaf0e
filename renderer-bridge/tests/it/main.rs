//! The bridge's integration tests against a real host over loopback: one test binary for the crate (every file directly under
//! tests/ would link a binary of its own), one module per area.

mod support;

mod abort;
mod forwarding;
mod host;
mod refusals;
