//! Turns UI message stream chunks into terminal output: the answer's text
//! on stdout (so `agent-host run … > answer.txt` captures just the answer),
//! tool activity on stderr. The renderer only reports what the run loop
//! must act on; it never talks to the host.

use std::collections::HashMap;
use std::io::Write;

use serde_json::Value;

/// What a chunk asks of the run loop.
#[derive(Debug, PartialEq)]
pub enum Step {
    Continue,
    /// A tool call waits for a yes/no.
    Approval {
        approval_id: String,
        question: String,
    },
    /// `error` chunk: the provider or the stream failed.
    Error(String),
    /// `finish` chunk.
    Finished,
    /// `abort` chunk.
    Aborted,
}

pub struct Renderer<O: Write, E: Write> {
    out: O,
    err: E,
    /// toolCallId → (tool name, compact input) for outcome lines and questions.
    tools: HashMap<String, (String, String)>,
    /// Whether stdout's last byte was something other than a newline, so a
    /// stderr line does not land in the middle of the answer's line.
    mid_line: bool,
}

impl<O: Write, E: Write> Renderer<O, E> {
    pub fn new(out: O, err: E) -> Self {
        Self {
            out,
            err,
            tools: HashMap::new(),
            mid_line: false,
        }
    }

    /// Renders one chunk (the JSON of a `data:` frame).
    pub fn chunk(&mut self, chunk: &Value) -> Step {
        let field = |name: &str| chunk[name].as_str().unwrap_or_default();
        match field("type") {
            "text-delta" => {
                let delta = field("delta");
                let _ = self.out.write_all(delta.as_bytes());
                let _ = self.out.flush();
                if !delta.is_empty() {
                    self.mid_line = !delta.ends_with('\n');
                }
                Step::Continue
            }
            "tool-input-available" | "tool-input-error" => {
                let name = field("toolName").to_owned();
                let input = compact(&chunk["input"]);
                self.line(&format!("⚙ {name} {input}"));
                if chunk["type"] == "tool-input-error" {
                    self.line(&format!("  ✗ {name}: {}", field("errorText")));
                }
                self.tools
                    .insert(field("toolCallId").to_owned(), (name, input));
                Step::Continue
            }
            "tool-approval-request" => {
                let (name, input) = self.tool(field("toolCallId"));
                self.break_line();
                Step::Approval {
                    approval_id: field("approvalId").to_owned(),
                    question: format!("Allow {name} {input}?"),
                }
            }
            "tool-output-available" => {
                let (name, _) = self.tool(field("toolCallId"));
                self.line(&format!("  ✓ {name}"));
                Step::Continue
            }
            "tool-output-error" => {
                let (name, _) = self.tool(field("toolCallId"));
                self.line(&format!("  ✗ {name}: {}", field("errorText")));
                Step::Continue
            }
            "tool-output-denied" => {
                self.line("  ⊘ denied");
                Step::Continue
            }
            "error" => {
                self.break_line();
                Step::Error(field("errorText").to_owned())
            }
            "finish" => Step::Finished,
            "abort" => Step::Aborted,
            _ => Step::Continue,
        }
    }

    /// Ends the answer's last line, if it is open.
    pub fn finish(&mut self) {
        self.break_line();
    }

    /// A note on stderr (approval answers, abort notices).
    pub fn note(&mut self, text: &str) {
        self.line(text);
    }

    fn tool(&self, call_id: &str) -> (String, String) {
        self.tools
            .get(call_id)
            .cloned()
            .unwrap_or_else(|| ("tool".to_owned(), String::new()))
    }

    fn line(&mut self, text: &str) {
        self.break_line();
        let _ = writeln!(self.err, "{text}");
        let _ = self.err.flush();
    }

    fn break_line(&mut self) {
        if self.mid_line {
            let _ = writeln!(self.out);
            let _ = self.out.flush();
            self.mid_line = false;
        }
    }
}

/// One-line JSON, cut so a large `write_file` body does not flood the terminal.
fn compact(input: &Value) -> String {
    const LIMIT: usize = 200;
    let text = input.to_string();
    if text.chars().count() <= LIMIT {
        return text;
    }
    let cut: String = text.chars().take(LIMIT).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(chunks: &[Value]) -> (String, String, Vec<Step>) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let steps = {
            let mut r = Renderer::new(&mut out, &mut err);
            let steps = chunks.iter().map(|c| r.chunk(c)).collect();
            r.finish();
            steps
        };
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
            steps,
        )
    }

    #[test]
    fn text_goes_to_stdout_and_tools_to_stderr() {
        let (out, err, steps) = render(&[
            json!({"type":"text-delta","id":"t","delta":"Let me "}),
            json!({"type":"text-delta","id":"t","delta":"look."}),
            json!({"type":"tool-input-available","toolCallId":"c1","toolName":"read_file","input":{"path":"a.txt"}}),
            json!({"type":"tool-output-available","toolCallId":"c1","output":{}}),
            json!({"type":"tool-input-available","toolCallId":"c2","toolName":"write_file","input":{"path":"b"}}),
            json!({"type":"tool-approval-request","toolCallId":"c2","approvalId":"apr_1"}),
            json!({"type":"tool-output-denied","toolCallId":"c2"}),
            json!({"type":"tool-input-available","toolCallId":"c3","toolName":"read_file","input":{"path":"../x"}}),
            json!({"type":"tool-output-error","toolCallId":"c3","errorText":"path not allowed"}),
            json!({"type":"text-delta","id":"t2","delta":"Done."}),
            json!({"type":"finish","finishReason":"stop"}),
        ]);
        assert_eq!(out, "Let me look.\nDone.\n");
        assert_eq!(
            err,
            "⚙ read_file {\"path\":\"a.txt\"}\n  ✓ read_file\n⚙ write_file {\"path\":\"b\"}\n  ⊘ denied\n⚙ read_file {\"path\":\"../x\"}\n  ✗ read_file: path not allowed\n"
        );
        assert_eq!(
            steps[5],
            Step::Approval {
                approval_id: "apr_1".into(),
                question: "Allow write_file {\"path\":\"b\"}?".into()
            }
        );
        assert_eq!(steps[10], Step::Finished);
    }

    #[test]
    fn errors_and_aborts_are_reported() {
        let (_, _, steps) = render(&[
            json!({"type":"error","errorText":"upstream overloaded"}),
            json!({"type":"abort","reason":"x"}),
            json!({"type":"something-new"}),
        ]);
        assert_eq!(
            steps,
            vec![
                Step::Error("upstream overloaded".into()),
                Step::Aborted,
                Step::Continue
            ]
        );
    }

    #[test]
    fn long_inputs_are_cut() {
        let long = compact(&json!({"content": "x".repeat(1000)}));
        assert!(long.chars().count() <= 201 && long.ends_with('…'));
    }
}
