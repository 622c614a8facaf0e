//! The request side of the wire format: messages, tool calls, tool specs.
//!
//! The types serialise exactly as the OpenAI chat-completions API expects,
//! so the host can also persist them and send them back verbatim.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

/// One message of the conversation, tagged by `role`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum ChatMessage {
    System {
        content: String,
    },
    User {
        content: String,
    },
    Assistant {
        #[serde(skip_serializing_if = "Option::is_none")]
        content: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty", default)]
        tool_calls: Vec<ToolCall>,
    },
    Tool {
        tool_call_id: String,
        content: String,
    },
}

/// A complete tool call, as the assistant message carries it back.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ToolCall {
    pub id: String,
    /// Always `"function"` today.
    #[serde(rename = "type", default = "function_kind")]
    pub kind: String,
    pub function: FunctionCall,
}

/// The function half of a [`ToolCall`]; `arguments` is the JSON text as the
/// model produced it (it may be invalid JSON, and is kept as-is).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FunctionCall {
    pub name: String,
    pub arguments: String,
}

fn function_kind() -> String {
    "function".to_owned()
}

/// A tool the model may call. Serialised as
/// `{"type":"function","function":{"name","description","parameters"}}`.
#[derive(Clone, Debug)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// A JSON Schema object.
    pub parameters: serde_json::Value,
}

impl Serialize for ToolSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Function<'a> {
            name: &'a str,
            description: &'a str,
            parameters: &'a serde_json::Value,
        }
        let mut outer = serializer.serialize_struct("ToolSpec", 2)?;
        outer.serialize_field("type", "function")?;
        outer.serialize_field(
            "function",
            &Function {
                name: &self.name,
                description: &self.description,
                parameters: &self.parameters,
            },
        )?;
        outer.end()
    }
}

/// What the host asks for; the client adds the streaming options.
#[derive(Clone, Debug)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    pub tools: Vec<ToolSpec>,
}

/// The JSON body actually sent: always streaming, always asking for usage.
#[derive(Serialize)]
pub(crate) struct WireRequest<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
    #[serde(skip_serializing_if = "<[ToolSpec]>::is_empty")]
    tools: &'a [ToolSpec],
    stream: bool,
    stream_options: StreamOptions,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

impl<'a> WireRequest<'a> {
    pub(crate) fn new(request: &'a ChatRequest) -> Self {
        Self {
            model: &request.model,
            messages: &request.messages,
            tools: &request.tools,
            stream: true,
            stream_options: StreamOptions {
                include_usage: true,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn messages_match_the_wire_format() {
        let messages = vec![
            ChatMessage::System {
                content: "be brief".into(),
            },
            ChatMessage::User {
                content: "hi".into(),
            },
            ChatMessage::Assistant {
                content: None,
                tool_calls: vec![ToolCall {
                    id: "call_1".into(),
                    kind: "function".into(),
                    function: FunctionCall {
                        name: "read".into(),
                        arguments: "{\"path\":\"a\"}".into(),
                    },
                }],
            },
            ChatMessage::Tool {
                tool_call_id: "call_1".into(),
                content: "text".into(),
            },
            ChatMessage::Assistant {
                content: Some("done".into()),
                tool_calls: vec![],
            },
        ];
        let value = serde_json::to_value(&messages).unwrap();
        assert_eq!(
            value,
            json!([
                {"role":"system","content":"be brief"},
                {"role":"user","content":"hi"},
                {"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"read","arguments":"{\"path\":\"a\"}"}}]},
                {"role":"tool","tool_call_id":"call_1","content":"text"},
                {"role":"assistant","content":"done"}
            ])
        );
        let back: Vec<ChatMessage> = serde_json::from_value(value).unwrap();
        assert_eq!(back, messages);
    }

    #[test]
    fn request_body_streams_with_usage_and_omits_empty_tools() {
        let mut request = ChatRequest {
            model: "m".into(),
            messages: vec![ChatMessage::User {
                content: "hi".into(),
            }],
            tools: vec![],
        };
        let body = serde_json::to_value(WireRequest::new(&request)).unwrap();
        assert_eq!(
            body,
            json!({"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}})
        );
        request.tools.push(ToolSpec {
            name: "read".into(),
            description: "Reads a file".into(),
            parameters: json!({"type":"object"}),
        });
        let body = serde_json::to_value(WireRequest::new(&request)).unwrap();
        assert_eq!(
            body["tools"],
            json!([{"type":"function","function":{"name":"read","description":"Reads a file","parameters":{"type":"object"}}}])
        );
    }
}
