//! What the supervisor is told: which host to run, for which renderer, and
//! how patient to be. Every timing is a field so tests can run the same
//! state machine in milliseconds instead of seconds.

use std::path::PathBuf;
use std::time::Duration;

use agent_client::{LaunchOptions, StderrMode};

/// How the delay between restarts grows.
///
/// Exponential so a host that crashes at once does not spin the CPU, capped
/// so a transient problem is retried within seconds, and reset once a host
/// has proven itself so a crash a day later starts from the short delay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackoffConfig {
    /// Delay before the first restart.
    pub initial: Duration,
    /// Upper bound of the delay.
    pub max: Duration,
    /// A host that stayed healthy this long resets the delay and the
    /// failure count.
    pub reset_after: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(250),
            max: Duration::from_secs(10),
            reset_after: Duration::from_secs(30),
        }
    }
}

/// Everything the supervisor needs; see [`SupervisorConfig::new`] for the
/// defaults.
#[derive(Clone, Debug)]
pub struct SupervisorConfig {
    /// The `agent-host` executable (run as `<host_program> serve`).
    pub host_program: PathBuf,
    /// Absolute user-data directory handed to the host.
    pub user_data: PathBuf,
    /// The renderer's origin(s), allowed by the host's CORS/Origin check.
    /// The first one (with the first root) also makes the health check's
    /// `Referer`.
    pub allowed_origins: Vec<String>,
    /// Path roots under which the renderer's `Referer` must lie.
    pub referer_roots: Vec<String>,
    /// Time between health checks of a ready host.
    pub health_interval: Duration,
    /// Time one health check may take (connect + answer).
    pub health_timeout: Duration,
    /// Consecutive failed health checks after which the host is killed.
    pub unhealthy_after: u32,
    /// Time a fresh host gets to print its ready line.
    pub ready_timeout: Duration,
    /// Consecutive failed starts/crashes after which the supervisor gives up
    /// and reports [`HostState::Failed`](super::HostState::Failed).
    pub max_failures: u32,
    /// Restart delays.
    pub backoff: BackoffConfig,
    /// Each step of a stop (stdin closed → SIGTERM → SIGKILL) waits this
    /// long; the host promises to drain within 1 s.
    pub stop_grace: Duration,
}

impl SupervisorConfig {
    /// A configuration with the production defaults: the `agent-host` next
    /// to the running executable, health every 2 s with a 2 s timeout,
    /// killed after 2 misses, 15 s to get ready, 5 failures before giving
    /// up, 250 ms → 10 s backoff reset after 30 s healthy, 1 s stop steps.
    pub fn new(
        user_data: impl Into<PathBuf>,
        allowed_origins: Vec<String>,
        referer_roots: Vec<String>,
    ) -> Self {
        Self {
            host_program: default_host_program(),
            user_data: user_data.into(),
            allowed_origins,
            referer_roots,
            health_interval: Duration::from_secs(2),
            health_timeout: Duration::from_secs(2),
            unhealthy_after: 2,
            ready_timeout: agent_client::READY_TIMEOUT,
            max_failures: 5,
            backoff: BackoffConfig::default(),
            stop_grace: Duration::from_secs(1),
        }
    }

    /// How generation `generation` is launched: the handshake from this
    /// configuration (with `host.sock` for CLI attach), the host leading its
    /// own process group, its stderr captured.
    pub fn launch_options(&self, generation: u64) -> LaunchOptions {
        LaunchOptions::new(&self.host_program, &self.user_data)
            .allowed_origins(self.allowed_origins.clone())
            .referer_roots(self.referer_roots.clone())
            .publish_connection(true)
            .ready_timeout(self.ready_timeout)
            .own_process_group(true)
            .stderr(StderrMode::Tail)
            .label(format!("host-{generation}"))
    }

    /// The `Referer` the supervisor's own requests carry: the first allowed
    /// origin joined with the first root, ending in `/` so it lies *under*
    /// the root rather than being a sibling path.
    pub fn health_referer(&self) -> Option<String> {
        let origin = self.allowed_origins.first()?;
        let root = self.referer_roots.first()?;
        Some(format!("{origin}{}/", root.trim_end_matches('/')))
    }
}

/// `agent-host` in the running executable's directory: the shell and the
/// host ship side by side. Falls back to a bare name (a `PATH` lookup) when
/// the executable's location is unknown; a missing program then shows up
/// as a failed start with the spawn error as its reason.
pub fn default_host_program() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("agent-host")))
        .unwrap_or_else(|| PathBuf::from("agent-host"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referer_lies_under_the_root() {
        let mut config = SupervisorConfig::new(
            "/tmp/x",
            vec!["agent://app".into()],
            vec!["/desktop".into()],
        );
        assert_eq!(
            config.health_referer().as_deref(),
            Some("agent://app/desktop/")
        );
        config.referer_roots = vec!["/".into()];
        assert_eq!(config.health_referer().as_deref(), Some("agent://app/"));
        config.allowed_origins.clear();
        assert_eq!(config.health_referer(), None);
    }
}
