//! The agent loop for one turn: stream a step from the provider, relay it
//! as UI message chunks, run the requested tools (asking when the policy
//! says so), feed the results back, repeat up to the step limit.
//!
//! The loop owns nothing the HTTP layer holds: clients only read the
//! [`Run`] log, so a client leaving never stops the turn. Only an explicit
//! abort (the run's abort flag) does, and it also drops the provider
//! stream, which closes the provider connection.

use std::collections::BTreeMap;
use std::sync::Arc;

use agent_provider::{
    ChatMessage, ChatRequest, ChatStream, Client, Endpoint, FinishReason, FunctionCall,
    ProviderError, StreamEvent, ToolCall, ToolSpec,
};
use agent_tools::{ChangeObserver, ToolContext};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::watch;

use super::chunk::{UiChunk, DONE};
use super::code_languages::code_languages;
use super::persist::{Op, Persister};
use super::policy::{Permission, ToolPolicy};
use super::run::Run;
use super::status::{SessionStatus, StatusSender};
use crate::changes::TurnRecorder;
use crate::document_tools;
use crate::documents::Documents;
use crate::events::ChangeSource;
use crate::ids::random_id;

/// Everything a turn needs, handed over by [`super::Agent::start_turn`].
pub struct TurnSpec {
    pub run: Arc<Run>,
    pub session_id: String,
    pub message_id: String,
    pub history: Vec<ChatMessage>,
    pub model: String,
    pub endpoint: Endpoint,
    pub client: Arc<Client>,
    pub tools: TurnTools,
    pub policy: ToolPolicy,
    pub max_steps: u32,
    pub persister: Persister,
    pub status: StatusSender,
}

/// The tools a turn may call: a workspace session's file tools (and
/// `run_command`, `web_fetch`), a document session's `read_document` and
/// `edit_document`.
#[derive(Default)]
pub struct TurnTools {
    pub workspace: Option<Arc<ToolContext>>,
    pub document: Option<DocumentTools>,
}

/// A document session's two tools, scoped to its one document.
pub struct DocumentTools {
    pub documents: Arc<Documents>,
    pub doc_id: String,
    pub name: String,
    /// Checkpoints `edit_document`'s writes like the workspace tools'.
    pub recorder: Arc<TurnRecorder>,
}

impl TurnTools {
    fn specs(&self) -> Vec<ToolSpec> {
        let mut specs: Vec<ToolSpec> = self
            .workspace
            .as_deref()
            .map(|ctx| {
                agent_tools::available(ctx)
                    .into_iter()
                    .map(|t| ToolSpec {
                        name: t.name.to_owned(),
                        description: t.description.to_owned(),
                        parameters: t.parameters,
                    })
                    .collect()
            })
            .unwrap_or_default();
        if self.document.is_some() {
            specs.extend(document_tools::specs().into_iter().map(
                |(name, description, parameters)| ToolSpec {
                    name: name.to_owned(),
                    description: description.to_owned(),
                    parameters,
                },
            ));
        }
        specs
    }

    fn offers(&self, name: &str) -> bool {
        let document = self.document.is_some()
            && (name == document_tools::READ || name == document_tools::EDIT);
        document
            || self
                .workspace
                .as_deref()
                .is_some_and(|ctx| agent_tools::available(ctx).iter().any(|t| t.name == name))
    }

    async fn call(&self, name: &str, raw: &str) -> Result<Value, String> {
        match (&self.document, name) {
            (Some(doc), document_tools::READ) => doc.read(raw).await,
            (Some(doc), document_tools::EDIT) => doc.edit(raw).await,
            _ => match self.workspace.as_deref() {
                Some(ctx) => agent_tools::call(ctx, name, raw)
                    .await
                    .map_err(|e| e.to_string()),
                None => Err(format!("unknown or unavailable tool `{name}`")),
            },
        }
    }
}

impl DocumentTools {
    async fn read(&self, raw: &str) -> Result<Value, String> {
        let (_, text) = self
            .documents
            .read(self.doc_id.clone())
            .await
            .map_err(|e| e.to_string())?;
        document_tools::read(&self.name, &text.mtime, &text.content, raw)
            .map_err(|r| format!("{}: {}", r.code, r.message))
    }

