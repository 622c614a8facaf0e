//! Turns the `data` of each SSE event (a `chat.completion.chunk`, an error
//! object, or `[DONE]`) into [`StreamEvent`]s.
//!
//! The state kept across chunks is what the flat event model needs: which
//! tool-call indexes have started, the last `finish_reason` and the last
//! usage (some servers repeat usage on every chunk; the host wants it once).

use std::collections::HashSet;

use serde::Deserialize;

use crate::error::{scrub, ProviderError};
use crate::event::{FinishReason, StreamEvent};

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    choices: Option<Vec<Choice>>,
    #[serde(default)]
    usage: Option<Usage>,
}

/// The message and code of an `error` value: an object
/// `{"message","code"}` (OpenAI, OpenRouter) or a bare string (Ollama).
/// A numeric code (OpenRouter) is kept as text.
pub(crate) fn describe_error(error: &serde_json::Value) -> (Option<String>, Option<String>) {
    match error {
        serde_json::Value::String(message) => (Some(message.clone()), None),
        serde_json::Value::Object(fields) => {
            let message = fields.get("message").and_then(|m| match m {
                serde_json::Value::String(text) => Some(text.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            });
            let code = fields.get("code").and_then(|c| match c {
                serde_json::Value::String(text) => Some(text.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            });
            (message, code)
        }
        serde_json::Value::Null => (None, None),
        other => (Some(other.to_string()), None),
    }
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCallFragment>>,
}

#[derive(Deserialize)]
struct ToolCallFragment {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionFragment>,
}

#[derive(Deserialize)]
struct FunctionFragment {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

#[derive(Deserialize, Clone, Copy)]
struct Usage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    /// What the call cost, when the provider says (OpenRouter's
    /// `usage.cost`, in credits = US dollars).
    #[serde(default)]
    cost: Option<f64>,
}

/// What the caller should do after a chunk.
#[derive(Debug, PartialEq)]
pub(crate) enum Outcome {
    /// Keep reading.
    More,
    /// `[DONE]` arrived: the closing events were queued; stop reading.
    Done,
}

/// The cross-chunk state of one response.
#[derive(Default)]
pub(crate) struct ChunkInterpreter {
    started_tool_calls: HashSet<u32>,
    finish_reason: Option<String>,
    usage: Option<Usage>,
}

impl ChunkInterpreter {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Interprets one event's data, appending the resulting events to `out`.
    /// `key` is scrubbed out of provider error messages.
    pub(crate) fn accept(
        &mut self,
        data: &str,
        key: Option<&str>,
        out: &mut Vec<StreamEvent>,
    ) -> Result<Outcome, ProviderError> {
        if data.trim() == "[DONE]" {
            self.close(out);
            return Ok(Outcome::Done);
        }
        let chunk: Chunk = serde_json::from_str(data)
            .map_err(|err| ProviderError::Protocol(format!("a chunk is not valid JSON: {err}")))?;
        if let Some(error) = chunk.error.filter(|e| !e.is_null()) {
            let (message, code) = describe_error(&error);
            return Err(ProviderError::Api {
                message: scrub(message.as_deref().unwrap_or("unknown error"), key),
                code: code.map(|code| scrub(&code, key)),
            });
        }
        for choice in chunk.choices.unwrap_or_default() {
            // The host asks for one completion; other choices would only
            // come from a misconfigured `n`, and mixing them is worse.
            if choice.index != 0 {
                continue;
            }
            if let Some(delta) = choice.delta {
                self.delta(delta, out)?;
            }
            if let Some(reason) = choice.finish_reason.filter(|r| !r.is_empty()) {
                self.finish_reason = Some(reason);
            }
        }
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        Ok(Outcome::More)
    }

    /// At the end of the body without `[DONE]`: closes the stream if the
    /// provider said why it stopped, else reports the interruption.
    pub(crate) fn end_of_body(
        &mut self,
        cause: &str,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), ProviderError> {
        if self.finish_reason.is_none() {
            return Err(ProviderError::Interrupted(cause.to_owned()));
        }
        self.close(out);
        Ok(())
    }

    /// Usage (if any) then Finish. `[DONE]` without a `finish_reason` is
    /// still a clean end, so it finishes as `Stop`.
    fn close(&mut self, out: &mut Vec<StreamEvent>) {
        if let Some(usage) = self.usage.take() {
            out.push(StreamEvent::Usage {
                input_tokens: usage.prompt_tokens.unwrap_or(0),
                output_tokens: usage.completion_tokens.unwrap_or(0),
                cost: usage.cost.filter(|c| c.is_finite() && *c >= 0.0),
            });
        }
        let reason = self
            .finish_reason
            .take()
            .map_or(FinishReason::Stop, |r| FinishReason::from_wire(&r));
        out.push(StreamEvent::Finish { reason });
    }

    fn delta(&mut self, delta: Delta, out: &mut Vec<StreamEvent>) -> Result<(), ProviderError> {
        for reasoning in [delta.reasoning, delta.reasoning_content]
            .into_iter()
            .flatten()
        {
            if !reasoning.is_empty() {
                out.push(StreamEvent::ReasoningDelta(reasoning));
            }
        }
        if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
            out.push(StreamEvent::TextDelta(text));
        }
        for (position, fragment) in delta.tool_calls.unwrap_or_default().into_iter().enumerate() {
            // A few servers omit `index` when they send whole calls; their
            // position in the array is the only order there is.
            let index = fragment
                .index
                .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX));
            let (name, arguments) = match fragment.function {
                Some(function) => (function.name, function.arguments),
                None => (None, None),
            };
            if !self.started_tool_calls.contains(&index) {
                let Some(name) = name.filter(|n| !n.is_empty()) else {
                    return Err(ProviderError::Protocol(format!(
                        "tool call {index} continued before it was named"
                    )));
                };
                // Some local servers leave the id out; the host still
                // needs one to pair the tool result with the call.
                let id = fragment
                    .id
                    .filter(|id| !id.is_empty())
                    .unwrap_or_else(|| format!("call_{index}"));
                self.started_tool_calls.insert(index);
                out.push(StreamEvent::ToolCallStart { index, id, name });
            }
            if let Some(arguments) = arguments.filter(|a| !a.is_empty()) {
                out.push(StreamEvent::ToolCallDelta { index, arguments });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lines: &[&str]) -> (Vec<StreamEvent>, Result<Outcome, ProviderError>) {
        let mut interpreter = ChunkInterpreter::new();
        let mut out = Vec::new();
        let mut last = Ok(Outcome::More);
        for line in lines {
            last = interpreter.accept(line, Some("sk-key"), &mut out);
            if last.is_err() {
                break;
            }
        }
        (out, last)
    }

    #[test]
    fn usage_carries_openrouter_cost_when_reported() {
        let (events, _) = run(&[
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"cost":0.00042}}"#,
            "[DONE]",
        ]);
        assert_eq!(
            events[0],
            StreamEvent::Usage {
                input_tokens: 3,
                output_tokens: 2,
                cost: Some(0.00042),
            }
        );
        let (events, _) = run(&[
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"cost":-1}}"#,
            "[DONE]",
        ]);
        assert!(matches!(events[0], StreamEvent::Usage { cost: None, .. }));
    }

    #[test]
    fn text_reasoning_usage_and_finish() {
        let (events, outcome) = run(&[
            r#"{"id":"1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"reasoning":"think"}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"reasoning_content":"more"}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"Hi"}}]}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#,
            "[DONE]",
        ]);
        assert_eq!(outcome, Ok(Outcome::Done));
        assert_eq!(
            events,
            vec![
                StreamEvent::ReasoningDelta("think".into()),
                StreamEvent::ReasoningDelta("more".into()),
                StreamEvent::TextDelta("Hi".into()),
                StreamEvent::Usage {
                    input_tokens: 3,
                    output_tokens: 2,
                    cost: None,
                },
                StreamEvent::Finish {
                    reason: FinishReason::Stop
                },
            ]
        );
    }

    #[test]
    fn tool_call_fragments() {
        let (events, _) = run(&[
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"read","arguments":""}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\""}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"name":"x","arguments":"{}"}}]}}]}"#,
        ]);
        assert_eq!(
            events,
            vec![
                StreamEvent::ToolCallStart {
                    index: 0,
                    id: "c1".into(),
                    name: "read".into()
                },
                StreamEvent::ToolCallDelta {
                    index: 0,
                    arguments: "{\"a\"".into()
                },
                // No index: position 0, already started, so only arguments.
                StreamEvent::ToolCallDelta {
                    index: 0,
                    arguments: "{}".into()
                },
            ]
        );
        let (_, outcome) = run(&[
            r#"{"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{"}}]}}]}"#,
        ]);
        assert!(matches!(outcome, Err(ProviderError::Protocol(_))));
    }

    #[test]
    fn error_objects_are_api_errors_with_the_key_scrubbed() {
        let (_, outcome) = run(&[r#"{"error":{"message":"bad key sk-key","code":502}}"#]);
        assert_eq!(
            outcome,
            Err(ProviderError::Api {
                message: "bad key [redacted]".into(),
                code: Some("502".into())
            })
        );
    }

    #[test]
    fn end_of_body_needs_a_finish_reason() {
        let mut interpreter = ChunkInterpreter::new();
        let mut out = Vec::new();
        assert!(matches!(
            interpreter.end_of_body("closed", &mut out),
            Err(ProviderError::Interrupted(_))
        ));
        interpreter
            .accept(
                r#"{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#,
                None,
                &mut out,
            )
            .unwrap();
        interpreter.end_of_body("closed", &mut out).unwrap();
        assert_eq!(
            out,
            vec![StreamEvent::Finish {
                reason: FinishReason::Length
            }]
        );
    }

    #[test]
    fn malformed_json_is_a_protocol_error() {
        let (_, outcome) = run(&["{not json"]);
        assert!(matches!(outcome, Err(ProviderError::Protocol(_))));
    }
}
