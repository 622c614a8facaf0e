//! Test support: the shared harness (the real `agent-host` binary, raw
//! loopback HTTP, the scripted-provider world, SSE, process probes) is
//! `testkit`; the host's tests import it from here.

pub use testkit::*;
