//! Spawning the servers under test and speaking their process contract
//! (docs/rfc/handshake.md): one handshake line on stdin, one ready line on
//! stdout, stdin held open as the lifeline and closed to stop the server.
//!
//! Everything here is plain `std::process` and OS threads, deliberately
//! outside any async runtime: spawn-to-ready is then measured without a
//! scheduler in the way, and the child is always spawned from the main
//! thread. That matters because the host sets `PR_SET_PDEATHSIG`, which
//! Linux ties to the *thread* that forked it — a child spawned from a
//! short-lived helper thread would be killed when that thread exits.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use serde::Deserialize;
use tempfile::TempDir;

use crate::client::HealthRequest;
use crate::error::{Context, Error, Result};

/// The renderer origin the benchmark claims to be (never resolved: all
/// traffic goes to 127.0.0.1; it only has to pass the host's allow-lists).
pub const ORIGIN: &str = "http://bench.localhost";
/// The referer root handed to the host.
pub const REFERER_ROOT: &str = "/desktop";
/// The `Referer` sent with every request: under [`ORIGIN`] + [`REFERER_ROOT`].
pub const REFERER: &str = "http://bench.localhost/desktop/";

/// How long a server gets to print its ready line (the RFC says parents
/// should allow 15 s).
pub const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a server gets to exit after stdin EOF (the RFC promises 1 s).
pub const EXIT_TIMEOUT: Duration = Duration::from_secs(5);
/// A ready line longer than this is a broken server, not a slow one.
const MAX_READY_LINE: u64 = 64 * 1024;
/// How much of a server's stderr is kept to explain a failure.
const STDERR_TAIL: usize = 4096;

/// Which server a measurement is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `agent-host serve`.
    Host,
    /// The bare axum baseline.
    Bare,
}

impl Kind {
    /// File name of the binary, next to `host-bench`.
    pub fn binary(self) -> &'static str {
        match self {
            Kind::Host => "agent-host",
            Kind::Bare => "bare-hello",
        }
    }

    /// Short label for reports and JSON keys.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Host => "host",
            Kind::Bare => "bare",
        }
    }
}

/// A server binary found on disk.
#[derive(Debug, Clone)]
pub struct Server {
    /// What it is.
    pub kind: Kind,
    /// Absolute path of the executable.
    pub program: PathBuf,
}

impl Server {
    /// Looks for `kind`'s binary in `dir` (the directory of `host-bench`).
    pub fn locate(kind: Kind, dir: &Path) -> Result<Self> {
        let program = dir.join(kind.binary());
        if program.is_file() {
            Ok(Self { kind, program })
        } else {
            Err(Error::new(format!(
                "{} not found at {}; build it with `cargo build --release -p {}`",
                kind.binary(),
                program.display(),
                match kind {
                    Kind::Host => "agent-host",
                    Kind::Bare => "agent-bench",
                }
            )))
        }
    }

    /// Spawns the server, hands it the handshake and waits for its ready
    /// line. The timer starts just before `spawn()` and stops once the ready
    /// line has been read; preparing the password and the fresh user-data
    /// directory happens before it, as it would in a parent.
    pub fn spawn(&self) -> Result<Running> {
        let password = new_password();
        let user_data = match self.kind {
            Kind::Host => Some(tempfile::tempdir().context("creating a user-data tempdir")?),
            Kind::Bare => None,
        };
        let handshake = user_data
            .as_ref()
            .map(|dir| handshake_line(&password, dir.path()));

        let mut command = Command::new(&self.program);
        if self.kind == Kind::Host {
            command.arg("serve");
        }
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());

        let started = Instant::now();
        let mut child = command
            .spawn()
            .context(format!("spawning {}", self.program.display()))?;
        let stderr = StderrTail::drain(&mut child);
        let mut running = Running {
            kind: self.kind,
            stdin: child.stdin.take(),
            child,
            ready: Ready::default(),
            spawn_to_ready: Duration::ZERO,
            password,
            stderr,
            _user_data: user_data,
        };

        if let (Some(line), Some(stdin)) = (handshake, running.stdin.as_mut()) {
            let written = stdin
                .write_all(line.as_bytes())
                .and_then(|()| stdin.flush());
            if let Err(e) = written {
                return Err(running.fail(format!("writing the handshake: {e}")));
            }
        }

