//! `list_files`: what is in a workspace directory.

use std::ops::ControlFlow;

use serde::Deserialize;
use serde_json::{json, Value};

use super::walk::{walk, Kind};
use super::{blocking, display};
use crate::{ToolContext, ToolError, ToolSpec};

/// Entries returned when the model does not say.
const DEFAULT_ENTRIES: u64 = 500;
/// Most entries one call may return.
const MAX_ENTRIES: u64 = 5000;

pub(crate) fn spec() -> ToolSpec {
    ToolSpec {
        name: "list_files",
        description: "List a directory inside the workspace. `path` defaults to the workspace \
            root; `recursive` (default false) walks subdirectories breadth-first, sorted by \
            name. `max_entries` defaults to 500 (at most 5000). Returns {entries: [{path, kind, \
            size}], truncated}; paths are relative to the workspace root, kind is \"file\", \
            \"dir\", \"symlink\" or \"other\", size is in bytes for files. Symlinks are listed \
            but never followed; .git directories are listed but not descended.",
        parameters: json!({
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "Directory relative to the workspace root (default \".\")."},
                "recursive": {"type": "boolean", "description": "Include subdirectories (default false)."},
                "max_entries": {"type": "integer", "minimum": 1, "maximum": MAX_ENTRIES, "description": "Maximum entries to return (default 500)."}
            },
            "additionalProperties": false
        }),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    path: Option<String>,
    #[serde(default)]
    recursive: bool,
    max_entries: Option<u64>,
}

pub(crate) async fn run(ctx: &ToolContext, arguments: &str) -> Result<Value, ToolError> {
    let args: Args = crate::args::parse(arguments)?;
    let max = crate::args::bounded(
        args.max_entries,
        DEFAULT_ENTRIES,
        MAX_ENTRIES,
        "max_entries",
    )?;
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let root = ctx.root.clone();
    blocking(move || {
        // Pinned: the walk starts from the directory that passed the checks.
        let dir = root.pin_existing(args.path.as_deref().unwrap_or("."))?;
        if !dir.path().is_dir() {
            return Err(ToolError::InvalidArguments(
                "path is not a directory; use read_file".into(),
            ));
        }
        let mut entries = Vec::new();
        let mut truncated = false;
        walk(
            &dir,
            args.recursive,
            super::walk::SKIP_GIT,
            |p| root.is_protected(p),
            |entry| {
                if entries.len() == max {
                    truncated = true;
                    return ControlFlow::Break(());
                }
                entries.push(json!({
                    "path": display(&root, &entry.path),
                    "kind": entry.kind.as_str(),
                    "size": if entry.kind == Kind::File { entry.size } else { None },
                }));
                ControlFlow::Continue(())
            },
        )?;
        Ok(json!({"entries": entries, "truncated": truncated}))
    })
    .await
}
