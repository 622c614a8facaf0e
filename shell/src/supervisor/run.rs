//! The supervisor thread's loop: start a host, wait for it to be ready,
//! watch it, and on failure restart it with backoff or give up.
//!
//! Every host is spawned from this one long-lived thread — never from an
//! async runtime's blocking pool — because the host's `PR_SET_PDEATHSIG`
//! fires when the spawning *thread* exits, and pool threads retire when idle.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use agent_client::{generate_password, Ready};
use tokio::sync::watch;

use super::backoff::{RestartPolicy, Verdict};
use super::config::SupervisorConfig;
use super::events::Event;
use super::health::{ProbeTarget, Prober};
use super::spawn::{spawn, SpawnedHost};
use super::state::{Credentials, HostState};

/// How long a failed host's stderr may take to reach EOF after it died (a
/// grandchild holding the pipe open must not delay the restart).
const STDERR_SETTLE: Duration = Duration::from_millis(200);

/// How one host's life ended.
enum Outcome {
    /// The owner asked for shutdown and the host was stopped.
    Shutdown,
    /// The host failed to start, exited, or went unhealthy (and was killed).
    Failed {
        reason: String,
        last_stderr: Vec<String>,
        /// How long it was ready and answering before it failed.
        healthy_for: Duration,
    },
}

pub(super) struct Runner {
    config: SupervisorConfig,
    referer: String,
    events_tx: Sender<Event>,
    events: Receiver<Event>,
    state: watch::Sender<HostState>,
    policy: RestartPolicy,
    generation: u64,
}

impl Runner {
    pub(super) fn new(
        config: SupervisorConfig,
        referer: String,
        events_tx: Sender<Event>,
        events: Receiver<Event>,
        state: watch::Sender<HostState>,
    ) -> Self {
        let policy = RestartPolicy::new(config.backoff.clone(), config.max_failures);
        Self {
            config,
            referer,
            events_tx,
            events,
            state,
            policy,
            generation: 0,
        }
    }

    /// Runs until shutdown.
    pub(super) fn run(mut self) {
        loop {
            let (reason, last_stderr, healthy_for) = match self.run_one() {
                Outcome::Shutdown => return,
                Outcome::Failed {
                    reason,
                    last_stderr,
                    healthy_for,
                } => (reason, last_stderr, healthy_for),
            };
            tracing::warn!(generation = self.generation, %reason, "host failed");
            match self.policy.on_failure(healthy_for) {
                Verdict::Retry { attempt, delay } => {
                    self.publish(HostState::Restarting {
                        attempt,
                        next_in: delay,
                    });
                    if self.shutdown_within(Some(delay)) {
                        return;
                    }
                }
                Verdict::GiveUp => {
                    tracing::error!(%reason, "host keeps failing; giving up");
                    self.publish(HostState::Failed {
                        reason,
                        last_stderr,
                    });
                    self.shutdown_within(None);
                    return;
                }
            }
        }
    }

    fn publish(&self, state: HostState) {
        tracing::info!(?state, "host state");
        self.state.send_replace(state);
    }