        let line = match running.read_ready_line() {
            Ok(line) => line,
            Err(e) => return Err(running.fail(e.to_string())),
        };
        running.spawn_to_ready = started.elapsed();
        match Ready::parse(self.kind, &line, running.child.id()) {
            Ok(ready) => running.ready = ready,
            Err(e) => return Err(running.fail(e.to_string())),
        }
        Ok(running)
    }
}

/// What a ready line told us.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ready {
    /// Loopback port the server listens on.
    pub port: u16,
    /// Its process id.
    pub pid: u32,
    /// Its version, when it reports one (the host does).
    pub version: Option<String>,
}

impl Ready {
    /// Parses and checks a ready line from a child with process id `pid`.
    pub fn parse(kind: Kind, line: &str, pid: u32) -> Result<Self> {
        #[derive(Deserialize)]
        struct Line {
            event: String,
            port: u16,
            pid: u32,
            protocol: Option<u64>,
            version: Option<String>,
        }
        let parsed: Line = serde_json::from_str(line.trim_end()).context(format!(
            "ready line {:?} is not the expected JSON",
            line.trim_end()
        ))?;
        if parsed.event != "ready" {
            return Err(Error::new(format!(
                "ready line has event {:?}",
                parsed.event
            )));
        }
        if kind == Kind::Host && parsed.protocol != Some(1) {
            return Err(Error::new(format!(
                "ready line has protocol {:?}, expected 1",
                parsed.protocol
            )));
        }
        if parsed.port == 0 {
            return Err(Error::new("ready line has port 0"));
        }
        // The RSS figures are read from this pid, so it must be the child.
        if parsed.pid != pid {
            return Err(Error::new(format!(
                "ready line says pid {} but the child is {pid}",
                parsed.pid
            )));
        }
        Ok(Self {
            port: parsed.port,
            pid: parsed.pid,
            version: parsed.version,
        })
    }
}

/// A spawned server that has printed its ready line. Dropping it kills the
/// process if [`Running::shutdown`] was not called, so no error path can
/// leave a server behind.
pub struct Running {
    kind: Kind,
    child: Child,
    stdin: Option<ChildStdin>,
    /// The ready line's contents.
    pub ready: Ready,
    /// From just before `spawn()` to the ready line read.
    pub spawn_to_ready: Duration,
    password: String,
    stderr: StderrTail,
    /// Removed when this is dropped, after the process is gone.
    _user_data: Option<TempDir>,
}

impl Running {
    /// Which server this is.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The authenticated `GET /health` request for this server. The bare
    /// server gets the same headers and ignores them, so both see requests
    /// of the same size.
    pub fn health_request(&self) -> Result<HealthRequest> {
        HealthRequest::new(self.ready.port, &self.password, REFERER)
    }

    /// Closes stdin (the lifeline) and waits for a clean exit; returns the
    /// time from EOF to exit. A non-zero exit or a server still running
    /// after [`EXIT_TIMEOUT`] is an error (and the server is killed).
    pub fn shutdown(mut self) -> Result<Duration> {
        let eof = Instant::now();
        drop(self.stdin.take());
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    let took = eof.elapsed();
                    return if status.success() {
                        Ok(took)
                    } else {
                        Err(self.fail(format!("exited with {} after stdin EOF", describe(status))))
                    };
                }
                Ok(None) if eof.elapsed() < EXIT_TIMEOUT => {
                    // Fine enough polling that EOF→exit is resolved to
                    // well under a millisecond.
                    std::thread::sleep(Duration::from_micros(200));
                }
                Ok(None) => {
                    return Err(self.fail(format!(
                        "still running {} s after stdin EOF; killed",
                        EXIT_TIMEOUT.as_secs()
                    )));
                }
                Err(e) => return Err(self.fail(format!("waiting for exit: {e}"))),
            }
        }
    }

    /// Reads the first stdout line on a helper thread so that a server which
    /// never answers cannot hang the benchmark.
    fn read_ready_line(&mut self) -> Result<String> {
        let stdout = self
            .child
            .stdout
            .take()
            .ok_or_else(|| Error::new("child has no stdout pipe"))?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout.take(MAX_READY_LINE)).read_line(&mut line);
            let _ = tx.send(read.map(|_| line));
        });
        match rx.recv_timeout(READY_TIMEOUT) {
            Ok(Ok(line)) if line.ends_with('\n') => Ok(line),
            Ok(Ok(line)) if line.is_empty() => Err(Error::new("stdout closed before a ready line")),
            Ok(Ok(_)) => Err(Error::new("ready line not terminated by a newline")),
            Ok(Err(e)) => Err(Error::new(format!("reading stdout: {e}"))),
            Err(_) => Err(Error::new(format!(
                "no ready line within {} s",
                READY_TIMEOUT.as_secs()
            ))),
        }
    }

    /// Stops the process (if needed) and turns `what` into an error that
    /// names the server and quotes the end of its stderr.
    fn fail(&mut self, what: String) -> Error {
        let status = self.reap();
        let mut message = format!("{}: {what}", self.kind.binary());
        if let Some(status) = status {
            message.push_str(&format!(" (process {})", describe(status)));
        }
        let tail = self.stderr.tail();
        if !tail.is_empty() {
            message.push_str("\n  stderr:\n");
            for line in tail.lines() {
                message.push_str("    ");
                message.push_str(line);
                message.push('\n');
            }
        }
        Error::new(message.trim_end().to_owned())
    }

    /// Kills the process unless it already exited; returns its status.
    fn reap(&mut self) -> Option<ExitStatus> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Some(status);
        }
        let _ = self.child.kill();
        let status = self.child.wait().ok();
        // Let the drain thread pick up whatever the child wrote last.
        self.stderr.settle();
        status
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.reap();
    }
}

