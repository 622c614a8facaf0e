//! The agent runtime collaborator: sessions, turns, the resumable stream,
//! approvals, abort and per-session status (docs/rfc/sessions.md,
//! docs/rfc/stream.md).

pub mod chunk;
mod command;
mod history;
mod persist;
pub mod policy;
pub mod providers;
mod run;
pub mod sse;
pub mod status;
mod turn;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use agent_provider::Provider;
use agent_provider::{ChatMessage, Client};
use agent_security::ApiError;
use agent_storage::sessions::{self, MessageRow, NewSession, SessionQuery, SessionRow};
use agent_tools::{FetchPolicy, Sandbox, ToolContext};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use tokio::sync::watch;

use crate::blocking::{run_blocking, storage_failure};
use crate::clock::now_ms;
use crate::database::Database;
use crate::ids::random_id;
use crate::workspaces::Workspaces;
use persist::Persister;
use policy::{Policies, ToolPolicy};
use providers::Providers;
use run::Run;
use status::SessionStatus;
use turn::{run_turn, Outcome, TurnSpec};

/// Default and ceiling for the number of model calls in one turn.
pub const DEFAULT_MAX_STEPS: u32 = 20;
pub const MAX_STEPS_LIMIT: u32 = 50;
const MAX_MESSAGE_BYTES: usize = 256 * 1024;
const MAX_TITLE_CHARS: usize = 200;

/// What a client sends to start a turn.
pub struct TurnRequest {
    pub message: String,
    pub provider: Option<Provider>,
    pub model: Option<String>,
    pub max_steps: Option<u32>,
}

pub struct Agent {
    db: Arc<Database>,
    workspaces: Arc<Workspaces>,
    pub providers: Arc<Providers>,
    pub policies: Arc<Policies>,
    user_data: PathBuf,
    /// The user's home (canonical): an empty tmpfs inside the sandbox.
    home: Option<PathBuf>,
    sandbox: Arc<OnceLock<Option<Sandbox>>>,
    runs: Mutex<HashMap<String, Arc<Run>>>,
    statuses: Mutex<HashMap<String, watch::Sender<SessionStatus>>>,
    /// Built on the first turn; later turns share its connection pool.
    client: Mutex<Option<Client>>,
}

impl Agent {
    pub fn new(
        db: Arc<Database>,
        workspaces: Arc<Workspaces>,
        providers: Arc<Providers>,
        policies: Arc<Policies>,
        user_data: PathBuf,
    ) -> Self {
        Self {
            db,
            workspaces,
            providers,
            policies,
            user_data,
            home: std::env::var_os("HOME")
                .map(PathBuf::from)
                .map(|h| h.canonicalize().unwrap_or(h)),
            sandbox: Arc::new(OnceLock::new()),
            runs: Mutex::new(HashMap::new()),
            statuses: Mutex::new(HashMap::new()),
            client: Mutex::new(None),
        }
    }

    /// The shared provider client under this turn's configuration.
    fn client_for(
        &self,
        config: agent_provider::ClientConfig,
    ) -> Result<Client, agent_provider::ProviderError> {
        let mut cached = self
            .client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match cached.as_ref() {
            Some(client) => client.with_config(config),
            None => {
                let client = Client::new(config)?;
                *cached = Some(client.clone());
                Ok(client)
            }
        }
    }

    // ---- sessions -------------------------------------------------------

    pub async fn create_session(
        &self,
        title: Option<String>,
        workspace_id: Option<String>,
    ) -> Result<SessionRow, ApiError> {
        if let Some(ws) = &workspace_id {
            self.workspaces.path_of(ws.clone()).await?;
        }
        let title = clean_title(title.as_deref().unwrap_or("New session"))?;
        let db = self.db.clone();
        run_blocking(move || {
            let id = random_id("ses_");
            sessions::create_session(
                &db.lock(),
                &NewSession {
                    id: &id,
                    title: &title,
                    workspace_id: workspace_id.as_deref(),
                    now_ms: now_ms(),
                },
            )
            .map_err(storage_failure)
        })
        .await
    }

    pub async fn list_sessions(
        &self,
        query: SessionQuery,
    ) -> Result<(Vec<SessionRow>, u64), ApiError> {
        let db = self.db.clone();
        run_blocking(move || sessions::list_sessions(&db.lock(), &query).map_err(storage_failure))
            .await
    }

    pub async fn get_session(&self, id: String) -> Result<SessionRow, ApiError> {
        let db = self.db.clone();
        run_blocking(move || get_blocking(&db, &id)).await
    }

