//! The tools the agent loop calls on the model's behalf.
//!
//! Every tool is confined: file tools only reach paths that
//! [`agent_containment::ContainedRoot`] resolves inside the workspace,
//! `run_command` only runs inside a proven bubblewrap [`Sandbox`] (and is
//! not offered without one), and `web_fetch` only connects to vetted public
//! addresses. Each call takes the model's raw argument text and returns
//! JSON or a [`ToolError`] that the loop hands back to the model; nothing
//! here panics on bad input. A [`ChangeObserver`] in the context hears every
//! file a tool wrote, with its content before and after.
//!
//! ```no_run
//! use agent_containment::ContainedRoot;
//! use agent_tools::{available, call, FetchPolicy, Sandbox, ToolContext};
//!
//! # async fn demo() {
//! let ctx = ToolContext {
//!     root: ContainedRoot::new("/home/me/project".as_ref()).unwrap(),
//!     sandbox: Sandbox::detect(),
//!     protected_paths: Vec::new(),
//!     home: None,
//!     read_only_paths: Vec::new(),
//!     fetch: FetchPolicy::default(),
//!     observer: Default::default(),
//! };
//! let offered: Vec<&str> = available(&ctx).iter().map(|t| t.name).collect();
//! let answer = call(&ctx, "read_file", r#"{"path": "README.md"}"#).await;
//! # let _ = (offered, answer);
//! # }
//! ```

mod args;
mod changes;
mod error;
mod fetch;
mod fs;
mod sandbox;

use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

pub use changes::{ChangeObserver, FileChange, FileContent, Observer};
pub use error::ToolError;
pub use fetch::FetchPolicy;
pub use fs::{MAX_TEXT_BYTES, MAX_WRITE_BYTES};
pub use sandbox::process::OUTPUT_CAP;
pub use sandbox::{CommandOutput, Sandbox};

/// What a tool may touch. One per turn.
#[derive(Clone, Debug)]
pub struct ToolContext {
    /// The workspace; every path argument is resolved inside it.
    pub root: agent_containment::ContainedRoot,
    /// The sandbox for `run_command`; `None` removes the tool.
    pub sandbox: Option<Sandbox>,
    /// Protected locations (the host's user-data directory, credential
    /// folders). The sandbox shows none of the user's files outside the
    /// workspace anyway; these are covered when they lie inside it.
    pub protected_paths: Vec<PathBuf>,
    /// The user's home directory: an empty private tmpfs in the sandbox.
    pub home: Option<PathBuf>,
    /// Extra read-only paths the sandbox shows (toolchains the workspace
    /// policy lists, such as `~/.cargo`).
    pub read_only_paths: Vec<PathBuf>,
    /// Limits for `web_fetch`.
    pub fetch: FetchPolicy,
    /// Told about every file `write_file` and `edit_file` change.
    pub observer: Observer,
}

/// A tool's name, description and JSON Schema, as offered to the model.
#[derive(Clone, Debug, Serialize)]
pub struct ToolSpec {
    pub name: &'static str,
    pub description: &'static str,
    /// A JSON Schema object describing the arguments.
    pub parameters: Value,
}

/// The tools that can run in `ctx`: `run_command` only with a sandbox.
pub fn available(ctx: &ToolContext) -> Vec<ToolSpec> {
    let mut specs = vec![
        fs::read::spec(),
        fs::write::spec(),
        fs::edit::spec(),
        fs::list::spec(),
        fs::grep::spec(),
    ];
    if ctx.sandbox.is_some() {
        specs.push(sandbox::tool::spec());
    }
    specs.push(fetch::spec());
    specs
}

/// Runs one tool call. `arguments` is the raw JSON text the model produced.
/// Every refusal is an `Err` for the agent loop to hand back to the model.
pub async fn call(ctx: &ToolContext, name: &str, arguments: &str) -> Result<Value, ToolError> {
    let result = match name {
        "read_file" => fs::read::run(ctx, arguments).await,
        "write_file" => fs::write::run(ctx, arguments).await,
        "edit_file" => fs::edit::run(ctx, arguments).await,
        "list_files" => fs::list::run(ctx, arguments).await,
        "grep_files" => fs::grep::run(ctx, arguments).await,
        "run_command" => sandbox::tool::run(ctx, arguments).await,
        "web_fetch" => fetch::run(ctx, arguments).await,
        _ => Err(ToolError::NotFound(format!("no tool named {name:?}"))),
    };
    if let Err(err) = &result {
        tracing::debug!(
            tool = name,
            code = err.code(),
            "tool call refused or failed"
        );
    }
    result
}