    /// True when shutdown was asked for within `timeout` (`None`: waits for
    /// it). Other events here are stale (from a host already gone).
    fn shutdown_within(&self, timeout: Option<Duration>) -> bool {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let event = match deadline {
                None => self.events.recv().ok(),
                Some(deadline) => {
                    match self
                        .events
                        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                    {
                        Ok(event) => Some(event),
                        Err(RecvTimeoutError::Timeout) => return false,
                        Err(RecvTimeoutError::Disconnected) => None,
                    }
                }
            };
            if matches!(event, None | Some(Event::Shutdown)) {
                return true;
            }
        }
    }

    /// One host generation, from spawn to its end.
    fn run_one(&mut self) -> Outcome {
        self.generation += 1;
        let generation = self.generation;
        self.publish(HostState::Starting);
        let password = generate_password();
        let mut host = match spawn(&self.config, &password, generation, &self.events_tx) {
            Ok(host) => host,
            Err(e) => {
                return Outcome::Failed {
                    reason: e.to_string(),
                    last_stderr: Vec::new(),
                    healthy_for: Duration::ZERO,
                }
            }
        };
        let ready = match self.wait_ready(&mut host) {
            Ok(ready) => ready,
            Err(outcome) => return outcome,
        };
        tracing::info!(
            generation,
            spawned = ?host.timings.spawned,
            handshake_sent = ?host.timings.handshake_sent,
            ready = ?host.timings.started_at.elapsed(),
            "host ready"
        );
        if ready.pid != host.pid {
            tracing::warn!(
                reported = ready.pid,
                actual = host.pid,
                "the ready line names another pid"
            );
        }
        let credentials = Credentials::new(password);
        self.publish(HostState::Ready {
            port: ready.port,
            connection: credentials.clone(),
            pid: host.pid,
            generation,
        });
        self.watch_ready(host, ready.port, credentials)
    }

    /// Waits for this generation's ready line; any other ending is an
    /// [`Outcome`].
    fn wait_ready(&self, host: &mut SpawnedHost) -> Result<Ready, Outcome> {
        let deadline = Instant::now() + self.config.ready_timeout;
        let grace = self.config.stop_grace;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let reason = match self.events.recv_timeout(left) {
                Ok(Event::Shutdown) | Err(RecvTimeoutError::Disconnected) => {
                    host.stop(grace);
                    return Err(Outcome::Shutdown);
                }
                Ok(Event::ReadyLine { generation, ready }) if generation == host.generation => {
                    if let Some(ready) = ready {
                        return Ok(ready);
                    }
                    host.kill(grace);
                    format!("no ready line; {}", host.describe_exit())
                }
                Ok(Event::Exited { generation, .. }) if generation == host.generation => {
                    host.kill(grace);
                    format!("{} before it was ready", host.describe_exit())
                }
                Err(RecvTimeoutError::Timeout) => {
                    host.kill(grace);
                    format!("no ready line within {:?}", self.config.ready_timeout)
                }
                Ok(_) => continue,
            };
            return Err(failed(host, reason, Duration::ZERO));
        }
    }

    /// Health-checks a ready host until it fails or shutdown is asked for.
    fn watch_ready(&self, mut host: SpawnedHost, port: u16, credentials: Credentials) -> Outcome {
        let grace = self.config.stop_grace;
        let ready_at = Instant::now();
        let target = ProbeTarget {
            generation: host.generation,
            port,
            credentials,
            referer: self.referer.clone(),
            interval: self.config.health_interval,
            timeout: self.config.health_timeout,
        };
        let prober = match Prober::spawn(target, self.events_tx.clone()) {
            Ok(prober) => prober,
            Err(e) => {
                host.kill(grace);
                return failed(
                    &mut host,
                    format!("could not start health checks: {e}"),
                    Duration::ZERO,
                );
            }
        };
        let mut last_healthy = ready_at;
        let mut misses = 0u32;
        loop {
            let reason = match self.events.recv() {
                Ok(Event::Shutdown) | Err(_) => {
                    drop(prober);
                    host.stop(grace);
                    return Outcome::Shutdown;
                }
                Ok(Event::Exited { generation, .. }) if generation == host.generation => {
                    // Its children may still run: clear the group.
                    host.kill(grace);
                    host.describe_exit()
                }
                Ok(Event::Health {
                    generation,
                    healthy,
                }) if generation == host.generation => {
                    if healthy {
                        misses = 0;
                        last_healthy = Instant::now();
                        continue;
                    }
                    misses += 1;
                    if misses < self.config.unhealthy_after {
                        continue;
                    }
                    host.kill(grace);
                    format!("the host failed {misses} health checks in a row and was killed")
                }
                Ok(_) => continue,
            };
            drop(prober);
            return failed(&mut host, reason, last_healthy - ready_at);
        }
    }
}

fn failed(host: &mut SpawnedHost, reason: String, healthy_for: Duration) -> Outcome {
    Outcome::Failed {
        reason,
        last_stderr: host.stderr.lines_after_eof(STDERR_SETTLE),
        healthy_for,
    }
}