    pub async fn update_session(
        &self,
        id: String,
        title: Option<String>,
        archived: Option<bool>,
    ) -> Result<SessionRow, ApiError> {
        let title = title.map(|t| clean_title(&t)).transpose()?;
        let db = self.db.clone();
        run_blocking(move || {
            let conn = db.lock();
            get_in(&conn, &id)?;
            if let Some(title) = title {
                sessions::rename_session(&conn, &id, &title, now_ms()).map_err(storage_failure)?;
            }
            if let Some(archived) = archived {
                sessions::set_archived(&conn, &id, archived, now_ms()).map_err(storage_failure)?;
            }
            get_in(&conn, &id)
        })
        .await
    }

    /// Deletes a session; a running turn is aborted first.
    pub async fn delete_session(&self, id: String) -> Result<(), ApiError> {
        if let Some(run) = self.active_run(&id) {
            run.abort();
            let mut progress = run.watch_progress();
            while !progress.borrow_and_update().1 {
                if progress.changed().await.is_err() {
                    break;
                }
            }
        }
        let db = self.db.clone();
        run_blocking(move || {
            if sessions::delete_session(&db.lock(), &id).map_err(storage_failure)? {
                Ok(())
            } else {
                Err(unknown_session())
            }
        })
        .await
    }

    pub async fn messages(&self, id: String) -> Result<Vec<MessageRow>, ApiError> {
        let db = self.db.clone();
        run_blocking(move || {
            let conn = db.lock();
            get_in(&conn, &id)?;
            sessions::list_messages(&conn, &id).map_err(storage_failure)
        })
        .await
    }

    // ---- turns ----------------------------------------------------------

    fn active_run(&self, session_id: &str) -> Option<Arc<Run>> {
        self.runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(session_id)
            .cloned()
    }

    fn status_sender(&self, session_id: &str) -> watch::Sender<SessionStatus> {
        self.statuses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(session_id.to_owned())
            .or_insert_with(|| watch::channel(SessionStatus::Idle).0)
            .clone()
    }

