//! The parent side of the handshake: spawn `agent-host serve`, hand it a
//! fresh password over stdin, read the ready line, keep stdin open as its
//! lifeline. The shell's supervisor, the CLI, tests and the benchmarks all
//! start hosts through this code.
//!
//! Two ways in:
//!
//! - [`launch`]: spawn, handshake, wait for the ready line; blocking. What a
//!   CLI, a test or a benchmark wants.
//! - [`start`]: spawn and handshake, and hand the ready line to a callback
//!   when it comes. What a supervisor wants that waits for the ready line,
//!   the host's exit and its own shutdown on one channel.
//!
//! [`LaunchOptions`] say what the host is told (the handshake) and how it is
//! run: as the leader of its own process group ([`ProcessGroup`], so the
//! whole tree can be signalled), with its stderr inherited or captured
//! ([`StderrTail`]: the last lines, password redacted), and the phases are
//! timed ([`LaunchTimings`]).

mod group;
mod stderr_tail;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::TryRngCore;
use zeroize::Zeroizing;

use crate::protocol::{ExtraReferer, HandshakeLine, Ready};

pub use group::ProcessGroup;
pub use stderr_tail::{StderrTail, MAX_LINES as STDERR_TAIL_LINES, REDACTED};

/// How long a parent waits for the ready line.
pub const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// The ready line is one short JSON object; anything longer is not one.
const MAX_READY_LINE: u64 = 64 * 1024;

/// A fresh per-spawn password: 32 bytes from the OS generator, base64url
/// (43 characters).
pub fn generate_password() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng
        .try_fill_bytes(bytes.as_mut())
        .expect("the OS random generator failed");
    Zeroizing::new(URL_SAFE_NO_PAD.encode(bytes.as_ref()))
}

/// Where the host's stderr goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StderrMode {
    /// The parent's own stderr.
    #[default]
    Inherit,
    /// Piped into a [`StderrTail`]: every line logged (`tracing`, target
    /// `agent_host`) and the last [`STDERR_TAIL_LINES`] kept, the password
    /// redacted.
    Tail,
}

/// What the parent tells the host, and how the host is run. Fields or the
/// builder methods, whichever reads better.
#[derive(Clone, Debug)]
pub struct LaunchOptions {
    pub program: PathBuf,
    pub user_data: PathBuf,
    pub allowed_origins: Vec<String>,
    pub referer_roots: Vec<String>,
    pub extra_referers: Vec<(String, String)>,
    /// Ask the host to listen on `host.sock` for CLI attach.
    pub publish_connection: bool,
    pub ready_timeout: Duration,
    /// Run the host as the leader of its own process group, so one signal
    /// reaches it and everything it started.
    pub own_process_group: bool,
    pub stderr: StderrMode,
    /// Names the helper threads (`{label}-stdout`, `{label}-stderr`) and
    /// tags the captured stderr lines in the log.
    pub label: String,
}

impl LaunchOptions {
    /// The defaults: the renderer's origin and root (`http://127.0.0.1`,
    /// `/desktop`), no socket, [`READY_TIMEOUT`], the parent's process group
    /// and stderr.
    pub fn new(program: impl Into<PathBuf>, user_data: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            user_data: user_data.into(),
            allowed_origins: vec!["http://127.0.0.1".to_owned()],
            referer_roots: vec!["/desktop".to_owned()],
            extra_referers: Vec::new(),
            publish_connection: false,
            ready_timeout: READY_TIMEOUT,
            own_process_group: false,
            stderr: StderrMode::Inherit,
            label: "host".to_owned(),
        }
    }

    pub fn allowed_origins(mut self, origins: Vec<String>) -> Self {
        self.allowed_origins = origins;
        self
    }

    pub fn referer_roots(mut self, roots: Vec<String>) -> Self {
        self.referer_roots = roots;
        self
    }

    pub fn extra_referer(mut self, origin: impl Into<String>, root: impl Into<String>) -> Self {
        self.extra_referers.push((origin.into(), root.into()));
        self
    }

    pub fn publish_connection(mut self, publish: bool) -> Self {
        self.publish_connection = publish;
        self
    }

    pub fn ready_timeout(mut self, timeout: Duration) -> Self {
        self.ready_timeout = timeout;
        self
    }

    pub fn own_process_group(mut self, own: bool) -> Self {
        self.own_process_group = own;
        self
    }

    pub fn stderr(mut self, mode: StderrMode) -> Self {
        self.stderr = mode;
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }
}

