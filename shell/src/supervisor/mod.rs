//! The host supervisor: the one owner of the app's `agent-host` process.
//!
//! It spawns the host (fresh password each time, own process group, stdin
//! held as its lifeline), publishes a [`HostState`] through a
//! `tokio::sync::watch`, health-checks it, restarts it with backoff when it
//! exits or hangs, gives up after repeated failures with the host's last
//! stderr lines, and stops the whole process group on [`Supervisor::shutdown`]
//! or drop.
//!
//! All of it runs on one dedicated thread (see [`run`] for why).

mod backoff;
mod config;
mod events;
pub mod health;
mod run;
mod spawn;
mod state;

use std::path::Path;
use std::sync::mpsc::{self, Sender};
use std::thread::JoinHandle;

use tokio::sync::watch;

pub use agent_client::STDERR_TAIL_LINES as STDERR_LINES;
pub use config::{default_host_program, BackoffConfig, SupervisorConfig};
pub use state::{Credentials, HostState};

use events::Event;
use run::Runner;

/// Why a supervisor could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    #[error("the user-data directory must be an absolute path")]
    RelativeUserData,
    #[error("at least one allowed origin and one referer root are required")]
    NoRenderer,
    #[error("could not start the supervisor thread: {0}")]
    Thread(std::io::Error),
}

/// Handle to the supervisor thread. Dropping it shuts the host down.
pub struct Supervisor {
    events: Sender<Event>,
    state: watch::Receiver<HostState>,
    thread: Option<JoinHandle<()>>,
}

impl Supervisor {
    /// Starts the supervisor thread, which starts the first host at once.
    /// The state begins as [`HostState::Starting`].
    pub fn start(config: SupervisorConfig) -> Result<Self, SupervisorError> {
        if !Path::new(&config.user_data).is_absolute() {
            return Err(SupervisorError::RelativeUserData);
        }
        let referer = config.health_referer().ok_or(SupervisorError::NoRenderer)?;
        let (state_tx, state) = watch::channel(HostState::Starting);
        let (events, events_rx) = mpsc::channel();
        let runner = Runner::new(config, referer, events.clone(), events_rx, state_tx);
        let thread = std::thread::Builder::new()
            .name("host-supervisor".into())
            .spawn(move || runner.run())
            .map_err(SupervisorError::Thread)?;
        Ok(Self {
            events,
            state,
            thread: Some(thread),
        })
    }

    /// A receiver of every state change. When the supervisor has shut down,
    /// `changed()` fails: the last state no longer describes a live host.
    pub fn subscribe(&self) -> watch::Receiver<HostState> {
        self.state.clone()
    }

    /// The current state.
    pub fn state(&self) -> HostState {
        self.state.borrow().clone()
    }

    /// Stops the host (stdin closed, then SIGTERM, then SIGKILL to its whole
    /// process group, each after `stop_grace`) and joins the supervisor
    /// thread. Idempotent; drop calls it.
    pub fn shutdown(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        let _ = self.events.send(Event::Shutdown);
        if thread.join().is_err() {
            tracing::error!("the supervisor thread panicked");
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.shutdown();
    }
}
