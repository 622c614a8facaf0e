//! Renders script steps as the SSE frames real providers send.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{json, Value};

use super::script::Scripted;

/// The per-response chunk envelope (`id`, `created`, `model`) and whether
/// the `role` has been sent yet (providers send it on the first delta).
pub(crate) struct FrameWriter {
    id: String,
    created: u64,
    model: String,
    role_sent: bool,
}

impl FrameWriter {
    pub(crate) fn new(sequence: usize, model: String) -> Self {
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        Self {
            id: format!("chatcmpl-scripted-{sequence}"),
            created,
            model,
            role_sent: false,
        }
    }

    /// The frames of one step. Timing steps (`Delay`, `Stall`, `Deltas`)
    /// are the body's business and render as nothing here.
    pub(crate) fn frames(&mut self, step: &Scripted) -> Vec<Bytes> {
        match step {
            Scripted::Text { text } => vec![self.text(text)],
            Scripted::Reasoning { text } => vec![self.delta(json!({ "reasoning": text }), None)],
            Scripted::ToolCall {
                index,
                id,
                name,
                arguments,
                pieces,
            } => {
                let mut frames = vec![self.delta(
                    json!({"tool_calls": [{
                        "index": index, "id": id, "type": "function",
                        "function": {"name": name, "arguments": ""}
                    }]}),
                    None,
                )];
                for piece in split(arguments, *pieces) {
                    frames.push(self.arguments(*index, piece));
                }
                frames
            }
            Scripted::ToolCallArgs { index, arguments } => vec![self.arguments(*index, arguments)],
            Scripted::Finish { reason } => vec![self.delta(json!({}), Some(reason))],
            Scripted::Usage { input, output } => vec![self.data(&json!({
                "id": self.id, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model, "choices": [],
                "usage": {"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output}
            }))],
            Scripted::UsageCost {
                input,
                output,
                cost,
            } => vec![self.data(&json!({
                "id": self.id, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model, "choices": [],
                "usage": {"prompt_tokens": input, "completion_tokens": output,
                          "total_tokens": input + output, "cost": cost}
            }))],
            Scripted::ErrorObject { message } => {
                vec![self.data(&json!({"error": {"message": message, "code": 502}}))]
            }
            Scripted::Comment => vec![Bytes::from_static(b": PROCESSING\n\n")],
            Scripted::Done => vec![Bytes::from_static(b"data: [DONE]\n\n")],
            Scripted::Raw { text } => vec![Bytes::from(text.clone())],
            Scripted::Delay { .. }
            | Scripted::Stall
            | Scripted::Deltas { .. }
            | Scripted::Clock { .. } => Vec::new(),
        }
    }

    /// One content chunk (also used for `Deltas`).
    pub(crate) fn text(&mut self, text: &str) -> Bytes {
        self.delta(json!({ "content": text }), None)
    }

    fn arguments(&mut self, index: u32, arguments: &str) -> Bytes {
        self.delta(
            json!({"tool_calls": [{"index": index, "function": {"arguments": arguments}}]}),
            None,
        )
    }

    fn delta(&mut self, mut delta: Value, finish_reason: Option<&str>) -> Bytes {
        if !self.role_sent {
            self.role_sent = true;
            if let Value::Object(fields) = &mut delta {
                fields.insert("role".to_owned(), json!("assistant"));
            }
        }
        self.data(&json!({
            "id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
        }))
    }

    fn data(&self, chunk: &Value) -> Bytes {
        Bytes::from(format!("data: {chunk}\n\n"))
    }
}

/// Splits `text` into `pieces` nearly equal parts on character boundaries
/// (fewer if it has fewer characters; none if it is empty).
fn split(text: &str, pieces: usize) -> Vec<&str> {
    let chars = text.chars().count();
    if chars == 0 {
        return Vec::new();
    }
    let pieces = pieces.clamp(1, chars);
    let boundaries: Vec<usize> = text
        .char_indices()
        .map(|(at, _)| at)
        .chain(std::iter::once(text.len()))
        .collect();
    (0..pieces)
        .map(|i| &text[boundaries[i * chars / pieces]..boundaries[(i + 1) * chars / pieces]])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_the_text() {
        for pieces in 0..12 {
            let parts = split("{\"é\":1}", pieces);
            assert_eq!(parts.concat(), "{\"é\":1}");
            assert!(parts.iter().all(|p| !p.is_empty()));
        }
        assert!(split("", 3).is_empty());
        assert_eq!(split("abcdef", 3), vec!["ab", "cd", "ef"]);
    }

    #[test]
    fn first_delta_carries_the_role() {
        let mut writer = FrameWriter::new(1, "m".into());
        let first = writer.text("a");
        let second = writer.text("b");
        assert!(std::str::from_utf8(&first)
            .unwrap()
            .contains("\"role\":\"assistant\""));
        assert!(!std::str::from_utf8(&second).unwrap().contains("role"));
    }
}