/// How long each phase of a start took, counted from just before the spawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaunchTimings {
    /// When the spawn began.
    pub started_at: Instant,
    /// Until the process existed (fork and exec).
    pub spawned: Duration,
    /// Until the handshake was written; `None` when the write failed.
    pub handshake_sent: Option<Duration>,
    /// Until the ready line was read; `None` until then ([`start`] leaves
    /// it to the caller, [`launch`] fills it in).
    pub ready: Option<Duration>,
}

/// Why the first stdout line was not a ready line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReadyError {
    #[error("the host exited before it was ready")]
    ExitedEarly,
    #[error("the host printed something other than a ready line")]
    BadReadyLine,
}

/// A host that was spawned and sent its handshake; its ready line goes to
/// the callback given to [`start`]. The caller owns the process from here:
/// dropping this closes the lifeline but neither kills nor reaps the host.
pub struct StartedHost {
    pub child: Child,
    pub pid: u32,
    /// `Some` when [`LaunchOptions::own_process_group`] was asked for.
    pub group: Option<ProcessGroup>,
    /// `Some` with [`StderrMode::Tail`].
    pub stderr: Option<StderrTail>,
    /// The host's stdin, held open for its life: EOF tells it to drain and
    /// exit. `None` when the handshake could not be written.
    pub lifeline: Option<ChildStdin>,
    /// Why the handshake could not be written (most likely the host already
    /// exited; its exit and missing ready line say the rest).
    pub handshake_error: Option<std::io::Error>,
    pub timings: LaunchTimings,
}

impl StartedHost {
    /// SIGKILLs the host (its whole group when it leads one) and reaps it.
    pub fn kill(mut self) {
        kill_and_reap(&mut self.child, self.group);
    }
}

fn kill_and_reap(child: &mut Child, group: Option<ProcessGroup>) {
    match group {
        Some(group) => group.signal(libc::SIGKILL),
        None => drop(child.kill()),
    }
    let _ = child.wait();
}

/// A running host. Dropping it closes stdin, which stops the host.
pub struct LaunchedHost {
    pub child: Child,
    pub ready: Ready,
    pub password: Zeroizing<String>,
    /// `Some` when it was started as the leader of its own process group.
    pub group: Option<ProcessGroup>,
    /// `Some` when its stderr was captured ([`StderrMode::Tail`]).
    pub stderr: Option<StderrTail>,
    pub timings: LaunchTimings,
    lifeline: Option<ChildStdin>,
}

impl LaunchedHost {
    /// Closes stdin (the host drains and exits) and waits for the exit.
    pub fn stop(mut self) -> std::io::Result<std::process::ExitStatus> {
        drop(self.lifeline.take());
        self.child.wait()
    }
}

