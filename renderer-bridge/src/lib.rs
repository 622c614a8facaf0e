//! The renderer bridge: a custom URL scheme (`hostapi://host/...`) handled
//! in Rust that checks the requesting frame's `Origin`, adds the host
//! credentials and streams the host's answer back, so the page never holds
//! the host's port or password.
//!
//! This crate is the GUI-free core. The WebKit glue (in the shell) turns a
//! `WebKitURISchemeRequest` into a [`BridgeRequest`], creates a socketpair,
//! and runs [`Bridge::handle`] with a [`SocketSink`] on its end while WebKit
//! reads the other end as the response body.
//!
//! Refusals never reach the host:
//!
//! | check | status | code |
//! | --- | --- | --- |
//! | `Origin` missing, repeated or not the renderer origin | 403 | `bridge_origin_not_allowed` |
//! | method other than GET, POST, PUT, PATCH, DELETE | 405 | `bridge_method_not_allowed` |
//! | URI not `hostapi://host/<plain path>`, bad header value | 400 | `bridge_bad_request` |
//! | no host (the supervisor is restarting it) | 503 | `host_restarting` |
//! | host unreachable | 502 | `bridge_host_unavailable` |
//!
//! In-process, as the tests drive it ([`MemorySink`] collects the answer):
//!
//! ```no_run
//! use renderer_bridge::{Bridge, BridgeConfig, BridgeRequest, MemorySink};
//! # async fn demo(config: BridgeConfig) {
//! let bridge = Bridge::new(config);
//! let request = BridgeRequest {
//!     method: "GET".into(),
//!     uri: "hostapi://host/health".into(),
//!     headers: vec![("origin".into(), "http://127.0.0.1:4173".into())],
//!     body: None,
//! };
//! let sink = MemorySink::new();
//! let _ = bridge.handle(request, sink.clone()).await;
//! let answer = sink.captured(); // status, headers, body
//! # let _ = answer;
//! # }
//! ```

mod bridge;
mod config;
mod error;
mod headers;
#[cfg(test)]
mod proptests;
mod refusal;
mod request;
mod sink;
mod target;
mod upstream;

pub use bridge::Bridge;
pub use config::{BridgeConfig, HostTarget, DEFAULT_MAX_BUFFERED};
pub use error::BridgeError;
pub use refusal::Refusal;
pub use request::{check_origin, BridgeRequest};
pub use sink::{Captured, HeadCallback, MemorySink, ReaderGone, ResponseSink, SocketSink};
pub use target::{percent_decode, AUTHORITY, SCHEME};
