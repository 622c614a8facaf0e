//! The two tools a document session's turns get, scoped to that one file
//! whether or not it lies in a workspace (docs/rfc/live-documents.md):
//! `read_document` and `edit_document`. Pure text work here (specs,
//! argument checks, line windows, exact-match edits); the agent loop reads
//! and writes the file through `Documents`, with the same atomic write and
//! version check as a window's Save.

use serde::Deserialize;
use serde_json::{json, Value};

/// Lines `read_document` returns per call at most.
pub const MAX_READ_LINES: usize = 2000;
/// Bytes of text `read_document` returns per call at most.
pub const MAX_READ_BYTES: usize = 256 * 1024;

pub const READ: &str = "read_document";
pub const EDIT: &str = "edit_document";

/// The tool specs, as `(name, description, JSON Schema)`.
pub fn specs() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            READ,
            "Read the document open in the user's window (the one this session belongs to). \
             Lines are numbered from 1; give from_line/to_line to read part of a large \
             document. Returns {name, version, total_lines, from_line, to_line, truncated, \
             content} where content has each line prefixed with its number and a tab.",
            json!({
                "type": "object",
                "properties": {
                    "from_line": {"type": "integer", "minimum": 1, "description": "First line to read (default 1)."},
                    "to_line": {"type": "integer", "minimum": 1, "description": "Last line to read, inclusive (default: the end)."}
                },
                "additionalProperties": false
            }),
        ),
        (
            EDIT,
            "Edit the document open in the user's window. Either `edits`: exact-match \
             replacements applied in order, each `old` occurring exactly once in the text as \
             it is after the previous edits (include enough context to make it unique); or \
             `content`: the whole new text. The window shows the change at once. Returns \
             {version, replacements, total_lines}.",
            json!({
                "type": "object",
                "properties": {
                    "edits": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "properties": {
                                "old": {"type": "string", "description": "Exact text to replace (not a regex)."},
                                "new": {"type": "string", "description": "Replacement text."}
                            },
                            "required": ["old", "new"],
                            "additionalProperties": false
                        }
                    },
                    "content": {"type": "string", "description": "The complete new text."}
                },
                "additionalProperties": false
            }),
        ),
    ]
}

/// A refusal the model gets back, with the stable code tools use.
#[derive(Debug, PartialEq, Eq)]
pub struct ToolRefusal {
    pub code: &'static str,
    pub message: String,
}

