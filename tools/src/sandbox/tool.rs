//! `run_command`: the tool face of the sandbox.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::{ToolContext, ToolError, ToolSpec};

const DEFAULT_TIMEOUT_MS: u64 = 60_000;
const MAX_TIMEOUT_MS: u64 = 300_000;
/// Longest command text accepted (it travels as one argv entry).
const MAX_COMMAND_BYTES: usize = 64 * 1024;

pub(crate) fn spec() -> ToolSpec {
    ToolSpec {
        name: "run_command",
        description: "Run a shell command with /bin/sh -c in a sandbox whose working directory \
            is the workspace root. Of the user's files only the workspace is visible and writable; \
            system directories are read-only, HOME and /tmp are empty private scratch space, \
            there is no network, stdin is empty, and the environment is only PATH, HOME, LANG \
            and TERM. `timeout_ms` defaults to 60000 (at most 300000); on \
            timeout every process of the command is killed. Each of stdout and stderr keeps \
            at most 256 KiB. Returns {exit_code, stdout, stderr, truncated, timed_out}; \
            exit_code is null when the command was killed.",
        parameters: json!({
            "type": "object",
            "properties": {
                "command": {"type": "string", "description": "Shell command line."},
                "timeout_ms": {"type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT_MS, "description": "Time limit in milliseconds (default 60000)."}
            },
            "required": ["command"],
            "additionalProperties": false
        }),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    command: String,
    timeout_ms: Option<u64>,
}

pub(crate) async fn run(ctx: &ToolContext, arguments: &str) -> Result<Value, ToolError> {
    let Some(sandbox) = &ctx.sandbox else {
        return Err(ToolError::Refused(
            "run_command is unavailable: no working sandbox on this machine".into(),
        ));
    };
    let args: Args = crate::args::parse(arguments)?;
    if args.command.trim().is_empty() {
        return Err(ToolError::InvalidArguments("command is empty".into()));
    }
    if args.command.len() > MAX_COMMAND_BYTES || args.command.contains('\0') {
        return Err(ToolError::InvalidArguments(
            "command is too long or contains a NUL byte".into(),
        ));
    }
    let timeout_ms = crate::args::bounded(
        args.timeout_ms,
        DEFAULT_TIMEOUT_MS,
        MAX_TIMEOUT_MS,
        "timeout_ms",
    )?;
    // With someone listening for changes, the workspace is stamped before
    // and after, and what the command changed is told (see `snapshot`).
    let snapshot = match &ctx.observer.0 {
        Some(_) => {
            let ctx = ctx.clone();
            crate::fs::blocking(move || Ok(super::snapshot::before(&ctx))).await?
        }
        None => None,
    };
    let output = sandbox
        .run(ctx, &args.command, Duration::from_millis(timeout_ms))
        .await;
    if let Some(snapshot) = snapshot {
        let ctx = ctx.clone();
        crate::fs::blocking(move || {
            super::snapshot::tell_changes(&ctx, snapshot, &ctx.observer);
            Ok(())
        })
        .await?;
    }
    let output = output?;
    serde_json::to_value(output).map_err(|e| ToolError::Failed(e.to_string()))
}
