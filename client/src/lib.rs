//! `agent-client`: what a parent of `agent-host` needs (the shell, the CLI,
//! the benchmarks, every test), without the host itself: no HTTP server,
//! SQLite or keyring is linked by depending on this crate.
//!
//! - The spawn protocol's wire types ([`Ready`], [`HandshakeLine`],
//!   [`PROTOCOL`], the [`ErrorBody`]) — docs/rfc/handshake.md.
//! - [`launch`]: spawn `agent-host serve`, write the handshake, read the
//!   ready line, keep stdin open as the host's lifeline; [`start`] does the
//!   same without blocking on the ready line (the shell's supervisor).
//!   [`LaunchOptions`] also choose a process group of the host's own
//!   ([`ProcessGroup`]), a captured stderr ([`StderrTail`]) and time the
//!   phases ([`LaunchTimings`]).
//! - [`paths`]: the default user-data directory and the host's socket.
//! - [`Client`]: the host's HTTP API over loopback (with the perimeter's
//!   headers) or over the host's Unix socket (no credential at all).
//! - [`SseParser`]: the turn stream's frames from arbitrary byte pieces.
//! - [`check_peer_uid`]: the kernel's word on who is at the other end of
//!   a local socket.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use agent_client::{launch, Client, LaunchOptions};
//! let host = launch(&LaunchOptions::new("agent-host", "/tmp/agent-data"))?;
//! let client = Client::new(host.ready.port, &host.password, "http://127.0.0.1/desktop/")?;
//! let sessions = client.get("/sessions").await?;
//! println!("{sessions}");
//! host.stop()?;
//! # Ok(()) }
//! ```

mod http;
mod launcher;
mod peer;
mod protocol;
mod sse;

pub use http::{Client, ClientError, Stream};
pub use launcher::{
    generate_password, handshake_line, launch, start, LaunchError, LaunchOptions, LaunchTimings,
    LaunchedHost, ProcessGroup, ReadyError, StartedHost, StderrMode, StderrTail, READY_TIMEOUT,
    REDACTED, STDERR_TAIL_LINES,
};
pub use peer::check_peer_uid;
pub use protocol::{paths, ErrorBody, ErrorDetail, ExtraReferer, HandshakeLine, Ready, PROTOCOL};
pub use sse::{Frame, Parser as SseParser, DONE};
