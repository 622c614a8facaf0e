//! UI message stream chunks (AI SDK UI message stream protocol v1).
//!
//! Every variant mirrors one member of the `ai` package's
//! `uiMessageChunkSchema`, field for field (camelCase, optional fields
//! omitted): the package's parser rejects a whole stream on one frame it
//! does not know, so nothing else is ever serialised into a `data:` frame.

use serde::Serialize;
use serde_json::Value;

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum UiChunk {
    #[serde(rename_all = "camelCase")]
    Start {
        message_id: String,
        message_metadata: Value,
    },
    StartStep,
    TextStart {
        id: String,
    },
    TextDelta {
        id: String,
        delta: String,
    },
    TextEnd {
        id: String,
    },
    ReasoningStart {
        id: String,
    },
    ReasoningDelta {
        id: String,
        delta: String,
    },
    ReasoningEnd {
        id: String,
    },
    #[serde(rename_all = "camelCase")]
    ToolInputStart {
        tool_call_id: String,
        tool_name: String,
    },
    #[serde(rename_all = "camelCase")]
    ToolInputDelta {
        tool_call_id: String,
        input_text_delta: String,
    },
    #[serde(rename_all = "camelCase")]
    ToolInputAvailable {
        tool_call_id: String,
        tool_name: String,
        input: Value,
    },
    #[serde(rename_all = "camelCase")]
    ToolInputError {
        tool_call_id: String,
        tool_name: String,
        input: Value,
        error_text: String,
    },
    #[serde(rename_all = "camelCase")]
    ToolApprovalRequest {
        approval_id: String,
        tool_call_id: String,
    },
    #[serde(rename_all = "camelCase")]
    ToolOutputAvailable {
        tool_call_id: String,
        output: Value,
    },
    #[serde(rename_all = "camelCase")]
    ToolOutputError {
        tool_call_id: String,
        error_text: String,
    },
    #[serde(rename_all = "camelCase")]
    ToolOutputDenied {
        tool_call_id: String,
    },
    FinishStep,
    #[serde(rename_all = "camelCase")]
    Finish {
        finish_reason: &'static str,
        message_metadata: Value,
    },
    #[serde(rename_all = "camelCase")]
    Error {
        error_text: String,
    },
    Abort {
        reason: String,
    },
}

impl UiChunk {
    pub fn to_json(&self) -> String {
        // Serialising these plain structs cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// The literal that ends every stream (`data: [DONE]`).
pub const DONE: &str = "[DONE]";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_match_the_protocol() {
        let c = UiChunk::ToolInputAvailable {
            tool_call_id: "c1".into(),
            tool_name: "read_file".into(),
            input: serde_json::json!({"path": "a"}),
        };
        assert_eq!(
            c.to_json(),
            r#"{"type":"tool-input-available","toolCallId":"c1","toolName":"read_file","input":{"path":"a"}}"#
        );
        assert_eq!(UiChunk::StartStep.to_json(), r#"{"type":"start-step"}"#);
        let f = UiChunk::Finish {
            finish_reason: "stop",
            message_metadata: serde_json::json!({}),
        };
        assert_eq!(
            f.to_json(),
            r#"{"type":"finish","finishReason":"stop","messageMetadata":{}}"#
        );
    }
}