impl Drop for LaunchedHost {
    fn drop(&mut self) {
        drop(self.lifeline.take());
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("could not start {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("the host got pid {0}, which cannot lead a process group")]
    BadPid(u32),
    #[error("could not start a helper thread: {0}")]
    Thread(std::io::Error),
    #[error("could not send the handshake: {0}")]
    Handshake(std::io::Error),
    #[error("the host exited before it was ready")]
    ExitedEarly,
    #[error("no ready line within {0:?}")]
    Timeout(Duration),
    #[error("the host printed something other than a ready line")]
    BadReadyLine,
}

impl From<ReadyError> for LaunchError {
    fn from(e: ReadyError) -> Self {
        match e {
            ReadyError::ExitedEarly => LaunchError::ExitedEarly,
            ReadyError::BadReadyLine => LaunchError::BadReadyLine,
        }
    }
}

/// Spawns `program serve`, sends the handshake and waits for the ready line.
/// On any failure the host is killed and reaped.
///
/// Call it from a long-lived thread: the host's parent-death signal fires
/// when the *thread* that spawned it exits, so spawning from a pooled thread
/// (tokio's `spawn_blocking`) would kill the host when that thread retires.
pub fn launch(options: &LaunchOptions) -> Result<LaunchedHost, LaunchError> {
    let password = generate_password();
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let mut host = start(options, &password, move |ready| {
        let _ = tx.send(ready);
    })?;
    let ready = match host.handshake_error.take() {
        Some(e) => Err(LaunchError::Handshake(e)),
        None => match rx.recv_timeout(options.ready_timeout) {
            Ok(ready) => ready.map_err(LaunchError::from),
            Err(_) => Err(LaunchError::Timeout(options.ready_timeout)),
        },
    };
    let ready = match ready {
        Ok(ready) => ready,
        Err(e) => {
            host.kill();
            return Err(e);
        }
    };
    let mut timings = host.timings;
    timings.ready = Some(timings.started_at.elapsed());
    Ok(LaunchedHost {
        child: host.child,
        ready,
        password,
        group: host.group,
        stderr: host.stderr,
        timings,
        lifeline: host.lifeline,
    })
}

/// Spawns `program serve` as `options` say and writes the handshake with
/// `password`; `on_ready` gets the first stdout line (parsed) on a helper
/// thread, which then keeps draining stdout so a misbehaving host never
/// blocks on a full pipe.
///
/// A host that dies before reading the handshake is not an error here (see
/// [`StartedHost::handshake_error`]): its captured stderr is still worth
/// reading. Only a failed spawn or helper thread is, and then nothing is
/// left running. Same thread caveat as [`launch`].
pub fn start(
    options: &LaunchOptions,
    password: &Zeroizing<String>,
    on_ready: impl FnOnce(Result<Ready, ReadyError>) + Send + 'static,
) -> Result<StartedHost, LaunchError> {
    let started_at = Instant::now();
    let mut command = Command::new(&options.program);
    command
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(match options.stderr {
            StderrMode::Inherit => Stdio::inherit(),
            StderrMode::Tail => Stdio::piped(),
        });
    if options.own_process_group {
        command.process_group(0);
    }
    let mut child = command.spawn().map_err(|source| LaunchError::Spawn {
        program: options.program.display().to_string(),
        source,
    })?;
    let spawned = started_at.elapsed();
    let pid = child.id();
    let group = if options.own_process_group {
        let Some(group) = ProcessGroup::led_by(pid) else {
            kill_and_reap(&mut child, None);
            return Err(LaunchError::BadPid(pid));
        };
        Some(group)
    } else {
        None
    };

    let stderr = child
        .stderr
        .take()
        .map(|stream| StderrTail::capture(stream, password.clone(), &options.label));
    let readers = stderr.transpose().and_then(|tail| {
        read_ready_line(child.stdout.take(), &options.label, on_ready).map(|()| tail)
    });
    let stderr = match readers {
        Ok(tail) => tail,
        Err(e) => {
            kill_and_reap(&mut child, group);
            return Err(LaunchError::Thread(e));
        }
    };

    let mut lifeline = child.stdin.take();
    let line = Zeroizing::new(handshake_line(options, password));
    let written = match lifeline.as_mut() {
        Some(stdin) => stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.flush()),
        None => Err(std::io::ErrorKind::BrokenPipe.into()),
    };
    let handshake_error = written.err();
    if handshake_error.is_some() {
        lifeline = None;
    }
    Ok(StartedHost {
        child,
        pid,
        group,
        stderr,
        lifeline,
        timings: LaunchTimings {
            started_at,
            spawned,
            handshake_sent: handshake_error.is_none().then(|| started_at.elapsed()),
            ready: None,
        },
        handshake_error,
    })
}

/// Reads the first stdout line on a thread and hands it to `on_ready`; then
/// keeps draining.
fn read_ready_line(
    stdout: Option<ChildStdout>,
    label: &str,
    on_ready: impl FnOnce(Result<Ready, ReadyError>) + Send + 'static,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(format!("{label}-stdout"))
        .spawn(move || {
            let Some(stdout) = stdout else {
                on_ready(Err(ReadyError::ExitedEarly));
                return;
            };
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let ready = match reader.by_ref().take(MAX_READY_LINE).read_line(&mut line) {
                Ok(0) | Err(_) => Err(ReadyError::ExitedEarly),
                Ok(_) => Ready::parse(&line).ok_or(ReadyError::BadReadyLine),
            };
            on_ready(ready);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        })
        .map(drop)
}

/// The handshake line (with its trailing newline) for `options`.
pub fn handshake_line(options: &LaunchOptions, password: &str) -> String {
    let line = HandshakeLine {
        protocol: crate::protocol::PROTOCOL,
        password,
        user_data: &options.user_data,
        allowed_origins: &options.allowed_origins,
        referer_roots: &options.referer_roots,
        extra_referers: options
            .extra_referers
            .iter()
            .map(|(origin, root)| ExtraReferer { origin, root })
            .collect(),
        publish_connection: options.publish_connection,
    };
    let mut text = serde_json::to_string(&line).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A private temporary directory, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "agent-client-launcher-{}-{name}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir(&path).expect("temp dir");
            Self(path)
        }

