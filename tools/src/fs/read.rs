//! `read_file`: a window of lines from a UTF-8 text file.

use serde::Deserialize;
use serde_json::{json, Value};

use super::{blocking, display, read_text};
use crate::{ToolContext, ToolError, ToolSpec};

pub(crate) fn spec() -> ToolSpec {
    ToolSpec {
        name: "read_file",
        description: "Read a UTF-8 text file inside the workspace. `path` is relative to the \
            workspace root. Optional `offset_line` (1-based, default 1) and `limit_lines` \
            (default: to the end) select a window of lines. Returns {path, content, \
            total_lines, truncated}; `truncated` is true when lines after the window were \
            left out. Files over 1 MiB and non-UTF-8 (binary) files are refused.",
        parameters: json!({
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "File path relative to the workspace root."},
                "offset_line": {"type": "integer", "minimum": 1, "description": "First line to return, 1-based."},
                "limit_lines": {"type": "integer", "minimum": 1, "description": "Maximum number of lines to return."}
            },
            "required": ["path"],
            "additionalProperties": false
        }),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    path: String,
    offset_line: Option<u64>,
    limit_lines: Option<u64>,
}

pub(crate) async fn run(ctx: &ToolContext, arguments: &str) -> Result<Value, ToolError> {
    let args: Args = crate::args::parse(arguments)?;
    let offset = match args.offset_line {
        None => 1,
        Some(0) => {
            return Err(ToolError::InvalidArguments(
                "offset_line is 1-based; it must be at least 1".into(),
            ))
        }
        Some(n) => n,
    };
    if args.limit_lines == Some(0) {
        return Err(ToolError::InvalidArguments(
            "limit_lines must be at least 1".into(),
        ));
    }
    let root = ctx.root.clone();
    blocking(move || {
        let pinned = root.pin_existing(&args.path)?;
        let path = pinned.real().to_path_buf();
        let text = read_text(&pinned)?;
        let window = window(&text, offset, args.limit_lines)?;
        Ok(json!({
            "path": display(&root, &path),
            "content": window.content,
            "total_lines": window.total_lines,
            "truncated": window.truncated,
        }))
    })
    .await
}

struct Window<'a> {
    content: &'a str,
    total_lines: u64,
    truncated: bool,
}

/// Selects lines `offset..offset+limit` (1-based), keeping line endings so
/// the model sees the file byte for byte.
fn window(text: &str, offset: u64, limit: Option<u64>) -> Result<Window<'_>, ToolError> {
    let total_lines = text.split_inclusive('\n').count() as u64;
    if offset > total_lines.max(1) {
        return Err(ToolError::InvalidArguments(format!(
            "offset_line {offset} is past the end of the file ({total_lines} lines)"
        )));
    }
    let mut start = None;
    let mut end = text.len();
    let mut truncated = false;
    let mut pos = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let number = index as u64 + 1;
        if number == offset {
            start = Some(pos);
        }
        if let Some(limit) = limit {
            if number == offset.saturating_add(limit) {
                end = pos;
                truncated = true;
                break;
            }
        }
        pos += line.len();
    }
    let start = start.unwrap_or(text.len());
    Ok(Window {
        content: &text[start..end],
        total_lines,
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::window;

    #[test]
    fn windows() {
        let text = "a\nb\nc\n";
        let w = window(text, 1, None).expect("all");
        assert_eq!((w.content, w.total_lines, w.truncated), (text, 3, false));
        let w = window(text, 2, Some(1)).expect("middle");
        assert_eq!((w.content, w.truncated), ("b\n", true));
        let w = window(text, 3, Some(5)).expect("tail");
        assert_eq!((w.content, w.truncated), ("c\n", false));
        let w = window("a\nb", 2, None).expect("no final newline");
        assert_eq!((w.content, w.total_lines), ("b", 2));
        let w = window("", 1, None).expect("empty");
        assert_eq!((w.content, w.total_lines), ("", 0));
        assert!(window(text, 4, None).is_err());
    }
}
