//! Folds a stream's events into the assistant message to send back next
//! turn, so every caller pairs tool-call fragments the same way.

use std::collections::BTreeMap;

use crate::event::{FinishReason, StreamEvent};
use crate::message::{ChatMessage, FunctionCall, ToolCall};

/// The whole answer, assembled from its events.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AssistantTurn {
    pub text: String,
    pub reasoning: String,
    /// In index order.
    tool_calls: BTreeMap<u32, ToolCall>,
    /// `(input_tokens, output_tokens)` if reported.
    pub usage: Option<(u64, u64)>,
    /// `None` until the stream finished cleanly.
    pub finish: Option<FinishReason>,
}

impl AssistantTurn {
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds in one event. A delta for a tool call that never started is
    /// ignored (the client never produces one).
    pub fn push(&mut self, event: &StreamEvent) {
        match event {
            StreamEvent::TextDelta(text) => self.text.push_str(text),
            StreamEvent::ReasoningDelta(text) => self.reasoning.push_str(text),
            StreamEvent::ToolCallStart { index, id, name } => {
                self.tool_calls.insert(
                    *index,
                    ToolCall {
                        id: id.clone(),
                        kind: "function".to_owned(),
                        function: FunctionCall {
                            name: name.clone(),
                            arguments: String::new(),
                        },
                    },
                );
            }
            StreamEvent::ToolCallDelta { index, arguments } => {
                if let Some(call) = self.tool_calls.get_mut(index) {
                    call.function.arguments.push_str(arguments);
                }
            }
            StreamEvent::Usage {
                input_tokens,
                output_tokens,
                ..
            } => self.usage = Some((*input_tokens, *output_tokens)),
            StreamEvent::Finish { reason } => self.finish = Some(reason.clone()),
        }
    }

    /// The tool calls, in index order.
    pub fn tool_calls(&self) -> Vec<ToolCall> {
        self.tool_calls.values().cloned().collect()
    }

    /// The assistant message for the history (reasoning is not sent back).
    pub fn to_message(&self) -> ChatMessage {
        ChatMessage::Assistant {
            content: (!self.text.is_empty()).then(|| self.text.clone()),
            tool_calls: self.tool_calls(),
        }
    }
}