    /// Starts a turn and returns the stream of its frames from the start.
    /// Refusals (unknown session, turn in flight, no provider) come before
    /// any stream opens.
    pub async fn start_turn(
        self: &Arc<Self>,
        session_id: String,
        request: TurnRequest,
    ) -> Result<Response, ApiError> {
        if request.message.trim().is_empty() {
            return Err(ApiError::bad_request(
                "invalid_message",
                "the message is empty",
            ));
        }
        if request.message.len() > MAX_MESSAGE_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_message",
                "the message is larger than 256 KiB",
            ));
        }
        let max_steps = request.max_steps.unwrap_or(DEFAULT_MAX_STEPS);
        if !(1..=MAX_STEPS_LIMIT).contains(&max_steps) {
            return Err(ApiError::bad_request(
                "invalid_max_steps",
                format!("max_steps must be between 1 and {MAX_STEPS_LIMIT}"),
            ));
        }
        let session = self.get_session(session_id.clone()).await?;

        // Reserve the session before any await, so two starts cannot race.
        let turn_id = random_id("turn_");
        let run = Run::new(session_id.clone(), turn_id.clone());
        {
            let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
            if runs.contains_key(&session_id) {
                return Err(ApiError::conflict(
                    "run_in_flight",
                    "this session already has a turn running; resume or abort it",
                ));
            }
            runs.insert(session_id.clone(), run.clone());
        }
        match self.prepare_turn(&session, &run, request, max_steps).await {
            Ok(spec) => {
                let status = spec.status.clone();
                status.send_replace(SessionStatus::Busy);
                let agent = self.clone();
                tokio::spawn(async move {
                    let outcome = run_turn(spec).await;
                    agent.finish_run(&session_id, &turn_id, outcome);
                });
                Ok(sse::response(sse::live(run, 0)))
            }
            Err(e) => {
                self.runs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&session_id);
                Err(e)
            }
        }
    }

    fn finish_run(&self, session_id: &str, turn_id: &str, outcome: Outcome) {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        if runs.get(session_id).is_some_and(|r| r.turn_id == turn_id) {
            runs.remove(session_id);
        }
        drop(runs);
        let status = match outcome {
            Outcome::Error => SessionStatus::Error,
            _ => SessionStatus::Idle,
        };
        let mut statuses = self.statuses.lock().unwrap_or_else(|p| p.into_inner());
        // An idle session nobody watches needs no channel: a later watcher
        // gets a fresh one, which starts idle. Without this the map kept one
        // entry per session that ever ran a turn (the soak saw RSS creep).
        let unwatched = statuses
            .get(session_id)
            .is_none_or(|sender| sender.receiver_count() == 0);
        if status == SessionStatus::Idle && unwatched {
            statuses.remove(session_id);
        } else {
            statuses
                .entry(session_id.to_owned())
                .or_insert_with(|| watch::channel(SessionStatus::Idle).0)
                .send_replace(status);
        }
    }

    async fn prepare_turn(
        &self,
        session: &SessionRow,
        run: &Arc<Run>,
        request: TurnRequest,
        max_steps: u32,
    ) -> Result<TurnSpec, ApiError> {
        let providers = self.providers.clone();
        let explicit = request.provider;
        let resolved = run_blocking(move || providers.resolve(explicit)).await?;
        let model = request
            .model
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| resolved.default_model.clone());
        let client = self
            .client_for(resolved.client_config.clone())
            .map_err(|e| {
                tracing::error!(error = %e, "building the provider client failed");
                ApiError::internal()
            })?;

        let policy = session
            .workspace_id
            .as_deref()
            .map(|ws| self.policies.get(ws))
            .unwrap_or_default();
        let (tools, workspace_path) = match &session.workspace_id {
            Some(ws) => {
                let path = self.workspaces.path_of(ws.clone()).await?;
                let context = self.tool_context(&path, &policy).await?;
                (Some(Arc::new(context)), Some(path))
            }
            None => (None, None),
        };

        let db = self.db.clone();
        let session_id = session.id.clone();
        let turn_id = run.turn_id.clone();
        let message = request.message;
        let provider_id = resolved.provider.id();
        let model_name = model.clone();
        let retitle = session.title == "New session";
        let (message_id, history) = run_blocking(move || {
            let mut conn = db.lock();
            let past = sessions::list_messages(&conn, &session_id).map_err(storage_failure)?;
            // One transaction: a crash leaves all of the turn's start (user
            // message, assistant message, turn row) or none of it, never a
            // `streaming` message without the turn row that ends it.
            let conn = conn.transaction().map_err(|e| storage_failure(e.into()))?;
            let now = now_ms();
            let user_id = random_id("msg_");
            sessions::insert_message(&conn, &user_id, &session_id, "user", "complete", now)
                .map_err(storage_failure)?;
            let part = json!({"type": "text", "text": message}).to_string();
            sessions::put_part(&conn, &user_id, 0, "text", &part).map_err(storage_failure)?;
            let assistant_id = random_id("msg_");
            sessions::insert_message(
                &conn,
                &assistant_id,
                &session_id,
                "assistant",
                "streaming",
                now,
            )
            .map_err(storage_failure)?;
            sessions::create_turn(&conn, &turn_id, &session_id, &assistant_id, now)
                .map_err(storage_failure)?;
            sessions::set_session_model(&conn, &session_id, provider_id, &model_name, now)
                .map_err(storage_failure)?;
            if retitle {
                let title: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
                let title: String = title.chars().take(60).collect();
                sessions::rename_session(&conn, &session_id, &title, now)
                    .map_err(storage_failure)?;
            }
            conn.commit().map_err(|e| storage_failure(e.into()))?;
            let mut history = vec![history::system_prompt(workspace_path.as_deref())];
            history.extend(history::from_messages(&past));
            history.push(ChatMessage::User { content: message });
            Ok((assistant_id, history))
        })
        .await?;

        Ok(TurnSpec {
            run: run.clone(),
            session_id: session.id.clone(),
            message_id,
            history,
            model,
            endpoint: resolved.endpoint,
            client: Arc::new(client),
            tools,
            policy,
            max_steps,
            persister: Persister::start(self.db.clone(), run.turn_id.clone()),
            status: self.status_sender(&session.id),
        })
    }

    async fn tool_context(
        &self,
        workspace: &std::path::Path,
        policy: &ToolPolicy,
    ) -> Result<ToolContext, ApiError> {
        let root = self.workspaces.contained(workspace)?;
        let cell = self.sandbox.clone();
        let workspaces = self.workspaces.clone();
        let paths = policy.read_only_paths.clone();
        // Detecting bwrap runs it once; do that off the async workers and
        // only the first time a turn needs tools. The read-only paths are
        // checked again: what was fine when stored may hold a secret now.
        let (sandbox, read_only_paths) = run_blocking(move || {
            let read_only = workspaces.read_only_paths(&paths)?;
            Ok((cell.get_or_init(Sandbox::detect).clone(), read_only))
        })
        .await?;
        Ok(ToolContext {
            root,
            sandbox,
            protected_paths: vec![self.user_data.clone()],
            home: self.home.clone(),
            read_only_paths,
            fetch: FetchPolicy::default(),
        })
    }

    /// The stream of the session's current or latest turn, after the frame
    /// named by `last_event_id` (`<turn_id>:<seq>`), following it live.
    pub async fn resume(
        &self,
        session_id: String,
        last_event_id: Option<String>,
    ) -> Result<Response, ApiError> {
        self.get_session(session_id.clone()).await?;
        let after = last_event_id.as_deref().and_then(sse::parse_event_id);
        if let Some(run) = self.active_run(&session_id) {
            let cursor = match after {
                Some((turn, seq)) if turn == run.turn_id => seq,
                _ => 0,
            };
            return Ok(sse::response(sse::live(run, cursor)));
        }
        let db = self.db.clone();
        let wanted = after.map(|(t, s)| (t.to_owned(), s));
        let (turn_id, frames) = run_blocking(move || {
            let conn = db.lock();
            let turn = match &wanted {
                Some((turn_id, _)) => sessions::get_turn(&conn, turn_id)
                    .map_err(storage_failure)?
                    .filter(|t| t.session_id == session_id),
                None => None,
            };
            let turn = match turn {
                Some(t) => t,
                None => sessions::latest_turn(&conn, &session_id)
                    .map_err(storage_failure)?
                    .ok_or_else(|| {
                        ApiError::not_found("no_turn", "this session has no turn yet")
                    })?,
            };
            let cursor = match &wanted {
                Some((id, seq)) if *id == turn.id => *seq,
                _ => 0,
            };
            let mut frames =
                sessions::chunks_after(&conn, &turn.id, cursor).map_err(storage_failure)?;
            // A turn the host died in has no ending in its log; give readers
            // an honest one (not persisted) instead of a stream that just stops.
            if turn.status == "interrupted" && frames.last().is_none_or(|f| f.1 != chunk::DONE) {
                let last = frames.last().map_or(cursor, |f| f.0);
                let error = chunk::UiChunk::Error {
                    error_text: "the host stopped while this turn was running".to_owned(),
                };
                frames.push((last + 1, error.to_json()));
                frames.push((last + 2, chunk::DONE.to_owned()));
            }
            Ok((turn.id, frames))
        })
        .await?;
        Ok(sse::response(sse::stored(turn_id, frames)))
    }

    /// Stops the session's running turn. False when nothing was running.
    pub async fn abort(&self, session_id: String) -> Result<bool, ApiError> {
        self.get_session(session_id.clone()).await?;
        Ok(match self.active_run(&session_id) {
            Some(run) => {
                run.abort();
                true
            }
            None => false,
        })
    }

    pub async fn answer_approval(
        &self,
        session_id: String,
        approval_id: String,
        approved: bool,
    ) -> Result<(), ApiError> {
        self.get_session(session_id.clone()).await?;
        let run = self.active_run(&session_id);
        if run.is_some_and(|run| run.answer_approval(&approval_id, approved)) {
            Ok(())
        } else {
            Err(ApiError::not_found(
                "unknown_approval",
                "no pending approval with this id in the running turn",
            ))
        }
    }

    pub async fn watch_status(
        &self,
        session_id: String,
    ) -> Result<watch::Receiver<SessionStatus>, ApiError> {
        self.get_session(session_id.clone()).await?;
        Ok(self.status_sender(&session_id).subscribe())
    }

    /// Aborts every running turn (host shutdown).
    pub fn abort_all(&self) {
        for run in self.runs.lock().unwrap_or_else(|p| p.into_inner()).values() {
            run.abort();
        }
    }
}

fn clean_title(title: &str) -> Result<String, ApiError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(ApiError::bad_request(
            "invalid_title",
            format!("a title has 1 to {MAX_TITLE_CHARS} characters"),
        ));
    }
    Ok(title.to_owned())
}

fn unknown_session() -> ApiError {
    ApiError::not_found("unknown_session", "no session with this id")
}

fn get_in(conn: &rusqlite::Connection, id: &str) -> Result<SessionRow, ApiError> {
    sessions::get_session(conn, id)
        .map_err(storage_failure)?
        .ok_or_else(unknown_session)
}

fn get_blocking(db: &Database, id: &str) -> Result<SessionRow, ApiError> {
    get_in(&db.lock(), id)
}
