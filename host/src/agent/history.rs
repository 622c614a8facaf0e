//! Rebuilds the provider conversation from stored messages and parts.

use std::path::{Path, PathBuf};

use agent_provider::{ChatMessage, FunctionCall, ToolCall};
use agent_storage::sessions::MessageRow;
use serde_json::Value;

/// What the system prompt says of a document session's document.
pub struct DocumentPrompt {
    pub path: PathBuf,
    pub name: String,
    pub version: String,
}

pub fn system_prompt(workspace: Option<&Path>, document: Option<&DocumentPrompt>) -> ChatMessage {
    let mut content = match workspace {
        Some(path) => format!(
            "You are a careful coding and writing agent. You work inside the workspace at {}. \
             Use the tools to read before you change anything; paths are relative to the workspace.",
            path.display()
        ),
        None if document.is_some() => "You are a careful writing and coding agent.".to_owned(),
        None => "You are a helpful assistant. No workspace is open, so no tools are available."
            .to_owned(),
    };
    if let Some(doc) = document {
        content.push_str(&format!(
            "\n\nThe user has the document \"{}\" ({}, version {}) open in the window beside \
             this chat. Use read_document to read it (with line ranges when it is long) and \
             edit_document to change it; the window shows your edits at once. Read the part you \
             change first, and make small exact edits rather than rewriting the whole text.",
            doc.name,
            doc.path.display(),
            doc.version
        ));
    }
    ChatMessage::System { content }
}

/// A stored message's text: its text parts, one per line.
pub fn text_of(message: &MessageRow) -> String {
    message
        .parts
        .iter()
        .filter_map(|p| serde_json::from_str::<Value>(&p.body).ok())
        .filter(|p| p["type"] == "text")
        .filter_map(|p| p["text"].as_str().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("\n")
}

/// User messages become user turns; an assistant message becomes one
/// assistant turn (its text and every tool call) followed by one tool
/// message per call, so the provider always sees answered tool calls.
pub fn from_messages(messages: &[MessageRow]) -> Vec<ChatMessage> {
    let mut out = Vec::new();
    for message in messages {
        let parts: Vec<Value> = message
            .parts
            .iter()
            .filter_map(|p| serde_json::from_str(&p.body).ok())
            .collect();
        let text: String = parts
            .iter()
            .filter(|p| p["type"] == "text")
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n");
        if message.role == "user" {
            out.push(ChatMessage::User { content: text });
            continue;
        }
        let mut calls = Vec::new();
        let mut results = Vec::new();
        for part in parts
            .iter()
            .filter(|p| p["type"].as_str().is_some_and(|t| t.starts_with("tool-")))
        {
            let (Some(id), Some(kind)) = (part["toolCallId"].as_str(), part["type"].as_str())
            else {
                continue;
            };
            let arguments = match &part["input"] {
                Value::String(raw) => raw.clone(),
                other => other.to_string(),
            };
            calls.push(ToolCall {
                id: id.to_owned(),
                kind: "function".to_owned(),
                function: FunctionCall {
                    name: kind.trim_start_matches("tool-").to_owned(),
                    arguments,
                },
            });
            let content = match part["state"].as_str() {
                Some("output-available") => part["output"].to_string(),
                Some("output-error") => {
                    format!("Error: {}", part["errorText"].as_str().unwrap_or(""))
                }
                Some("output-denied") => "The user denied this tool call.".to_owned(),
                _ => "Error: the tool call did not complete".to_owned(),
            };
            results.push(ChatMessage::Tool {
                tool_call_id: id.to_owned(),
                content,
            });
        }
        if text.is_empty() && calls.is_empty() {
            continue;
        }
        out.push(ChatMessage::Assistant {
            content: (!text.is_empty()).then_some(text),
            tool_calls: calls,
        });
        out.extend(results);
    }
    out
}