    async fn edit(&self, raw: &str) -> Result<Value, String> {
        let (doc, text) = self
            .documents
            .read(self.doc_id.clone())
            .await
            .map_err(|e| e.to_string())?;
        let (updated, replacements) = document_tools::edit(&text.content, raw)
            .map_err(|r| format!("{}: {}", r.code, r.message))?;
        let total_lines = updated.split_inclusive('\n').count();
        let (_, version) = self
            .documents
            .write_from(
                self.doc_id.clone(),
                updated.clone(),
                Some(text.mtime),
                ChangeSource::Agent,
            )
            .await
            .map_err(|e| e.to_string())?;
        self.recorder.file_changed(agent_tools::FileChange {
            path: doc.path,
            before: agent_tools::FileContent::Text(text.content),
            after: agent_tools::FileContent::Text(updated),
        });
        Ok(json!({
            "version": version,
            "replacements": replacements,
            "total_lines": total_lines,
        }))
    }
}

/// How the turn ended; stored as the message's and the turn's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Complete,
    Error,
    Aborted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Complete => "complete",
            Outcome::Error => "error",
            Outcome::Aborted => "aborted",
        }
    }
}

struct Emitter {
    run: Arc<Run>,
    persister: Persister,
    message_id: String,
    next_part: u32,
}

impl Emitter {
    fn emit(&self, chunk: UiChunk) {
        self.push(Arc::from(chunk.to_json()));
    }

    fn push(&self, body: Arc<str>) {
        let seq = self.run.push(body.clone());
        self.persister.send(Op::Chunk { seq, body });
    }

    fn new_part(&mut self) -> u32 {
        let idx = self.next_part;
        self.next_part += 1;
        idx
    }

    fn part(&self, idx: u32, kind: &'static str, body: Value) {
        self.persister.send(Op::Part {
            message_id: self.message_id.clone(),
            idx,
            kind,
            body: body.to_string(),
        });
    }
}

/// An open text or reasoning block of the current step.
struct Block {
    id: String,
    part: u32,
    text: String,
}

#[derive(Default)]
struct StepState {
    text: Option<Block>,
    reasoning: Option<Block>,
    step_text: String,
    calls: BTreeMap<u32, (String, String, String)>,
    finish: Option<FinishReason>,
}

impl StepState {
    fn close_text(&mut self, out: &Emitter) {
        if let Some(block) = self.text.take() {
            out.emit(UiChunk::TextEnd { id: block.id });
            let languages = code_languages(&block.text);
            out.part(
                block.part,
                "text",
                json!({"type": "text", "text": block.text}),
            );
            if !languages.is_empty() {
                out.persister.send(Op::CodeLanguages {
                    message_id: out.message_id.clone(),
                    languages,
                });
            }
        }
    }

    fn close_reasoning(&mut self, out: &Emitter) {
        if let Some(block) = self.reasoning.take() {
            out.emit(UiChunk::ReasoningEnd { id: block.id });
            out.part(
                block.part,
                "reasoning",
                json!({"type": "reasoning", "text": block.text}),
            );
        }
    }

    fn close_all(&mut self, out: &Emitter) {
        self.close_reasoning(out);
        self.close_text(out);
    }
}

