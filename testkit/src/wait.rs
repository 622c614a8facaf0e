//! Bounded waits: a test never hangs on a condition or a child.

use std::process::{Child, Command, ExitStatus, Output};
use std::time::{Duration, Instant};

/// Polls `cond` every 10 ms until it holds (`true`) or `timeout` passes
/// (`false`).
pub fn eventually(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for `child` to exit, at most `limit`; `None` when it is still
/// running.
pub fn wait_with_limit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let mut status = None;
    eventually(limit, || {
        status = child.try_wait().expect("try_wait");
        status.is_some()
    });
    status
}

/// Runs `command` to its end; its output. Fails the test, with the
/// command's stderr, when it cannot start or exits unsuccessfully.
pub fn run_ok(command: &mut Command, what: &str) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
