//! `testkit`: what the integration tests of the host, the bridge and the
//! shell share, so each harness keeps only what is its own. A
//! dev-dependency only (`publish = false`); nothing here ships.
//!
//! - [`host_binary`]: the real `agent-host`, found one way (never built
//!   from inside a test run; a missing binary is a panic saying what to
//!   build).
//! - [`TestHost`]: `agent-host serve` started with the launcher's
//!   handshake, stdout and stderr captured, and [`raw_request`]: HTTP/1.1
//!   over real loopback TCP with exactly the headers a test gives (Host,
//!   Origin, Referer, Authorization), so the perimeter can be probed.
//! - [`World`]: a [`TestHost`] with the scripted provider
//!   ([`TestProvider`]) already configured; [`SseReader`] reads a turn's
//!   stream with `agent-client`'s SSE parser.
//! - Processes and time: [`alive`] (a zombie counts as gone), [`signal`],
//!   [`proc_stat`], [`group_members`], [`as_nobody`] (a peer of another
//!   user), [`eventually`], [`wait_with_limit`], [`run_ok`].
//!
//! ```no_run
//! use agent_provider::scripted::Reply;
//! use testkit::{FrameExt, World};
//!
//! let world = World::new(vec![Reply::text_answer("Hello.")]);
//! let session = world.session(None);
//! let frames = world.turn_to_end(&session, "hi");
//! assert_eq!(frames.last().unwrap().kind(), "[DONE]");
//! assert_eq!(world.host.get("/sessions").status, 200);
//! world.shutdown();
//! ```
//!
//! The binaries must be built before the tests run: a workspace test run
//! (`cargo nextest run --workspace`) builds them all; running one crate's
//! tests alone needs `cargo build -p agent-host` first.

mod binary;
mod files;
mod host;
mod http;
mod process;
mod provider;
mod sse;
mod wait;
mod world;

pub use agent_client::Frame as SseFrame;
pub use binary::{host_binary, target_binary};
pub use files::{contains, files_under};
pub use host::{
    capture, host_command, launch_options, spawn_host, TestHost, FILE_SECRETS, ORIGIN, REFERER,
};
pub use http::{basic, raw_request, try_raw_request, Headers, Response};
pub use process::{alive, as_nobody, group_members, pids, proc_stat, signal};
pub use provider::{TestProvider, PROVIDER_KEY};
pub use sse::{seqs, FrameExt, SseReader};
pub use wait::{eventually, run_ok, wait_with_limit};
pub use world::{test_timeouts, World, WorldBuilder};