/// Runs the turn to its end, everything written; the log is left open for
/// the caller to close.
pub async fn run_turn(spec: TurnSpec) -> Outcome {
    let TurnSpec {
        run,
        session_id,
        message_id,
        mut history,
        model,
        endpoint,
        client,
        tools,
        policy,
        max_steps,
        persister,
        status,
    } = spec;
    let mut out = Emitter {
        run: run.clone(),
        persister,
        message_id: message_id.clone(),
        next_part: 0,
    };
    let metadata = json!({"sessionId": session_id, "turnId": run.turn_id});
    out.emit(UiChunk::Start {
        message_id: message_id.clone(),
        message_metadata: metadata.clone(),
    });

    let specs: Vec<ToolSpec> = tools.specs();

    let mut usage = Usage::default();
    let mut abort = run.watch_abort();
    let mut outcome = Outcome::Complete;
    let mut finish_reason = "stop";

    'steps: for step in 0..max_steps {
        out.emit(UiChunk::StartStep);
        let request = ChatRequest {
            model: model.clone(),
            messages: history.clone(),
            tools: specs.clone(),
        };
        let opened = tokio::select! {
            opened = client.stream(&endpoint, &request) => Some(opened),
            _ = aborted(&mut abort) => None,
        };
        let mut stream: ChatStream = match opened {
            None => {
                outcome = Outcome::Aborted;
                break 'steps;
            }
            Some(Err(e)) => {
                provider_failed(&out, &e);
                outcome = Outcome::Error;
                break 'steps;
            }
            Some(Ok(stream)) => stream,
        };

        let mut state = StepState::default();
        loop {
            let event = tokio::select! {
                event = stream.next() => event,
                _ = aborted(&mut abort) => {
                    drop(stream);
                    state.close_all(&out);
                    outcome = Outcome::Aborted;
                    break 'steps;
                }
            };
            match event {
                None => break,
                Some(Err(e)) => {
                    drop(stream);
                    state.close_all(&out);
                    provider_failed(&out, &e);
                    outcome = Outcome::Error;
                    break 'steps;
                }
                Some(Ok(event)) => relay(event, &mut state, &mut out, &mut usage),
            }
        }
        drop(stream);
        state.close_all(&out);

        if state.calls.is_empty() {
            out.emit(UiChunk::FinishStep);
            finish_reason = match state.finish {
                Some(FinishReason::Length) => "length",
                Some(FinishReason::ContentFilter) => "content-filter",
                _ => "stop",
            };
            break 'steps;
        }

        let calls: Vec<ToolCall> = state
            .calls
            .values()
            .map(|(id, name, arguments)| ToolCall {
                id: id.clone(),
                kind: "function".to_owned(),
                function: FunctionCall {
                    name: name.clone(),
                    arguments: arguments.clone(),
                },
            })
            .collect();
        history.push(ChatMessage::Assistant {
            content: (!state.step_text.is_empty()).then(|| state.step_text.clone()),
            tool_calls: calls.clone(),
        });
        for call in calls {
            let result =
                run_tool(&call, &tools, &policy, &run, &mut out, &status, &mut abort).await;
            match result {
                ToolResult::Aborted => {
                    outcome = Outcome::Aborted;
                    break 'steps;
                }
                ToolResult::Content(content) => history.push(ChatMessage::Tool {
                    tool_call_id: call.id.clone(),
                    content,
                }),
            }
        }
        out.emit(UiChunk::FinishStep);
        if step + 1 == max_steps {
            finish_reason = "tool-calls";
            tracing::info!(turn = %run.turn_id, max_steps, "step limit reached");
        }
    }

    match outcome {
        Outcome::Aborted => out.emit(UiChunk::Abort {
            reason: "aborted by the client".to_owned(),
        }),
        Outcome::Error => {}
        Outcome::Complete => {
            let mut meta = metadata;
            meta["usage"] = json!({"input_tokens": usage.input, "output_tokens": usage.output});
            if let Some(cost) = usage.cost {
                meta["usage"]["cost"] = json!(cost);
            }
            out.emit(UiChunk::Finish {
                finish_reason,
                message_metadata: meta,
            });
        }
    }
    out.push(Arc::from(DONE));
    out.persister.send(Op::Usage {
        session_id,
        input: usage.input,
        output: usage.output,
        cost: usage.cost,
    });
    out.persister.send(Op::MessageStatus {
        message_id,
        status: outcome.as_str(),
    });
    out.persister.send(Op::FinishTurn {
        turn_id: run.turn_id.clone(),
        status: outcome.as_str(),
    });
    // Everything is on disk before the run leaves memory. The caller
    // closes the log (`Run::close`) once the session is free again.
    out.persister.finish().await;
    outcome
}

