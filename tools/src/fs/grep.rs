//! `grep_files`: regex search over the workspace's text files.
//!
//! The `regex` crate runs in linear time, so a hostile pattern cannot hang
//! the host; the byte, file and match budgets bound the rest.

use std::fs::File;
use std::ops::ControlFlow;
use std::path::Path;

use agent_containment::ContainedRoot;
use globset::{GlobBuilder, GlobMatcher};
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use serde_json::{json, Value};

use super::walk::{walk, Kind};
use super::{blocking, display, open_pinned, read_capped, regular, MAX_TEXT_BYTES};
use crate::error::io_error;
use crate::{ToolContext, ToolError, ToolSpec};

const DEFAULT_MATCHES: u64 = 200;
const MAX_MATCHES: u64 = 2000;
/// Total bytes read per call, so a huge tree cannot keep the host busy.
const MAX_BYTES_SCANNED: u64 = 64 * 1024 * 1024;
/// Directory entries visited per call, for the same reason.
const MAX_ENTRIES_VISITED: usize = 100_000;
/// Longest pattern or glob accepted.
const MAX_PATTERN_LEN: usize = 4096;
/// Compiled-regex size limit.
const REGEX_SIZE_LIMIT: usize = 8 * 1024 * 1024;
/// Matched lines longer than this are cut (minified files would flood the
/// model's context).
const MAX_LINE_CHARS: usize = 500;

pub(crate) fn spec() -> ToolSpec {
    ToolSpec {
        name: "grep_files",
        description: "Search text files inside the workspace for a regular expression (Rust \
            regex syntax, matched per line). `path` (default the workspace root) may be a \
            directory (searched recursively) or a file. `glob` filters files: without a '/' \
            it matches the file name (e.g. \"*.rs\"), with one it matches the path relative \
            to the workspace root (e.g. \"src/**/*.rs\"). `max_matches` defaults to 200 (at \
            most 2000). Returns {matches: [{path, line, text}], truncated}; line is 1-based. \
            Binary, non-UTF-8 and >1 MiB files are skipped, symlinks and .git are not \
            followed, and the total bytes scanned are limited (truncated is then true).",
        parameters: json!({
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "description": "Regular expression."},
                "path": {"type": "string", "description": "Directory or file relative to the workspace root (default \".\")."},
                "glob": {"type": "string", "description": "File filter, e.g. \"*.rs\" or \"src/**/*.ts\"."},
                "max_matches": {"type": "integer", "minimum": 1, "maximum": MAX_MATCHES, "description": "Maximum matches to return (default 200)."}
            },
            "required": ["pattern"],
            "additionalProperties": false
        }),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    pattern: String,
    path: Option<String>,
    glob: Option<String>,
    max_matches: Option<u64>,
}

/// A file filter and what it is matched against.
struct Filter {
    matcher: GlobMatcher,
    whole_path: bool,
}

impl Filter {
    fn new(glob: &str) -> Result<Self, ToolError> {
        if glob.len() > MAX_PATTERN_LEN {
            return Err(ToolError::InvalidArguments("glob is too long".into()));
        }
        let matcher = GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .map_err(|e| ToolError::InvalidArguments(format!("invalid glob: {e}")))?
            .compile_matcher();
        Ok(Self {
            matcher,
            whole_path: glob.contains('/'),
        })
    }

    fn accepts(&self, root: &ContainedRoot, path: &Path) -> bool {
        if self.whole_path {
            path.strip_prefix(root.root())
                .is_ok_and(|rel| self.matcher.is_match(rel))
        } else {
            path.file_name()
                .is_some_and(|name| self.matcher.is_match(Path::new(name)))
        }
    }
}

/// Accumulated results and budgets.
struct Search {
    regex: Regex,
    max_matches: usize,
    matches: Vec<Value>,
    bytes_scanned: u64,
    truncated: bool,
}

pub(crate) async fn run(ctx: &ToolContext, arguments: &str) -> Result<Value, ToolError> {
    let args: Args = crate::args::parse(arguments)?;
    if args.pattern.len() > MAX_PATTERN_LEN {
        return Err(ToolError::InvalidArguments("pattern is too long".into()));
    }
    let regex = RegexBuilder::new(&args.pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| ToolError::InvalidArguments(format!("invalid regex: {e}")))?;
    let filter = args.glob.as_deref().map(Filter::new).transpose()?;
    let max = crate::args::bounded(
        args.max_matches,
        DEFAULT_MATCHES,
        MAX_MATCHES,
        "max_matches",
    )?;
    let mut search = Search {
        regex,
        max_matches: usize::try_from(max).unwrap_or(usize::MAX),
        matches: Vec::new(),
        bytes_scanned: 0,
        truncated: false,
    };
    let root = ctx.root.clone();
    blocking(move || {
        // Pinned: the walk (or the one file) is the one that passed the checks.
        let start = root.pin_existing(args.path.as_deref().unwrap_or("."))?;
        if !start.path().is_dir() {
            // An explicitly named file is searched even if the glob would not match.
            // One file: stopping early or not, the result is the same.
            if let Ok(opened) = open_pinned(&start) {
                let _ = search.file(&root, start.real(), opened);
            }
        } else {
            let mut visited = 0usize;
            walk(
                &start,
                true,
                super::walk::SKIP_GIT,
                |p| root.is_protected(p),
                |entry| {
                    visited += 1;
                    if visited > MAX_ENTRIES_VISITED {
                        search.truncated = true;
                        return ControlFlow::Break(());
                    }
                    if entry.kind != Kind::File
                        || entry.size.is_some_and(|s| s > MAX_TEXT_BYTES)
                        || filter
                            .as_ref()
                            .is_some_and(|f| !f.accepts(&root, &entry.path))
                    {
                        return ControlFlow::Continue(());
                    }
                    match entry.open().map_err(|e| io_error(&e)).and_then(regular) {
                        Ok(opened) => search.file(&root, &entry.path, opened),
                        Err(_) => ControlFlow::Continue(()),
                    }
                },
            )?;
        }
        Ok(json!({"matches": search.matches, "truncated": search.truncated}))
    })
    .await
}

impl Search {
    /// Searches one file; unreadable, binary and oversized files are skipped.
    fn file(&mut self, root: &ContainedRoot, path: &Path, opened: (File, u64)) -> ControlFlow<()> {
        let (file, len) = opened;
        if self.bytes_scanned.saturating_add(len) > MAX_BYTES_SCANNED {
            self.truncated = true;
            return ControlFlow::Break(());
        }
        let Ok(bytes) = read_capped(file, len) else {
            return ControlFlow::Continue(());
        };
        self.bytes_scanned += bytes.len() as u64;
        if bytes.contains(&0) {
            return ControlFlow::Continue(());
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            return ControlFlow::Continue(());
        };
        for (index, line) in text.lines().enumerate() {
            if !self.regex.is_match(line) {
                continue;
            }
            if self.matches.len() == self.max_matches {
                self.truncated = true;
                return ControlFlow::Break(());
            }
            self.matches.push(json!({
                "path": display(root, path),
                "line": index + 1,
                "text": cut(line),
            }));
        }
        ControlFlow::Continue(())
    }
}

/// The first `MAX_LINE_CHARS` characters of `line`.
fn cut(line: &str) -> &str {
    match line.char_indices().nth(MAX_LINE_CHARS) {
        Some((end, _)) => &line[..end],
        None => line,
    }
}
