//! `edit_file`: exact string replacement, so the model never rewrites a
//! whole file to change one line.

use serde::Deserialize;
use serde_json::{json, Value};

use super::{blocking, display, read_text, write_text};
use crate::changes::FileContent;
use crate::{ToolContext, ToolError, ToolSpec};

pub(crate) fn spec() -> ToolSpec {
    ToolSpec {
        name: "edit_file",
        description: "Replace an exact string in a UTF-8 text file inside the workspace. \
            `old_string` must occur exactly once unless `replace_all` is true; include enough \
            surrounding context to make it unique. Zero matches is a not_found error and \
            several matches without `replace_all` is an ambiguous error that says how many. \
            The write is atomic. Returns {path, replacements}.",
        parameters: json!({
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "File path relative to the workspace root."},
                "old_string": {"type": "string", "description": "Exact text to replace (not a regex)."},
                "new_string": {"type": "string", "description": "Replacement text."},
                "replace_all": {"type": "boolean", "description": "Replace every occurrence (default false)."}
            },
            "required": ["path", "old_string", "new_string"],
            "additionalProperties": false
        }),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    path: String,
    old_string: String,
    new_string: String,
    #[serde(default)]
    replace_all: bool,
}

pub(crate) async fn run(ctx: &ToolContext, arguments: &str) -> Result<Value, ToolError> {
    let args: Args = crate::args::parse(arguments)?;
    if args.old_string.is_empty() {
        return Err(ToolError::InvalidArguments(
            "old_string must not be empty; use write_file to create a file".into(),
        ));
    }
    if args.old_string == args.new_string {
        return Err(ToolError::InvalidArguments(
            "old_string and new_string are identical".into(),
        ));
    }
    let root = ctx.root.clone();
    let observer = ctx.observer.clone();
    blocking(move || {
        // Read the checked inode; write by replacing its name inside the
        // checked directory (a rename never follows a symlink).
        let file = root.pin_existing(&args.path)?;
        let path = file.real().to_path_buf();
        let text = read_text(&file)?;
        let target = root.pin_for_write(&path.to_string_lossy())?;
        let count = text.matches(args.old_string.as_str()).count();
        match count {
            0 => {
                return Err(ToolError::NotFound(
                    "old_string does not occur in the file".into(),
                ))
            }
            1 => {}
            n if !args.replace_all => {
                return Err(ToolError::Ambiguous(format!(
                    "old_string occurs {n} times; add surrounding context to make it unique \
                     or set replace_all"
                )))
            }
            _ => {}
        }
        let updated = text.replace(args.old_string.as_str(), &args.new_string);
        write_text(&target.path(), &updated)?;
        observer.tell(&path, FileContent::Text(text), FileContent::Text(updated));
        Ok(json!({"path": display(&root, &path), "replacements": count}))
    })
    .await
}
