//! Starting one host: `agent-host serve` as the leader of its own process
//! group, with stdin, stdout and stderr piped, and the handshake written.
//!
//! This does what `agent_client::launch` does, plus two things that
//! launcher does not do: the process group, so the whole tree can be
//! killed, and a captured stderr, so a failed start can say why. It reuses
//! the launcher's handshake line and ready-line type, so the protocol stays
//! defined in one place.
//!
//! Must be called on the supervisor thread: the host's `PR_SET_PDEATHSIG`
//! fires when the *thread* that spawned it exits.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use agent_client::{handshake_line, LaunchOptions, Ready};
use zeroize::Zeroizing;

use super::config::SupervisorConfig;
use super::events::Event;
use super::group::ProcessGroup;
use super::stderr_tail::StderrTail;

/// The ready line is one short JSON object; anything longer is not one.
const MAX_READY_LINE: u64 = 64 * 1024;
/// How often a stop re-checks whether the group is empty.
const POLL: Duration = Duration::from_millis(10);

#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("could not start {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("the host got pid {0}, which cannot lead a process group")]
    BadPid(u32),
    #[error("could not start a helper thread: {0}")]
    Thread(std::io::Error),
}

/// One running (or exited) host process and the threads around it:
/// a stdout reader (the ready line), a stderr tail and a waiter that reaps
/// the process. Dropping it kills whatever is left of the group.
pub struct SpawnedHost {
    pub generation: u64,
    pub pid: u32,
    pub group: ProcessGroup,
    pub stderr: StderrTail,
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
) -> Result<SpawnedHost, SpawnError> {
    let mut child = Command::new(&config.host_program)
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|source| SpawnError::Spawn {
            program: config.host_program.display().to_string(),
            source,
        })?;
    let pid = child.id();
    let Some(group) = ProcessGroup::led_by(pid) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(SpawnError::BadPid(pid));
    };
    let lifeline = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr: Box<dyn Read + Send> = match child.stderr.take() {
        Some(stderr) => Box::new(stderr),
        None => Box::new(std::io::empty()),
    };
    let readers = StderrTail::capture(stderr, password.clone(), generation)
        .and_then(|tail| read_ready_line(stdout, generation, events.clone()).map(|()| tail));
    let stderr = match readers {
        Ok(tail) => tail,
        Err(e) => {
            group.signal(libc::SIGKILL);
            let _ = child.wait();
            return Err(SpawnError::Thread(e));
        }
    };

    // From here on the waiter thread owns (and reaps) the child.
    let (exit_tx, exit) = mpsc::sync_channel(1);
    let waiter_events = events.clone();
    std::thread::Builder::new()
        .name(format!("host-waiter-{generation}"))
        .spawn(move || {
            let status = child.wait().ok();
            let _ = exit_tx.send(status);
            let _ = waiter_events.send(Event::Exited { generation, status });
        })
        .map_err(|e| {
            group.signal(libc::SIGKILL);
            SpawnError::Thread(e)
        })?;

    let mut host = SpawnedHost {
        generation,
        pid,
        group,
        stderr,
        lifeline,
        exit,
        exit_status: None,
    };
    host.send_handshake(config, password);
    Ok(host)
}

/// Reads the first stdout line on a thread and reports it; then keeps
/// draining so a misbehaving host never blocks on a full pipe.
fn read_ready_line(
    stdout: Option<ChildStdout>,
    generation: u64,
    events: Sender<Event>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(format!("host-stdout-{generation}"))
        .spawn(move || {
            let Some(stdout) = stdout else {
                let _ = events.send(Event::ReadyLine {
                    generation,
                    ready: None,
                });
                return;
            };
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let ready = match reader.by_ref().take(MAX_READY_LINE).read_line(&mut line) {
                Ok(n) if n > 0 => Ready::parse(&line),
                _ => None,
            };
            let _ = events.send(Event::ReadyLine { generation, ready });
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        })
        .map(drop)
}

impl SpawnedHost {
    fn send_handshake(&mut self, config: &SupervisorConfig, password: &Zeroizing<String>) {
        let options = LaunchOptions {
            program: config.host_program.clone(),
            user_data: config.user_data.clone(),
            allowed_origins: config.allowed_origins.clone(),
            referer_roots: config.referer_roots.clone(),
            extra_referers: Vec::new(),
            publish_connection: true,
            ready_timeout: config.ready_timeout,
        };
        let line = Zeroizing::new(handshake_line(&options, password));
        let Some(stdin) = self.lifeline.as_mut() else {
            return;
        };
        if let Err(e) = stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.flush())
        {
            // Most likely the host already exited; its exit event says so.
            tracing::warn!(generation = self.generation, error = %e, "could not send the handshake");
            self.lifeline = None;
        }
    }

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
