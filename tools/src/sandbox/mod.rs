//! Running the model's shell commands inside bubblewrap.
//!
//! Fail closed: [`Sandbox::detect`] proves bwrap can build the namespaces
//! before `run_command` is ever offered, and a turn without a `Sandbox` has
//! no `run_command` at all. The only way to run unconfined is
//! [`run_unsandboxed`], which the host calls solely after an explicit CLI
//! opt-in.

mod bwrap;
pub(crate) mod process;
pub(crate) mod tool;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use agent_security::ContainedRoot;

pub use process::CommandOutput;

use crate::ToolError;

/// How long the start-up probe may take before bwrap is declared unusable.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// A bubblewrap binary that has been proven to work on this machine.
#[derive(Clone, Debug)]
pub struct Sandbox {
    bwrap: PathBuf,
}

impl Sandbox {
    /// Finds `bwrap` on `PATH` and proves it works by running
    /// `bwrap --unshare-all --die-with-parent --ro-bind / / true` within 5 s.
    /// `None` if anything fails (no binary, user namespaces disabled, ...).
    pub fn detect() -> Option<Sandbox> {
        let bwrap = find_on_path("bwrap")?;
        if probe(&bwrap) {
            Some(Sandbox { bwrap })
        } else {
            tracing::warn!(bwrap = %bwrap.display(), "bwrap is present but does not work; run_command disabled");
            None
        }
    }

    /// The bwrap binary in use.
    pub fn bwrap(&self) -> &Path {
        &self.bwrap
    }

    /// Runs `command` with `/bin/sh -c` in the sandbox described in
    /// [`bwrap::arguments`], with the workspace as the only writable place.
    pub async fn run(
        &self,
        root: &ContainedRoot,
        protected_paths: &[PathBuf],
        command: &str,
        timeout: Duration,
    ) -> Result<CommandOutput, ToolError> {
        if root.root() == Path::new("/") {
            // `--bind / /` would make the whole machine writable.
            return Err(ToolError::Refused(
                "run_command cannot use / as the workspace".into(),
            ));
        }
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let args = bwrap::arguments(root.root(), protected_paths, home.as_deref(), command);
        let mut cmd = tokio::process::Command::new(&self.bwrap);
        cmd.args(args);
        process::run(cmd, timeout).await
    }
}

/// Runs `command` with `/bin/sh -c` in the workspace WITHOUT any sandbox:
/// the command can read and write everything the host user can, and use the
/// network. Only for an explicit CLI opt-in; every call logs a warning.
/// The environment is still cleared to the same minimal set, and the same
/// time and output limits apply.
pub async fn run_unsandboxed(
    root: &ContainedRoot,
    command: &str,
    timeout: Duration,
) -> Result<CommandOutput, ToolError> {
    tracing::warn!(
        workspace = %root.root().display(),
        "running a model command WITHOUT a sandbox (explicit opt-in)"
    );
    let mut cmd = tokio::process::Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(root.root())
        .env_clear()
        .envs(bwrap::minimal_env(root.root()));
    process::run(cmd, timeout).await
}

/// The first executable file named `name` in `$PATH`.
fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(name))
        .find(|candidate| {
            candidate
                .metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Runs the probe sandbox; true only for a clean exit within the limit.
fn probe(bwrap: &Path) -> bool {
    let child = Command::new(bwrap)
        .args([
            "--unshare-all",
            "--die-with-parent",
            "--ro-bind",
            "/",
            "/",
            "true",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return false;
    };
    let deadline = Instant::now() + PROBE_TIMEOUT;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                // Best effort: the probe is abandoned either way.
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
}