        fn path(&self) -> &std::path::Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A stand-in host: a shell script run as `<script> serve`.
    fn script(dir: &std::path::Path, body: &str) -> PathBuf {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = dir.join(format!("fake-host-{n}"));
        let mut file = std::fs::File::create(&path).expect("create");
        writeln!(file, "#!/bin/sh\n{body}").expect("write");
        drop(file);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    fn options(program: PathBuf) -> LaunchOptions {
        LaunchOptions::new(program, "/tmp/unused")
            .ready_timeout(Duration::from_secs(10))
            .label("test-host")
    }

    #[test]
    fn a_ready_line_after_the_handshake_is_a_launched_host_with_timings() {
        let dir = TempDir::new("ready");
        let program = script(
            dir.path(),
            r#"read -r line
echo "$line" | grep -q '"protocol":1' || exit 9
echo '{"event":"ready","protocol":1,"port":4242,"pid":1,"version":"t"}'
echo "got it" >&2
cat >/dev/null"#,
        );
        let host = launch(
            &options(program)
                .own_process_group(true)
                .stderr(StderrMode::Tail),
        )
        .expect("launch");
        assert_eq!(host.ready.port, 4242);
        let timings = host.timings;
        assert!(timings.spawned <= timings.handshake_sent.expect("sent"));
        assert!(timings.handshake_sent <= timings.ready);
        let group = host.group.expect("own group");
        assert!(!group.is_empty());
        let tail = host.stderr.clone().expect("tail");
        let status = host.stop().expect("wait");
        assert!(status.success(), "{status}");
        assert_eq!(tail.lines_after_eof(Duration::from_secs(5)), ["got it"]);
    }

    #[test]
    fn failures_are_named_and_leave_nothing_running() {
        let dir = TempDir::new("failures");
        let exits = script(dir.path(), "echo 'no luck' >&2; exit 3");
        assert!(matches!(
            launch(&options(exits)),
            Err(LaunchError::ExitedEarly | LaunchError::Handshake(_))
        ));
        let chatty = script(dir.path(), "read -r line; echo hello; sleep 30");
        assert!(matches!(
            launch(&options(chatty).own_process_group(true)),
            Err(LaunchError::BadReadyLine)
        ));
        let silent = script(dir.path(), "read -r line; sleep 30");
        let started = Instant::now();
        assert!(matches!(
            launch(
                &options(silent)
                    .own_process_group(true)
                    .ready_timeout(Duration::from_millis(200))
            ),
            Err(LaunchError::Timeout(_))
        ));
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(matches!(
            launch(&options(dir.path().join("missing"))),
            Err(LaunchError::Spawn { .. })
        ));
    }

    #[test]
    fn start_reports_the_ready_line_to_its_callback_and_keeps_stderr() {
        let dir = TempDir::new("start");
        let password = generate_password();
        let program = script(dir.path(), "read -r line; echo \"$line\" >&2; exit 4");
        let (tx, rx) = std::sync::mpsc::channel();
        let mut host = start(
            &options(program).stderr(StderrMode::Tail),
            &password,
            move |ready| tx.send(ready).expect("send"),
        )
        .expect("start");
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(10)).expect("callback"),
            Err(ReadyError::ExitedEarly)
        );
        assert_eq!(host.child.wait().expect("wait").code(), Some(4));
        let lines = host
            .stderr
            .expect("tail")
            .lines_after_eof(Duration::from_secs(5));
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains(REDACTED), "{lines:?}");
        assert!(!lines[0].contains(password.as_str()));
    }
}
