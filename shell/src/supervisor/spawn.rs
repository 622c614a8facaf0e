//! Starting one host through [`agent_client::start`]: as the leader of its
//! own process group (so the whole tree can be killed), with its stderr
//! captured (so a failed start can say why) and the handshake written. What
//! the supervisor adds is a waiter thread that reaps the host and reports its
//! exit, and the staged stop.
//!
//! Must be called on the supervisor thread: the host's `PR_SET_PDEATHSIG`
//! fires when the *thread* that spawned it exits.

use std::process::{ChildStdin, ExitStatus};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use agent_client::{start, LaunchError, LaunchTimings, ProcessGroup, StartedHost, StderrTail};
use zeroize::Zeroizing;

use super::config::SupervisorConfig;
use super::events::Event;

/// How often a stop re-checks whether the group is empty.
const POLL: Duration = Duration::from_millis(10);

/// One running (or exited) host process and the threads around it:
/// a stdout reader (the ready line), a stderr tail and a waiter that reaps
/// the process. Dropping it kills whatever is left of the group.
pub struct SpawnedHost {
    pub generation: u64,
    pub pid: u32,
    pub group: ProcessGroup,
    pub stderr: StderrTail,
    pub timings: LaunchTimings,
    /// Held open for the host's life: EOF tells it to drain and exit.
    lifeline: Option<ChildStdin>,
    exit: Receiver<Option<ExitStatus>>,
    /// `Some` once the waiter reported the exit (`Some(None)`: wait failed).
    exit_status: Option<Option<ExitStatus>>,
}

/// Spawns `config.host_program serve` and sends it the handshake with
/// `password`. Events for this `generation` go to `events`.
///
/// A host that dies before reading the handshake is not an error here: the
/// write fails, and the missing ready line and the exit event report it,
/// with its stderr captured.
pub fn spawn(
    config: &SupervisorConfig,
    password: &Zeroizing<String>,
    generation: u64,
    events: &Sender<Event>,
) -> Result<SpawnedHost, LaunchError> {
    let ready_events = events.clone();
    let started = start(&config.launch_options(generation), password, move |ready| {
        let ready = ready.ok();
        let _ = ready_events.send(Event::ReadyLine { generation, ready });
    })?;
    let StartedHost {
        mut child,
        pid,
        group,
        stderr,
        lifeline,
        handshake_error,
        timings,
    } = started;
    if let Some(e) = handshake_error {
        // Most likely the host already exited; its exit event says so.
        tracing::warn!(generation, error = %e, "could not send the handshake");
    }
    let (Some(group), Some(stderr)) = (group, stderr) else {
        unreachable!("launch_options asks for a process group and a stderr tail");
    };

    // From here on the waiter thread owns (and reaps) the child.
    let (exit_tx, exit) = mpsc::sync_channel(1);
    let waiter_events = events.clone();
    std::thread::Builder::new()
        .name(format!("host-{generation}-waiter"))
        .spawn(move || {
            let status = child.wait().ok();
            let _ = exit_tx.send(status);
            let _ = waiter_events.send(Event::Exited { generation, status });
        })
        .map_err(|e| {
            group.signal(libc::SIGKILL);
            LaunchError::Thread(e)
        })?;

    Ok(SpawnedHost {
        generation,
        pid,
        group,
        stderr,
        timings,
        lifeline,
        exit,
        exit_status: None,
    })
}

impl SpawnedHost {
    /// The exit, if the waiter reported one; waits up to `timeout` for it.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<Option<ExitStatus>> {
        if self.exit_status.is_none() {
            self.exit_status = self.exit.recv_timeout(timeout).ok();
        }
        self.exit_status
    }

    /// Human-readable account of how the process ended, for logs and
    /// [`HostState::Failed`](super::HostState::Failed).
    pub fn describe_exit(&mut self) -> String {
        match self.wait_exit(Duration::ZERO) {
            Some(Some(status)) => format!("the host exited ({status})"),
            Some(None) => "the host could not be waited for".to_owned(),
            None => "the host is still running".to_owned(),
        }
    }

    /// The graceful stop: close stdin (the host drains and exits), then
    /// SIGTERM the group, then SIGKILL it, each step waiting `grace`.
    pub fn stop(&mut self, grace: Duration) {
        self.lifeline = None;
        if self.wait_gone(grace) {
            return;
        }
        tracing::warn!(
            generation = self.generation,
            "host still running after stdin closed; SIGTERM"
        );
        self.group.signal(libc::SIGTERM);
        // A stopped (SIGSTOP) host only acts on SIGTERM once continued.
        self.group.signal(libc::SIGCONT);
        if self.wait_gone(grace) {
            return;
        }
        tracing::warn!(
            generation = self.generation,
            "host still running after SIGTERM; SIGKILL"
        );
        self.kill(grace);
    }

    /// The hard stop for a host that crashed or hung: SIGKILL the group and
    /// wait up to `grace` for the leader to be reaped and the group to empty.
    pub fn kill(&mut self, grace: Duration) {
        self.lifeline = None;
        self.group.signal(libc::SIGKILL);
        if !self.wait_gone(grace) {
            tracing::error!(
                generation = self.generation,
                "host process group survived SIGKILL"
            );
        }
    }

    /// Waits until the leader was reaped and no live process is left in
    /// its group; false on timeout.
    fn wait_gone(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        if self.wait_exit(timeout).is_none() {
            return false;
        }
        loop {
            if self.group.is_empty() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for SpawnedHost {
    /// Never leave a host behind, even when the supervisor thread unwinds.
    fn drop(&mut self) {
        self.lifeline = None;
        if self.wait_exit(Duration::ZERO).is_none() || !self.group.is_empty() {
            self.group.signal(libc::SIGKILL);
        }
    }
}
