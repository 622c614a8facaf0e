//! Spawning a command with a time limit and bounded output.
//!
//! The child leads its own process group, so a timeout kills everything it
//! started (`kill(-pgid, SIGKILL)`); under bwrap the PID namespace and
//! `--die-with-parent` finish the job. Output beyond the cap is read and
//! discarded, so a chatty child never blocks on a full pipe.

use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::task::JoinHandle;

use crate::ToolError;

/// Bytes kept per stream.
pub const OUTPUT_CAP: usize = 256 * 1024;
/// How long to wait for the pipes to close after the child has exited or
/// been killed; a descendant that escaped the group must not hang the call.
const DRAIN_GRACE: Duration = Duration::from_secs(1);

/// What a command produced.
#[derive(Clone, Debug, Serialize)]
pub struct CommandOutput {
    /// The exit status, or `None` when the command was killed by a signal.
    pub exit_code: Option<i32>,
    /// Standard output, UTF-8 lossy, at most [`OUTPUT_CAP`] bytes.
    pub stdout: String,
    /// Standard error, UTF-8 lossy, at most [`OUTPUT_CAP`] bytes.
    pub stderr: String,
    /// True when either stream went over the cap.
    pub truncated: bool,
    /// True when the time limit killed the command.
    pub timed_out: bool,
}

/// One stream's collected bytes.
#[derive(Default)]
struct Captured {
    bytes: Vec<u8>,
    truncated: bool,
}

/// Runs `cmd` (program and arguments already set) to completion or timeout.
pub(crate) async fn run(
    mut cmd: tokio::process::Command,
    timeout: Duration,
) -> Result<CommandOutput, ToolError> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .map_err(|e| ToolError::Failed(format!("could not start the command: {e}")))?;
    let pgid = child.id().and_then(|id| i32::try_from(id).ok());
    // If the caller drops this future mid-run, kill the whole group, not
    // just the leader (`kill_on_drop` only reaches the leader).
    let mut guard = GroupGuard { pgid, armed: true };
    let stdout = child.stdout.take().map(capture);
    let stderr = child.stderr.take().map(capture);

    let (status, timed_out) = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => (
            Some(status.map_err(|e| ToolError::Failed(format!("wait failed: {e}")))?),
            false,
        ),
        Err(_) => {
            kill_group(pgid);
            // SIGKILL cannot be ignored; reap so no zombie is left.
            let status = tokio::time::timeout(DRAIN_GRACE, child.wait()).await;
            (status.ok().and_then(Result::ok), true)
        }
    };
    // Anything still holding the pipes after the leader is gone is a
    // leftover of this command: kill the group and stop reading.
    let stdout = finish(stdout, pgid).await;
    let stderr = finish(stderr, pgid).await;
    guard.armed = false;

    Ok(CommandOutput {
        exit_code: if timed_out {
            None
        } else {
            status.and_then(|s| s.code())
        },
        stdout: String::from_utf8_lossy(&stdout.bytes).into_owned(),
        stderr: String::from_utf8_lossy(&stderr.bytes).into_owned(),
        truncated: stdout.truncated || stderr.truncated,
        timed_out,
    })
}

/// A stream being read in the background; the buffer is shared so that
/// what arrived before an abandoned drain is still reported.
struct Reader {
    task: JoinHandle<()>,
    captured: Arc<Mutex<Captured>>,
}

/// Reads a stream to EOF, keeping the first [`OUTPUT_CAP`] bytes.
fn capture(mut stream: impl AsyncRead + Unpin + Send + 'static) -> Reader {
    let captured = Arc::new(Mutex::new(Captured::default()));
    let shared = Arc::clone(&captured);
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let mut captured = lock(&shared);
                    let room = OUTPUT_CAP - captured.bytes.len();
                    if n > room {
                        captured.truncated = true;
                    }
                    captured.bytes.extend_from_slice(&buf[..n.min(room)]);
                }
            }
        }
    });
    Reader { task, captured }
}

async fn finish(reader: Option<Reader>, pgid: Option<i32>) -> Captured {
    let Some(mut reader) = reader else {
        return Captured::default();
    };
    if tokio::time::timeout(DRAIN_GRACE, &mut reader.task)
        .await
        .is_err()
    {
        kill_group(pgid);
        reader.task.abort();
    }
    let captured = std::mem::take(&mut *lock(&reader.captured));
    captured
}

/// The buffer even if a reader panicked while holding it (it only appends).
fn lock(captured: &Mutex<Captured>) -> MutexGuard<'_, Captured> {
    captured.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Kills the process group when dropped while armed.
struct GroupGuard {
    pgid: Option<i32>,
    armed: bool,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if self.armed {
            kill_group(self.pgid);
        }
    }
}

/// SIGKILLs the whole process group led by the child.
fn kill_group(pgid: Option<i32>) {
    if let Some(pgid) = pgid.filter(|p| *p > 1) {
        // SAFETY: kill(2) has no memory-safety preconditions; a negative pid
        // addresses the process group, which is this child's own group.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}