impl ToolRefusal {
    fn invalid(message: impl Into<String>) -> Self {
        ToolRefusal {
            code: "invalid_arguments",
            message: message.into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadArgs {
    from_line: Option<usize>,
    to_line: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditArgs {
    edits: Option<Vec<Edit>>,
    content: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    old: String,
    new: String,
}

fn parse<T: serde::de::DeserializeOwned>(arguments: &str) -> Result<T, ToolRefusal> {
    let arguments = if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    };
    serde_json::from_str(arguments).map_err(|e| ToolRefusal::invalid(format!("bad arguments: {e}")))
}

/// `read_document`'s answer for `text`.
pub fn read(name: &str, version: &str, text: &str, arguments: &str) -> Result<Value, ToolRefusal> {
    let args: ReadArgs = parse(arguments)?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let total = lines.len();
    let from = args.from_line.unwrap_or(1).max(1);
    let to = args.to_line.unwrap_or(total).min(total);
    if args.to_line.is_some_and(|to| to < from) {
        return Err(ToolRefusal::invalid("to_line is before from_line"));
    }
    if from > total.max(1) {
        return Err(ToolRefusal::invalid(format!(
            "from_line {from} is past the end ({total} lines)"
        )));
    }
    let mut content = String::new();
    let mut last = from.saturating_sub(1);
    for (index, line) in lines.iter().enumerate().take(to).skip(from - 1) {
        let numbered = format!("{}\t{}", index + 1, line);
        if last + 1 - from >= MAX_READ_LINES || content.len() + numbered.len() > MAX_READ_BYTES {
            break;
        }
        content.push_str(&numbered);
        last = index + 1;
    }
    if !content.is_empty() && !content.ends_with('\n') {
        content.push('\n');
    }
    Ok(json!({
        "name": name,
        "version": version,
        "total_lines": total,
        "from_line": from,
        "to_line": last,
        "truncated": last < to,
        "content": content,
    }))
}

/// The text after `edit_document`'s arguments, with the number of
/// replacements (0 for a whole-content replace).
pub fn edit(text: &str, arguments: &str) -> Result<(String, usize), ToolRefusal> {
    let args: EditArgs = parse(arguments)?;
    match (args.edits, args.content) {
        (Some(_), Some(_)) | (None, None) => Err(ToolRefusal::invalid(
            "give either edits or content, not both or neither",
        )),
        (None, Some(content)) => Ok((content, 0)),
        (Some(edits), None) => {
            let mut text = text.to_owned();
            for (n, edit) in edits.iter().enumerate() {
                if edit.old.is_empty() {
                    return Err(ToolRefusal::invalid(format!(
                        "edit {n}: old must not be empty"
                    )));
                }
                match text.matches(edit.old.as_str()).count() {
                    0 => {
                        return Err(ToolRefusal {
                            code: "not_found",
                            message: format!("edit {n}: old does not occur in the document"),
                        })
                    }
                    1 => text = text.replacen(edit.old.as_str(), &edit.new, 1),
                    count => {
                        return Err(ToolRefusal {
                            code: "ambiguous",
                            message: format!(
                                "edit {n}: old occurs {count} times; add surrounding context"
                            ),
                        })
                    }
                }
            }
            Ok((text, edits.len()))
        }
    }
}

/// The window's selection as the model sees it: the selected text quoted
/// with its line numbers. `from`/`to` are UTF-16 offsets (CodeMirror's),
/// clamped to the text; `None` for an empty selection.
pub fn quote_selection(text: &str, from: usize, to: usize) -> Option<String> {
    let (from, to) = (from.min(to), from.max(to));
    let start = byte_offset(text, from);
    let end = byte_offset(text, to);
    if start == end {
        return None;
    }
    let first_line = text[..start].matches('\n').count() + 1;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let mut quoted = String::new();
    for (n, line) in text[line_start..line_end].split('\n').enumerate() {
        quoted.push_str(&format!("{}\t{}\n", first_line + n, line));
    }
    Some(format!(
        "The user selected this part of the document (lines {}–{}; the selection is \
         `{}`):\n{}",
        first_line,
        first_line + text[line_start..line_end].matches('\n').count(),
        text[start..end].replace('`', "\\`"),
        quoted
    ))
}

/// The byte offset of UTF-16 offset `units` in `text` (clamped).
fn byte_offset(text: &str, units: usize) -> usize {
    let mut seen = 0;
    for (byte, ch) in text.char_indices() {
        if seen >= units {
            return byte;
        }
        seen += ch.len_utf16();
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# Plan\n\nOne.\nTwo.\nThree.\n";

    #[test]
    fn read_numbers_lines_and_windows() {
        let all = read("plan.md", "v1", TEXT, "{}").unwrap();
        assert_eq!(all["total_lines"], 5);
        assert_eq!(
            all["content"],
            "1\t# Plan\n2\t\n3\tOne.\n4\tTwo.\n5\tThree.\n"
        );
        assert_eq!(all["truncated"], false);
        let part = read("plan.md", "v1", TEXT, r#"{"from_line": 3, "to_line": 4}"#).unwrap();
        assert_eq!(part["content"], "3\tOne.\n4\tTwo.\n");
        assert_eq!(part["to_line"], 4);
        let cases = [
            r#"{"from_line": 9}"#,
            r#"{"from_line": 4, "to_line": 2}"#,
            r#"{"lines": 2}"#,
            "not json",
        ];
        for bad in cases {
            assert_eq!(
                read("p", "v", TEXT, bad).unwrap_err().code,
                "invalid_arguments",
                "{bad}"
            );
        }
        let empty = read("empty.md", "v", "", "").unwrap();
        assert_eq!(empty["total_lines"], 0);
        assert_eq!(empty["content"], "");
    }

    #[test]
    fn read_stops_at_its_limits_and_says_so() {
        let long: String = (0..5000).map(|n| format!("line {n}\n")).collect();
        let first = read("big", "v", &long, "{}").unwrap();
        assert_eq!(first["to_line"], MAX_READ_LINES);
        assert_eq!(first["truncated"], true);
        let wide = "x".repeat(200_000) + "\n" + &"y".repeat(200_000) + "\n";
        let one = read("wide", "v", &wide, "{}").unwrap();
        assert_eq!(one["to_line"], 1);
        assert_eq!(one["truncated"], true);
    }

    #[test]
    fn edits_apply_in_order_and_refuse_missing_or_ambiguous_text() {
        let (text, n) = edit(
            TEXT,
            r#"{"edits": [{"old": "One.", "new": "Uno."}, {"old": "Uno.\nTwo.", "new": "Both."}]}"#,
        )
        .unwrap();
        assert_eq!(text, "# Plan\n\nBoth.\nThree.\n");
        assert_eq!(n, 2);
        let (text, n) = edit(TEXT, r#"{"content": "new"}"#).unwrap();
        assert_eq!((text.as_str(), n), ("new", 0));

        let cases = [
            (r#"{"edits": [{"old": "Four.", "new": "x"}]}"#, "not_found"),
            (r#"{"edits": [{"old": ".", "new": "x"}]}"#, "ambiguous"),
            (
                r#"{"edits": [{"old": "", "new": "x"}]}"#,
                "invalid_arguments",
            ),
            (r#"{"edits": [], "content": "x"}"#, "invalid_arguments"),
            ("{}", "invalid_arguments"),
            (
                r#"{"edits": [{"old": "One.", "new": "x", "all": true}]}"#,
                "invalid_arguments",
            ),
        ];
        for (args, code) in cases {
            assert_eq!(edit(TEXT, args).unwrap_err().code, code, "{args}");
        }
    }

    #[test]
    fn a_selection_is_quoted_with_its_lines() {
        // "One.\nTw" selected: lines 3 and 4.
        let from = TEXT.find("One.").unwrap();
        let quoted = quote_selection(TEXT, from, from + 7).unwrap();
        assert!(quoted.contains("lines 3–4"), "{quoted}");
        assert!(quoted.ends_with("3\tOne.\n4\tTwo.\n"), "{quoted}");
        assert_eq!(quote_selection(TEXT, 4, 4), None);
        // UTF-16 offsets: "é" is one unit, "😀" two.
        let text = "é😀x\nnext\n";
        let quoted = quote_selection(text, 3, 4).unwrap();
        assert!(quoted.contains("`x`"), "{quoted}");
        assert!(quote_selection(text, 0, 1_000).unwrap().contains("2\tnext"));
    }
}
