//! `write_file`: create or replace a file atomically.

use std::path::{Path, PathBuf};

use agent_containment::{ContainedRoot, ContainmentError};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{blocking, display, write_text};
use crate::changes::{current, FileContent};
use crate::error::io_error;
use crate::{ToolContext, ToolError, ToolSpec};

pub(crate) fn spec() -> ToolSpec {
    ToolSpec {
        name: "write_file",
        description: "Create or overwrite a text file inside the workspace with `content`. \
            `path` is relative to the workspace root; missing parent directories are \
            created. The write is atomic and an existing file keeps its permissions. \
            Returns {path, bytes}.",
        parameters: json!({
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "File path relative to the workspace root."},
                "content": {"type": "string", "description": "The complete new file content."}
            },
            "required": ["path", "content"],
            "additionalProperties": false
        }),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    path: String,
    content: String,
}

pub(crate) async fn run(ctx: &ToolContext, arguments: &str) -> Result<Value, ToolError> {
    let args: Args = crate::args::parse(arguments)?;
    let root = ctx.root.clone();
    let observer = ctx.observer.clone();
    blocking(move || {
        let target = match root.resolve_for_write(&args.path) {
            Err(ContainmentError::NotFound) => {
                create_parents(&root, &args.path)?;
                root.resolve_for_write(&args.path)?
            }
            other => other?,
        };
        // The write goes into the checked directory, held open, through an
        // in-workspace symlink rather than over it.
        let pinned = root.pin_write_target(&target.to_string_lossy())?;
        if pinned.path().is_dir() {
            return Err(ToolError::InvalidArguments("path is a directory".into()));
        }
        let before = current(&pinned);
        write_text(&pinned.path(), &args.content)?;
        observer.tell(
            pinned.real(),
            before,
            FileContent::Text(args.content.clone()),
        );
        Ok(json!({"path": display(&root, pinned.real()), "bytes": args.content.len()}))
    })
    .await
}

/// Creates the missing parent directories of `client_path` one level at a
/// time. Each new directory is itself resolved with `resolve_for_write`, so
/// its (existing) parent is proven to be inside the root before `mkdir`; a
/// prefix that escapes (e.g. through a symlink) stops everything.
fn create_parents(root: &ContainedRoot, client_path: &str) -> Result<(), ToolError> {
    let path = Path::new(client_path);
    // resolve_for_write already did the lexical checks (no NUL, no `..`,
    // absolute only under the root), so this cannot fail for a path that
    // reached here; refuse anyway rather than assume.
    let relative = if path.is_absolute() {
        path.strip_prefix(root.root())
            .map_err(|_| ToolError::PathNotAllowed("path resolves outside the workspace".into()))?
    } else {
        path
    };
    let Some(parent) = relative.parent() else {
        return Ok(());
    };
    let mut prefix = PathBuf::new();
    for component in parent.components() {
        prefix.push(component);
        let prefix_text = prefix.to_string_lossy();
        match root.resolve_existing(&prefix_text) {
            Ok(existing) if existing.is_dir() => continue,
            Ok(_) => {
                return Err(ToolError::InvalidArguments(
                    "a parent of the path is not a directory".into(),
                ))
            }
            Err(ContainmentError::NotFound) => {
                // Pinned: the new directory goes into the checked parent.
                let dir = root.pin_for_write(&prefix_text)?;
                match std::fs::create_dir(dir.path()) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(io_error(&e)),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
