//! The parent side of the handshake: spawn `agent-host serve`, hand it a
//! fresh password over stdin, wait for the ready line, keep stdin open as
//! its lifeline. The shell's supervisor, the CLI, tests and the benchmark
//! all start hosts through this code.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::TryRngCore;
use zeroize::Zeroizing;

use crate::protocol::{ExtraReferer, HandshakeLine, Ready};

/// How long a parent waits for the ready line.
pub const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// A fresh per-spawn password: 32 bytes from the OS generator, base64url
/// (43 characters).
pub fn generate_password() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng
        .try_fill_bytes(bytes.as_mut())
        .expect("the OS random generator failed");
    Zeroizing::new(URL_SAFE_NO_PAD.encode(bytes.as_ref()))
}

/// What the parent tells the host.
pub struct LaunchOptions {
    pub program: PathBuf,
    pub user_data: PathBuf,
    pub allowed_origins: Vec<String>,
    pub referer_roots: Vec<String>,
    pub extra_referers: Vec<(String, String)>,
    /// Ask the host to listen on `host.sock` for CLI attach.
    pub publish_connection: bool,
    pub ready_timeout: Duration,
}

impl LaunchOptions {
    pub fn new(program: impl Into<PathBuf>, user_data: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            user_data: user_data.into(),
            allowed_origins: vec!["http://127.0.0.1".to_owned()],
            referer_roots: vec!["/desktop".to_owned()],
            extra_referers: Vec::new(),
            publish_connection: false,
            ready_timeout: READY_TIMEOUT,
        }
    }
}

/// A running host. Dropping it closes stdin, which stops the host.
pub struct LaunchedHost {
    pub child: Child,
    pub ready: Ready,
    pub password: Zeroizing<String>,
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
    #[error("could not send the handshake: {0}")]
    Handshake(std::io::Error),
    #[error("the host exited before it was ready")]
    ExitedEarly,
    #[error("no ready line within {0:?}")]
    Timeout(Duration),
    #[error("the host printed something other than a ready line")]
    BadReadyLine,
}

/// Spawns `program serve`, sends the handshake and waits for the ready line.
/// The host's stderr is inherited.
///
/// Call it from a long-lived thread: the host's parent-death signal fires
/// when the *thread* that spawned it exits, so spawning from a pooled thread
/// (tokio's `spawn_blocking`) would kill the host when that thread retires.
pub fn launch(options: &LaunchOptions) -> Result<LaunchedHost, LaunchError> {
    let password = generate_password();
    let mut child = Command::new(&options.program)
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|source| LaunchError::Spawn {
            program: options.program.display().to_string(),
            source,
        })?;
    let result = handshake_and_wait(&mut child, options, &password);
    match result {
        Ok((ready, lifeline)) => Ok(LaunchedHost {
            child,
            ready,
            password,
            lifeline: Some(lifeline),
        }),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(e)
        }
    }
}

fn handshake_and_wait(
    child: &mut Child,
    options: &LaunchOptions,
    password: &Zeroizing<String>,
) -> Result<(Ready, ChildStdin), LaunchError> {
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| LaunchError::Handshake(std::io::ErrorKind::BrokenPipe.into()))?;
    let line = Zeroizing::new(handshake_line(options, password));
    stdin
        .write_all(line.as_bytes())
        .and_then(|()| stdin.flush())
        .map_err(LaunchError::Handshake)?;

    let stdout = child.stdout.take().ok_or(LaunchError::ExitedEarly)?;
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut first = String::new();
        let read = reader.read_line(&mut first);
        let _ = tx.send(read.map(|n| (n, first)));
        // Keep draining so a misbehaving host never blocks on a full pipe.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    match rx.recv_timeout(options.ready_timeout) {
        Ok(Ok((0, _))) | Ok(Err(_)) => Err(LaunchError::ExitedEarly),
        Ok(Ok((_, line))) => {
            let ready = Ready::parse(&line).ok_or(LaunchError::BadReadyLine)?;
            Ok((ready, stdin))
        }
        Err(_) => Err(LaunchError::Timeout(options.ready_timeout)),
    }
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
