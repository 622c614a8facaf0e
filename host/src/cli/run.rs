//! `agent-host run`: one turn, streamed to the terminal as it arrives.
//!
//! The host runs the turn; this loop only renders chunks, answers approval
//! requests and, on Ctrl-C, asks the host to abort and then reads the
//! stream to its end so the aborted turn is recorded as such.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::signal::unix::{signal, Signal, SignalKind};

use super::connect::connect;
use super::render::{Renderer, Step};
use super::{check_id, exit, prompt, Failure, RunArgs};
use agent_client::{Client, Frame, SseParser as Parser, Stream};

/// After Ctrl-C, how long the host gets to end the stream.
const ABORT_GRACE: Duration = Duration::from_secs(10);

pub async fn run(args: RunArgs) -> Result<u8, Failure> {
    if args.prompt.trim().is_empty() {
        return Err(Failure::usage("the prompt is empty"));
    }
    if let Some(id) = &args.session {
        check_id("session", id)?;
    }
    let workspace = args
        .workspace
        .as_deref()
        .map(|dir| {
            std::fs::canonicalize(dir)
                .ok()
                .filter(|p| p.is_dir())
                .ok_or_else(|| {
                    Failure::usage(format!("--workspace {} is not a directory", dir.display()))
                })
        })
        .transpose()?;

    let connection = connect(args.host.user_data.clone()).await?;
    let client = &connection.client;
    let session = match &args.session {
        Some(id) => id.clone(),
        None => create_session(client, workspace.as_deref()).await?,
    };
    eprintln!("session: {session}");

    let mut interrupts = signal(SignalKind::interrupt())
        .map_err(|e| Failure::new(exit::FAILED, format!("cannot watch Ctrl-C: {e}")))?;
    let mut body = json!({"message": args.prompt});
    if let Some(provider) = args.provider {
        body["provider"] = json!(provider.as_str());
    }
    if let Some(model) = &args.model {
        body["model"] = json!(model);
    }
    let turns = format!("/sessions/{session}/turns");
    let stream = tokio::select! {
        opened = client.open_stream(&turns, &body) => opened?,
        _ = interrupts.recv() => return Ok(exit::ABORTED),
    };
    let mut turn = Turn {
        client,
        session: &session,
        yes: args.yes,
        interrupts,
        renderer: Renderer::new(std::io::stdout(), std::io::stderr()),
        abort_deadline: None,
    };
    let code = turn.follow(stream).await;
    turn.renderer.finish();
    drop(connection);
    code
}

/// `POST /workspaces` (when asked) then `POST /sessions`.
async fn create_session(
    client: &Client,
    workspace: Option<&std::path::Path>,
) -> Result<String, Failure> {
    let workspace_id = match workspace {
        Some(path) => {
            let ws = client.post("/workspaces", &json!({"path": path})).await?;
            Some(string_field(&ws, "id")?)
        }
        None => None,
    };
    let session = client
        .post("/sessions", &json!({"workspace_id": workspace_id}))
        .await?;
    string_field(&session, "id")
}

fn string_field(value: &Value, name: &str) -> Result<String, Failure> {
    value[name]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| Failure::new(exit::FAILED, format!("the host's answer has no {name}")))
}

struct Turn<'a> {
    client: &'a Client,
    session: &'a str,
    yes: bool,
    interrupts: Signal,
    renderer: Renderer<std::io::Stdout, std::io::Stderr>,
    /// Set by Ctrl-C: the stream must end by then.
    abort_deadline: Option<tokio::time::Instant>,
}

impl Turn<'_> {
    /// Reads the stream to `[DONE]` and returns the exit code.
    async fn follow(&mut self, mut stream: Stream) -> Result<u8, Failure> {
        let mut parser = Parser::default();
        let mut outcome: Option<u8> = None;
        loop {
            let grace = self.abort_deadline;
            let deadline = async move {
                match grace {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending::<()>().await,
                }
            };
            let bytes = tokio::select! {
                chunk = stream.chunk() => chunk,
                _ = self.interrupts.recv() => {
                    if self.aborting() {
                        return Ok(exit::ABORTED); // second Ctrl-C: stop waiting
                    }
                    self.abort().await;
                    continue;
                }
                _ = deadline => return Ok(exit::ABORTED),
            };
            let bytes = match bytes {
                Ok(Some(bytes)) => bytes,
                Ok(None) => break,
                Err(e) => {
                    if self.aborting() {
                        return Ok(exit::ABORTED);
                    }
                    return Err(Failure::new(exit::FAILED, format!("the stream broke: {e}")));
                }
            };
            for frame in parser.push(&bytes) {
                if frame.is_done() {
                    return Ok(self.final_code(outcome));
                }
                if let Some(code) = self.frame(&frame).await {
                    outcome = Some(code);
                }
            }
        }
        if self.aborting() {
            return Ok(exit::ABORTED);
        }
        match outcome {
            // The terminal chunk came, only `[DONE]` went missing.
            Some(code) => Ok(code),
            None => Err(Failure::new(
                exit::FAILED,
                "the stream ended before the turn did",
            )),
        }
    }

    fn aborting(&self) -> bool {
        self.abort_deadline.is_some()
    }

    fn final_code(&self, outcome: Option<u8>) -> u8 {
        if self.aborting() {
            exit::ABORTED
        } else {
            outcome.unwrap_or(exit::OK)
        }
    }

    /// Renders one frame; `Some(code)` once the turn's outcome is known.
    async fn frame(&mut self, frame: &Frame) -> Option<u8> {
        let Ok(chunk) = serde_json::from_str::<Value>(&frame.data) else {
            return None;
        };
        match self.renderer.chunk(&chunk) {
            Step::Continue => None,
            Step::Finished => Some(exit::OK),
            Step::Aborted => Some(exit::ABORTED),
            Step::Error(text) => {
                eprintln!("agent-host: error: {text}");
                Some(exit::FAILED)
            }
            Step::Approval {
                approval_id,
                question,
            } => {
                self.approval(&approval_id, question).await;
                None
            }
        }
    }

    /// Asks (or, with `--yes`, doesn't) and posts the answer. Ctrl-C while
    /// the question is open aborts the turn instead of answering it.
    async fn approval(&mut self, approval_id: &str, question: String) {
        if self.aborting() {
            return; // the abort resolves the pending approval
        }
        if check_id("approval", approval_id).is_err() {
            self.renderer
                .note("agent-host: the host sent a malformed approval id; aborting");
            self.abort().await;
            return;
        }
        let approved = if self.yes {
            self.renderer.note(&format!("{question} yes (--yes)"));
            true
        } else {
            let ask = tokio::task::spawn_blocking(move || prompt::confirm(&question));
            tokio::select! {
                answer = ask => answer.unwrap_or(false),
                _ = self.interrupts.recv() => {
                    eprintln!();
                    self.abort().await;
                    return;
                }
            }
        };
        let path = format!("/sessions/{}/approvals/{approval_id}", self.session);
        if let Err(e) = self
            .client
            .post(&path, &json!({"approved": approved}))
            .await
        {
            self.renderer
                .note(&format!("agent-host: could not send the answer: {e}"));
        }
    }

    /// `POST /sessions/{id}/abort`; the stream then ends with `abort`.
    async fn abort(&mut self) {
        self.abort_deadline = Some(tokio::time::Instant::now() + ABORT_GRACE);
        self.renderer.note("agent-host: aborting…");
        let path = format!("/sessions/{}/abort", self.session);
        if let Err(e) = self.client.post(&path, &json!({})).await {
            self.renderer
                .note(&format!("agent-host: could not abort: {e}"));
        }
    }
}
