//! Running the model's shell commands inside bubblewrap.
//!
//! Fail closed: [`Sandbox::detect`] proves bwrap can build the namespaces
//! before `run_command` is ever offered, and a turn without a `Sandbox` has
//! no `run_command` at all. There is no unconfined path.

mod bwrap;
pub(crate) mod process;
mod snapshot;
pub(crate) mod tool;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub use process::CommandOutput;

use crate::{ToolContext, ToolError};

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

    /// Runs `command` with `/bin/sh -c` in the allow-list sandbox of
    /// [`bwrap::arguments`]: the workspace is the only writable place and
    /// the only part of the user's files in sight (besides the context's
    /// extra read-only paths).
    pub async fn run(
        &self,
        ctx: &ToolContext,
        command: &str,
        timeout: Duration,
    ) -> Result<CommandOutput, ToolError> {
        let workspace = ctx.root.root();
        if workspace == Path::new("/")
            || ctx
                .home
                .as_deref()
                .is_some_and(|h| h.starts_with(workspace))
        {
            // Binding it would bring back the whole home directory (or, for
            // `/`, make the whole machine writable).
            return Err(ToolError::Refused(
                "run_command cannot use a workspace that contains the home directory".into(),
            ));
        }
        let layout = bwrap::Layout {
            workspace,
            home: ctx.home.as_deref(),
            read_only: &ctx.read_only_paths,
            protected: &ctx.protected_paths,
        };
        let mut cmd = tokio::process::Command::new(&self.bwrap);
        cmd.args(bwrap::arguments(&layout, command))
            // bwrap is the sandbox's pid 1: its own environment is readable
            // inside as /proc/1/environ, so it gets no more than the command.
            .env_clear()
            .envs(bwrap::minimal_env(&layout));
        process::run(cmd, timeout).await
    }
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