/// Keeps the last few KiB of a child's stderr. Draining is not optional: the
/// host logs to stderr, and a full pipe would block it mid-benchmark.
struct StderrTail {
    buf: Arc<Mutex<Vec<u8>>>,
    done: Option<mpsc::Receiver<()>>,
}

impl StderrTail {
    fn drain(child: &mut Child) -> Self {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let Some(mut stderr) = child.stderr.take() else {
            return Self { buf, done: None };
        };
        let (tx, rx) = mpsc::channel();
        let sink = Arc::clone(&buf);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = stderr.read(&mut chunk) {
                let mut buf = sink.lock().unwrap_or_else(|p| p.into_inner());
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > 2 * STDERR_TAIL {
                    let cut = buf.len() - STDERR_TAIL;
                    buf.drain(..cut);
                }
            }
            let _ = tx.send(());
        });
        Self {
            buf,
            done: Some(rx),
        }
    }

    /// Waits briefly for the drain thread to see EOF (the child is dead).
    fn settle(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.recv_timeout(Duration::from_millis(500));
        }
    }

    fn tail(&self) -> String {
        let buf = self.buf.lock().unwrap_or_else(|p| p.into_inner());
        let start = buf.len().saturating_sub(STDERR_TAIL);
        String::from_utf8_lossy(&buf[start..]).trim().to_owned()
    }
}

/// A fresh password per spawn, as the RFC asks of parents: 32 random bytes,
/// base64url (43 characters).
fn new_password() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// The one handshake line, newline-terminated.
fn handshake_line(password: &str, user_data: &Path) -> String {
    let line = serde_json::json!({
        "protocol": 1,
        "password": password,
        "user_data": user_data,
        "allowed_origins": [ORIGIN],
        "referer_roots": [REFERER_ROOT],
    });
    format!("{line}\n")
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_long_enough() {
        let p = new_password();
        assert_eq!(p.len(), 43);
        assert_ne!(p, new_password());
    }

    #[test]
    fn handshake_is_one_json_line() {
        let line = handshake_line("x".repeat(43).as_str(), Path::new("/tmp/u"));
        assert!(line.ends_with('\n') && !line.trim_end().contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["protocol"], 1);
        assert_eq!(v["user_data"], "/tmp/u");
        assert_eq!(v["allowed_origins"][0], ORIGIN);
        assert!(REFERER.starts_with(&format!("{ORIGIN}{REFERER_ROOT}/")));
    }

    #[test]
    fn ready_line_checks() {
        let host = r#"{"event":"ready","protocol":1,"port":4000,"pid":7,"version":"0.1.0"}"#;
        let r = Ready::parse(Kind::Host, host, 7).unwrap();
        assert_eq!(
            (r.port, r.pid, r.version.as_deref()),
            (4000, 7, Some("0.1.0"))
        );
        assert!(Ready::parse(Kind::Host, host, 8).is_err());
        let bare = r#"{"event":"ready","port":4000,"pid":7}"#;
        assert!(Ready::parse(Kind::Bare, bare, 7).is_ok());
        assert!(Ready::parse(Kind::Host, bare, 7).is_err());
        assert!(Ready::parse(Kind::Bare, "not json", 7).is_err());
    }
}