/// Resolves when the run's abort flag is (or becomes) set.
async fn aborted(abort: &mut watch::Receiver<bool>) {
    loop {
        if *abort.borrow_and_update() {
            return;
        }
        if abort.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The stream's `error` chunk, and the same reason stored with the turn
/// (the answer's `metadata.error` after a reload). The provider error's
/// `Display` is scrubbed of the key and has no URL.
fn provider_failed(out: &Emitter, e: &ProviderError) {
    tracing::warn!(code = e.code(), error = %e, "provider call failed");
    out.emit(UiChunk::Error {
        error_text: format!("{} ({})", e, e.code()),
    });
    out.persister.send(Op::TurnError {
        code: e.code(),
        message: e.to_string(),
    });
}

/// A turn's tokens over all its model calls, and its cost when every call
/// that reported usage reported one.
#[derive(Default)]
struct Usage {
    input: u64,
    output: u64,
    cost: Option<f64>,
    calls: u32,
}

fn relay(event: StreamEvent, state: &mut StepState, out: &mut Emitter, usage: &mut Usage) {
    match event {
        StreamEvent::TextDelta(delta) => {
            state.close_reasoning(out);
            if state.text.is_none() {
                let block = Block {
                    id: random_id("txt_"),
                    part: out.new_part(),
                    text: String::new(),
                };
                out.emit(UiChunk::TextStart {
                    id: block.id.clone(),
                });
                state.text = Some(block);
            }
            if let Some(block) = state.text.as_mut() {
                block.text.push_str(&delta);
                state.step_text.push_str(&delta);
                out.emit(UiChunk::TextDelta {
                    id: block.id.clone(),
                    delta,
                });
            }
        }
        StreamEvent::ReasoningDelta(delta) => {
            state.close_text(out);
            if state.reasoning.is_none() {
                let block = Block {
                    id: random_id("rsn_"),
                    part: out.new_part(),
                    text: String::new(),
                };
                out.emit(UiChunk::ReasoningStart {
                    id: block.id.clone(),
                });
                state.reasoning = Some(block);
            }
            if let Some(block) = state.reasoning.as_mut() {
                block.text.push_str(&delta);
                out.emit(UiChunk::ReasoningDelta {
                    id: block.id.clone(),
                    delta,
                });
            }
        }
        StreamEvent::ToolCallStart { index, id, name } => {
            state.close_all(out);
            out.emit(UiChunk::ToolInputStart {
                tool_call_id: id.clone(),
                tool_name: name.clone(),
            });
            state.calls.insert(index, (id, name, String::new()));
        }
        StreamEvent::ToolCallDelta { index, arguments } => {
            if let Some((id, _, args)) = state.calls.get_mut(&index) {
                args.push_str(&arguments);
                out.emit(UiChunk::ToolInputDelta {
                    tool_call_id: id.clone(),
                    input_text_delta: arguments,
                });
            }
        }
        StreamEvent::Usage {
            input_tokens,
            output_tokens,
            cost,
        } => {
            usage.input += input_tokens;
            usage.output += output_tokens;
            // A cost only when each call said what it cost: a partial sum
            // would understate it.
            usage.cost = match (usage.calls, usage.cost, cost) {
                (0, _, Some(c)) => Some(c),
                (_, Some(sum), Some(c)) => Some(sum + c),
                _ => None,
            };
            usage.calls += 1;
        }
        StreamEvent::Finish { reason } => state.finish = Some(reason),
    }
}

enum ToolResult {
    /// What goes back to the model as the tool message.
    Content(String),
    Aborted,
}

async fn run_tool(
    call: &ToolCall,
    tools: &TurnTools,
    policy: &ToolPolicy,
    run: &Run,
    out: &mut Emitter,
    status: &StatusSender,
    abort: &mut watch::Receiver<bool>,
) -> ToolResult {
    let id = call.id.clone();
    let name = call.function.name.clone();
    let raw = if call.function.arguments.trim().is_empty() {
        "{}"
    } else {
        call.function.arguments.as_str()
    };
    let part = out.new_part();
    let part_type = format!("tool-{name}");
    let input: Value = match serde_json::from_str(raw) {
        Ok(v) => v,
        Err(e) => {
            let error_text = format!("the arguments are not valid JSON: {e}");
            out.emit(UiChunk::ToolInputError {
                tool_call_id: id.clone(),
                tool_name: name.clone(),
                input: Value::String(raw.to_owned()),
                error_text: error_text.clone(),
            });
            out.part(
                part,
                "tool",
                tool_part(
                    &part_type,
                    &id,
                    "output-error",
                    json!(raw),
                    Some(("errorText", json!(error_text))),
                ),
            );
            return ToolResult::Content(format!("Error: {error_text}"));
        }
    };
    out.emit(UiChunk::ToolInputAvailable {
        tool_call_id: id.clone(),
        tool_name: name.clone(),
        input: input.clone(),
    });
    let fail = |out: &mut Emitter, error_text: String| {
        out.emit(UiChunk::ToolOutputError {
            tool_call_id: id.clone(),
            error_text: error_text.clone(),
        });
        out.part(
            part,
            "tool",
            tool_part(
                &part_type,
                &id,
                "output-error",
                input.clone(),
                Some(("errorText", json!(error_text))),
            ),
        );
        ToolResult::Content(format!("Error: {error_text}"))
    };

    if tools.workspace.is_none() && tools.document.is_none() {
        return fail(
            out,
            "no workspace or document is open for this session, so no tools can run".to_owned(),
        );
    }
    if !tools.offers(&name) {
        return fail(out, format!("unknown or unavailable tool `{name}`"));
    }
    match policy.decide(&name, &input) {
        Permission::Deny => {
            return fail(out, "denied by the workspace's tool policy".to_owned());
        }
        Permission::Ask => {
            out.part(
                part,
                "tool",
                tool_part(&part_type, &id, "approval-requested", input.clone(), None),
            );
            let approval_id = random_id("apr_");
            let answer = run.expect_approval(&approval_id);
            out.emit(UiChunk::ToolApprovalRequest {
                approval_id,
                tool_call_id: id.clone(),
            });
            status.send_replace(SessionStatus::WaitingForApproval);
            let approved = tokio::select! {
                answer = answer => answer.unwrap_or(false),
                _ = aborted(abort) => return ToolResult::Aborted,
            };
            status.send_replace(SessionStatus::Busy);
            if run.is_aborted() {
                return ToolResult::Aborted;
            }
            if !approved {
                out.emit(UiChunk::ToolOutputDenied {
                    tool_call_id: id.clone(),
                });
                out.part(
                    part,
                    "tool",
                    tool_part(&part_type, &id, "output-denied", input.clone(), None),
                );
                return ToolResult::Content(
                    "The user denied this tool call. Do not retry it; ask or continue without it."
                        .to_owned(),
                );
            }
        }
        Permission::Allow => {}
    }
    let result = tokio::select! {
        result = tools.call(&name, raw) => result,
        _ = aborted(abort) => return ToolResult::Aborted,
    };
    match result {
        Ok(output) => {
            out.emit(UiChunk::ToolOutputAvailable {
                tool_call_id: id.clone(),
                output: output.clone(),
            });
            out.part(
                part,
                "tool",
                tool_part(
                    &part_type,
                    &id,
                    "output-available",
                    input.clone(),
                    Some(("output", output.clone())),
                ),
            );
            ToolResult::Content(output.to_string())
        }
        Err(e) => fail(out, e),
    }
}

/// The stored form of a tool part (the AI SDK's `tool-<name>` UI message
/// part) in one of its states, with the state's own field if it has one
/// (`errorText`, `output`).
fn tool_part(
    part_type: &str,
    tool_call_id: &str,
    state: &str,
    input: Value,
    extra: Option<(&str, Value)>,
) -> Value {
    let mut part = json!({
        "type": part_type,
        "toolCallId": tool_call_id,
        "state": state,
        "input": input,
    });
    if let Some((name, value)) = extra {
        part[name] = value;
    }
    part
}
