//! The agent runtime collaborator: sessions, turns, the resumable stream,
//! approvals, abort and per-session status (docs/rfc/sessions.md,
//! docs/rfc/stream.md).
//!
//! It speaks the domain, not HTTP: methods return plain values, a turn's
//! frames as a [`TurnStream`], and failures as [`AgentError`]. The routes
//! turn those into responses, SSE framing and status codes.

pub mod chunk;
mod code_languages;
mod command;
mod deltas;
mod history;
mod persist;
pub mod policy;
pub mod providers;
mod run;
pub mod status;
mod stream;
mod title;
mod turn;
mod undo;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use agent_provider::Provider;
use agent_provider::{ChatMessage, Client};
use agent_storage::sessions::{self, MessageRow, NewSession, SessionQuery, SessionRow};
use agent_storage::StorageError;
use agent_tools::{FetchPolicy, Sandbox, ToolContext};
use serde_json::json;
use tokio::sync::watch;

use crate::blocking::{run_blocking, Blocked};
use crate::changes::TurnRecorder;
use crate::clock::now_ms;
use crate::database::Database;
use crate::document_tools;
use crate::documents::{DocumentError, Documents};
use crate::events::{Events, HostEvent};
use crate::ids::random_id;
use crate::workspaces::{WorkspaceError, Workspaces};
use persist::Persister;
use policy::{Policies, ToolPolicy};
use providers::{
    ProviderSettings, ProviderSettingsPatch, ProviderStatus, Providers, ProvidersError,
};
use run::Run;
use status::{SessionStatus, StatusSender};
pub use stream::{Cursor, TurnStream};
use turn::{run_turn, DocumentTools, Outcome, TurnSpec, TurnTools};

/// Default and ceiling for the number of model calls in one turn.
pub const DEFAULT_MAX_STEPS: u32 = 20;
pub const MAX_STEPS_LIMIT: u32 = 50;
const MAX_MESSAGE_BYTES: usize = 256 * 1024;
const MAX_TITLE_CHARS: usize = 200;

/// Why an agent operation failed. The `Display` text is what a client may
/// be told, except for the faults (`Client`, `Storage`, `Blocked`), whose
/// details belong in the log.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("no session with this id")]
    UnknownSession,
    /// `POST /sessions` named both a workspace and a document.
    #[error("a session belongs to a workspace or to a document, not both")]
    WorkspaceAndDocument,
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// A turn's changes could not be shown or reverted.
    #[error(transparent)]
    Changes(crate::changes::ChangesError),
    #[error("a title has 1 to {MAX_TITLE_CHARS} characters")]
    InvalidTitle,
    #[error("the message is empty")]
    EmptyMessage,
    #[error("a model name has 1 to {MAX_MODEL_CHARS} characters")]
    InvalidModel,
    #[error("the message is larger than 256 KiB")]
    MessageTooLarge,
    #[error("max_steps must be between 1 and {MAX_STEPS_LIMIT}")]
    InvalidMaxSteps,
    /// The session already has a turn running.
    #[error("this session already has a turn running; resume or abort it")]
    RunInFlight,
    #[error("this session has no turn yet")]
    NoTurn,
    /// A retry, but the session's last answer did not fail (or there is
    /// none, or it answered another message than the client's).
    #[error("the session's last answer did not fail, so there is nothing to retry; send the message as a new one")]
    NothingToRetry,
    /// A retry of a failed turn that changed files: replacing its answer
    /// would hide those changes and their undo.
    #[error("the failed answer changed files; retrying it would hide those changes and their Undo, so send a new message instead")]
    RetryAfterChanges,
    #[error("no pending approval with this id in the running turn")]
    UnknownApproval,
    #[error(transparent)]
    Providers(#[from] ProvidersError),
    /// The provider client could not be built (a fault, not a refusal).
    #[error("building the provider client failed: {0}")]
    Client(#[source] agent_provider::ProviderError),
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Blocked(#[from] Blocked),
}

/// A provider and/or model chosen for a session.
pub struct ModelChoice {
    pub provider: Option<Provider>,
    pub model: Option<String>,
}

const MAX_MODEL_CHARS: usize = 200;

/// What a turn answers.
pub enum Prompt {
    /// A new user message, stored before the turn starts.
    Message(String),
    /// The session's last user message again, because its answer failed
    /// (`error` or `interrupted`): the failed answer is marked superseded
    /// (kept, no longer listed or sent to the model) and the question is not
    /// stored again. `expected`: the text the client means to retry; when
    /// the stored question differs, [`AgentError::NothingToRetry`] (the
    /// client's message never reached a turn).
    Retry { expected: Option<String> },
}

/// What a client sends to start a turn.
pub struct TurnRequest {
    pub prompt: Prompt,
    pub provider: Option<Provider>,
    pub model: Option<String>,
    pub max_steps: Option<u32>,
    /// The window's document and selection, shown to the model.
    pub context: Option<TurnContext>,
}

/// What the user is looking at when they send a message.
pub struct TurnContext {
    pub doc_id: String,
    /// UTF-16 offsets (CodeMirror's) of the selection, if any.
    pub selection: Option<(usize, usize)>,
}

pub struct Agent {
    db: Arc<Database>,
    workspaces: Arc<Workspaces>,
    documents: Arc<Documents>,
    providers: Arc<Providers>,
    policies: Arc<Policies>,
    user_data: PathBuf,
    /// The user's home (canonical): an empty tmpfs inside the sandbox.
    home: Option<PathBuf>,
    sandbox: Arc<OnceLock<Option<Sandbox>>>,
    runs: Mutex<HashMap<String, Arc<Run>>>,
    statuses: Mutex<HashMap<String, watch::Sender<SessionStatus>>>,
    /// Built on the first turn; later turns share its connection pool.
    client: Mutex<Option<Client>>,
    /// Told about sessions (`session.*`) and their status (`turn.status`).
    events: Arc<Events>,
    /// Bytes of checkpoints kept (`crate::changes::budget`).
    checkpoint_budget: u64,
}

impl Agent {
    pub fn new(
        db: Arc<Database>,
        workspaces: Arc<Workspaces>,
        documents: Arc<Documents>,
        providers: Arc<Providers>,
        policies: Arc<Policies>,
        user_data: PathBuf,
        events: Arc<Events>,
    ) -> Self {
        Self {
            events,
            checkpoint_budget: crate::changes::budget(),
            db,
            workspaces,
            documents,
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
        doc_id: Option<String>,
    ) -> Result<SessionRow, AgentError> {
        if workspace_id.is_some() && doc_id.is_some() {
            return Err(AgentError::WorkspaceAndDocument);
        }
        if let Some(ws) = &workspace_id {
            self.workspaces.path_of(ws.clone()).await?;
        }
        if let Some(doc) = &doc_id {
            self.documents.resolve(doc.clone()).await?;
        }
        let title = clean_title(title.as_deref().unwrap_or("New session"))?;
        let db = self.db.clone();
        run_blocking(move || {
            let id = random_id("ses_");
            Ok(sessions::create_session(
                &db.lock(),
                &NewSession {
                    id: &id,
                    title: &title,
                    workspace_id: workspace_id.as_deref(),
                    doc_id: doc_id.as_deref(),
                    now_ms: now_ms(),
                },
            )?)
        })
        .await
        .inspect(|row| {
            self.events.publish(HostEvent::SessionCreated {
                session_id: row.id.clone(),
            })
        })
    }

    pub async fn list_sessions(
        &self,
        query: SessionQuery,
    ) -> Result<(Vec<SessionRow>, u64), AgentError> {
        let db = self.db.clone();
        run_blocking(move || Ok(sessions::list_sessions(&db.lock(), &query)?)).await
    }

    pub async fn get_session(&self, id: String) -> Result<SessionRow, AgentError> {
        let db = self.db.clone();
        run_blocking(move || get_blocking(&db, &id)).await
    }

    pub async fn update_session(
        &self,
        id: String,
        title: Option<String>,
        archived: Option<bool>,
        choice: Option<ModelChoice>,
    ) -> Result<SessionRow, AgentError> {
        let title = title.map(|t| clean_title(&t)).transpose()?;
        if let Some(model) = choice.as_ref().and_then(|c| c.model.as_deref()) {
            let model = model.trim();
            if model.is_empty() || model.chars().count() > MAX_MODEL_CHARS {
                return Err(AgentError::InvalidModel);
            }
        }
        let db = self.db.clone();
        run_blocking(move || {
            let conn = db.lock();
            get_in(&conn, &id)?;
            if let Some(title) = title {
                sessions::rename_session(&conn, &id, &title, now_ms())?;
            }
            if let Some(archived) = archived {
                sessions::set_archived(&conn, &id, archived, now_ms())?;
            }
            if let Some(choice) = choice {
                let current = get_in(&conn, &id)?;
                // A model alone keeps the session's provider; a provider
                // alone starts with its default model.
                let (provider, model) = match (choice.provider, choice.model) {
                    (Some(p), model) => (Some(p.id().to_owned()), model),
                    (None, model) => (current.provider, model),
                };
                let model = model.map(|m| m.trim().to_owned());
                sessions::choose_session_model(
                    &conn,
                    &id,
                    provider.as_deref(),
                    model.as_deref(),
                    now_ms(),
                )?;
            }
            get_in(&conn, &id)
        })
        .await
        .inspect(|row| {
            self.events.publish(HostEvent::SessionUpdated {
                session_id: row.id.clone(),
            })
        })
    }

    /// Deletes a session; a running turn is aborted first.
    pub async fn delete_session(&self, id: String) -> Result<(), AgentError> {
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
        let deleted = id.clone();
        run_blocking(move || {
            if sessions::delete_session(&db.lock(), &id)? {
                Ok(())
            } else {
                Err(AgentError::UnknownSession)
            }
        })
        .await
        .inspect(|()| {
            self.events.publish(HostEvent::SessionDeleted {
                session_id: deleted,
            })
        })
    }

    pub async fn messages(&self, id: String) -> Result<Vec<MessageRow>, AgentError> {
        let db = self.db.clone();
        run_blocking(move || {
            let conn = db.lock();
            get_in(&conn, &id)?;
            Ok(sessions::list_messages(&conn, &id)?)
        })
        .await
    }

    // ---- providers and tool policies -------------------------------------

    /// Which providers can serve a turn, in resolution order.
    pub async fn provider_status(&self) -> Result<Vec<ProviderStatus>, AgentError> {
        let providers = self.providers.clone();
        run_blocking(move || Ok(providers.status())).await
    }

    /// Validates and keeps one provider's settings; the new status list.
    pub async fn configure_provider(
        &self,
        provider: Provider,
        settings: ProviderSettings,
    ) -> Result<Vec<ProviderStatus>, AgentError> {
        let providers = self.providers.clone();
        run_blocking(move || {
            providers.configure(provider, settings)?;
            Ok(providers.status())
        })
        .await
    }

    /// Changes the fields of a provider's settings that `patch` names.
    pub async fn update_provider(
        &self,
        provider: Provider,
        patch: ProviderSettingsPatch,
    ) -> Result<Vec<ProviderStatus>, AgentError> {
        let providers = self.providers.clone();
        run_blocking(move || {
            providers.update(provider, patch)?;
            Ok(providers.status())
        })
        .await
    }

    /// The tool policy of a known workspace.
    pub async fn policy(&self, workspace_id: String) -> Result<ToolPolicy, AgentError> {
        self.workspaces.path_of(workspace_id.clone()).await?;
        Ok(self.policies.get(&workspace_id))
    }

    /// Replaces a known workspace's tool policy, once its read-only paths
    /// pass the same check a turn applies.
    pub async fn set_policy(
        &self,
        workspace_id: String,
        policy: ToolPolicy,
    ) -> Result<ToolPolicy, AgentError> {
        self.workspaces.path_of(workspace_id.clone()).await?;
        let workspaces = self.workspaces.clone();
        let paths = policy.read_only_paths.clone();
        run_blocking(move || Ok::<_, AgentError>(workspaces.read_only_paths(&paths)?)).await?;
        let policies = self.policies.clone();
        let stored = policy.clone();
        run_blocking(move || Ok::<_, AgentError>(policies.set(&workspace_id, stored)?)).await?;
        Ok(policy)
    }

    // ---- turns ----------------------------------------------------------

    fn active_run(&self, session_id: &str) -> Option<Arc<Run>> {
        self.runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(session_id)
            .cloned()
    }

    fn status_sender(&self, session_id: &str) -> StatusSender {
        let tx = self
            .statuses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(session_id.to_owned())
            .or_insert_with(|| watch::channel(SessionStatus::Idle).0)
            .clone();
        StatusSender {
            tx,
            events: self.events.clone(),
            session_id: session_id.to_owned(),
        }
    }

    /// Starts a turn (a new message, or a retry of the failed last one)
    /// and returns the stream of its frames from the start. Refusals
    /// (unknown session, turn in flight, nothing to retry, no provider) come
    /// before any stream opens.
    pub async fn start_turn(
        self: &Arc<Self>,
        session_id: String,
        request: TurnRequest,
    ) -> Result<TurnStream, AgentError> {
        match &request.prompt {
            Prompt::Message(message) if message.trim().is_empty() => {
                return Err(AgentError::EmptyMessage)
            }
            Prompt::Message(text)
            | Prompt::Retry {
                expected: Some(text),
            } if text.len() > MAX_MESSAGE_BYTES => return Err(AgentError::MessageTooLarge),
            _ => {}
        }
        let max_steps = request.max_steps.unwrap_or(DEFAULT_MAX_STEPS);
        if !(1..=MAX_STEPS_LIMIT).contains(&max_steps) {
            return Err(AgentError::InvalidMaxSteps);
        }
        let session = self.get_session(session_id.clone()).await?;

        // Reserve the session before any await, so two starts cannot race.
        let turn_id = random_id("turn_");
        let run = Run::new(turn_id.clone());
        {
            let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
            if runs.contains_key(&session_id) {
                return Err(AgentError::RunInFlight);
            }
            runs.insert(session_id.clone(), run.clone());
        }
        match self.prepare_turn(&session, &run, request, max_steps).await {
            Ok(spec) => {
                let stream = run.clone();
                let status = spec.status.clone();
                status.send_replace(SessionStatus::Busy);
                let agent = self.clone();
                tokio::spawn(async move {
                    let outcome = run_turn(spec).await;
                    agent.finish_run(&session_id, &turn_id, &run, outcome);
                });
                Ok(TurnStream::live(stream, 0))
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

    /// A turn ended and everything it wrote is stored: the session is
    /// freed and its status set, and only then is the run's log closed, so
    /// a client that read the stream to its end finds the session idle and
    /// can start (or retry) the next turn at once, never `run_in_flight`.
    fn finish_run(&self, session_id: &str, turn_id: &str, run: &Run, outcome: Outcome) {
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
        drop(statuses);
        // Keep checkpoints under their budget; the turn that just ended is
        // the newest and is never pruned.
        let db = self.db.clone();
        let budget = self.checkpoint_budget;
        tokio::task::spawn_blocking(move || crate::changes::prune(&db.lock(), budget));
        self.events.publish(HostEvent::TurnStatus {
            session_id: session_id.to_owned(),
            status,
        });
        self.events.publish(HostEvent::SessionUpdated {
            session_id: session_id.to_owned(),
        });
        run.close();
    }

    async fn prepare_turn(
        &self,
        session: &SessionRow,
        run: &Arc<Run>,
        request: TurnRequest,
        max_steps: u32,
    ) -> Result<TurnSpec, AgentError> {
        // A retry is refused before anything else (the provider included):
        // a client told `nothing_to_retry` sends its message as a new turn.
        if let Prompt::Retry { expected } = &request.prompt {
            let db = self.db.clone();
            let id = session.id.clone();
            let expected = expected.clone();
            run_blocking(move || retry_target(&db.lock(), &id, expected.as_deref()).map(drop))
                .await?;
        }
        // The session's chosen provider and model, for a turn naming none.
        let chosen_provider = session
            .model_chosen
            .then(|| session.provider.as_deref().and_then(Provider::parse))
            .flatten();
        let providers = self.providers.clone();
        let explicit = request.provider.or(chosen_provider);
        let resolved =
            run_blocking(move || Ok::<_, AgentError>(providers.resolve(explicit)?)).await?;
        // The chosen model goes with the chosen provider (or with whichever
        // resolves when the choice named none).
        let chosen_model = session
            .model
            .clone()
            .filter(|_| session.model_chosen)
            .filter(|_| chosen_provider.is_none_or(|p| p == resolved.provider));
        let model = request
            .model
            .filter(|m| !m.trim().is_empty())
            .or(chosen_model)
            .unwrap_or_else(|| resolved.default_model.clone());
        let client = self
            .client_for(resolved.client_config.clone())
            .map_err(AgentError::Client)?;

        let policy = session
            .workspace_id
            .as_deref()
            .map(|ws| self.policies.get(ws))
            .unwrap_or_default();
        let recorder = Arc::new(TurnRecorder {
            db: self.db.clone(),
            session_id: session.id.clone(),
            turn_id: run.turn_id.clone(),
            on_write: {
                let documents = self.documents.clone();
                Box::new(move |path| documents.agent_wrote(path))
            },
        });
        let mut tools = TurnTools::default();
        let mut workspace_path = None;
        if let Some(ws) = &session.workspace_id {
            let path = self.workspaces.path_of(ws.clone()).await?;
            let mut context = self.tool_context(&path, &policy).await?;
            context.observer = agent_tools::Observer(Some(recorder.clone()));
            tools.workspace = Some(Arc::new(context));
            workspace_path = Some(path);
        }
        // The session's document: its tools, and what the prompt says of it.
        let mut document = None;
        if let Some(doc_id) = &session.doc_id {
            let (doc, text) = self.documents.read(doc_id.clone()).await?;
            let name = doc
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            document = Some(history::DocumentPrompt {
                path: doc.path.clone(),
                name: name.clone(),
                version: text.mtime,
            });
            tools.document = Some(DocumentTools {
                documents: self.documents.clone(),
                doc_id: doc_id.clone(),
                name,
                recorder: recorder.clone(),
            });
        }
        // The window's selection, quoted for the model.
        let mut selection = None;
        if let Some(TurnContext {
            doc_id,
            selection: Some((from, to)),
        }) = request.context
        {
            let (_, text) = self.documents.read(doc_id).await?;
            selection = document_tools::quote_selection(&text.content, from, to);
        }

        let db = self.db.clone();
        let session_id = session.id.clone();
        let turn_id = run.turn_id.clone();
        let prompt = request.prompt;
        let provider_id = resolved.provider.id();
        let model_name = model.clone();
        let retitle = session.title == "New session";
        // Parsed before the database lock is taken.
        let message_languages = match &prompt {
            Prompt::Message(message) => code_languages::code_languages(message),
            Prompt::Retry { .. } => Vec::new(),
        };
        let (message_id, history) = run_blocking(move || {
            let mut conn = db.lock();
            let (past, retried, message) = match prompt {
                Prompt::Message(message) => {
                    (sessions::list_messages(&conn, &session_id)?, None, message)
                }
                // Checked again under the lock that this write holds.
                Prompt::Retry { expected } => {
                    let target = retry_target(&conn, &session_id, expected.as_deref())?;
                    (target.past, Some(target.failed), target.question)
                }
            };
            // One transaction: a crash leaves all of the turn's start (user
            // message or superseded answer, assistant message, turn row) or
            // none of it, never a `streaming` message without the turn row
            // that ends it.
            let conn = conn.transaction().map_err(StorageError::from)?;
            let now = now_ms();
            match &retried {
                None => {
                    let user_id = random_id("msg_");
                    sessions::insert_message(
                        &conn,
                        &user_id,
                        &session_id,
                        "user",
                        "complete",
                        now,
                    )?;
                    let part = json!({"type": "text", "text": message}).to_string();
                    sessions::put_part(&conn, &user_id, 0, "text", &part)?;
                    sessions::note_code_languages(&conn, &user_id, &message_languages)?;
                }
                Some(failed) => {
                    if !sessions::supersede_message(&conn, failed, &turn_id)? {
                        return Err(AgentError::NothingToRetry);
                    }
                }
            }
            let assistant_id = random_id("msg_");
            sessions::insert_message(
                &conn,
                &assistant_id,
                &session_id,
                "assistant",
                "streaming",
                now,
            )?;
            sessions::create_turn(&conn, &turn_id, &session_id, &assistant_id, now)?;
            sessions::set_session_model(&conn, &session_id, provider_id, &model_name, now)?;
            if retitle && retried.is_none() {
                let title = title::title_from_message(&message);
                sessions::rename_session(&conn, &session_id, &title, now)?;
            }
            conn.commit().map_err(StorageError::from)?;
            let mut history = vec![history::system_prompt(
                workspace_path.as_deref(),
                document.as_ref(),
            )];
            history.extend(history::from_messages(&past));
            if let Some(selection) = selection {
                history.push(ChatMessage::System { content: selection });
            }
            history.push(ChatMessage::User { content: message });
            Ok::<_, AgentError>((assistant_id, history))
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
    ) -> Result<ToolContext, AgentError> {
        let root = self.workspaces.contained(workspace)?;
        let cell = self.sandbox.clone();
        let workspaces = self.workspaces.clone();
        let paths = policy.read_only_paths.clone();
        // Detecting bwrap runs it once; do that off the async workers and
        // only the first time a turn needs tools. The read-only paths are
        // checked again: what was fine when stored may hold a secret now.
        let (sandbox, read_only_paths) = run_blocking(move || {
            let read_only = workspaces.read_only_paths(&paths)?;
            Ok::<_, AgentError>((cell.get_or_init(Sandbox::detect).clone(), read_only))
        })
        .await?;
        Ok(ToolContext {
            root,
            sandbox,
            protected_paths: vec![self.user_data.clone()],
            home: self.home.clone(),
            read_only_paths,
            fetch: FetchPolicy::default(),
            observer: Default::default(),
        })
    }

    /// The stream of the session's current or latest turn, after `after`
    /// (from its start when `after` names another turn or nothing),
    /// following it live.
    pub async fn resume(
        &self,
        session_id: String,
        after: Option<Cursor>,
    ) -> Result<TurnStream, AgentError> {
        self.get_session(session_id.clone()).await?;
        if let Some(run) = self.active_run(&session_id) {
            let cursor = match &after {
                Some(after) if after.turn_id == run.turn_id => after.seq,
                _ => 0,
            };
            return Ok(TurnStream::live(run, cursor));
        }
        let db = self.db.clone();
        let (turn_id, frames) = run_blocking(move || {
            let conn = db.lock();
            let turn = match &after {
                Some(after) => sessions::get_turn(&conn, &after.turn_id)?
                    .filter(|t| t.session_id == session_id),
                None => None,
            };
            let turn = match turn {
                Some(t) => t,
                None => sessions::latest_turn(&conn, &session_id)?.ok_or(AgentError::NoTurn)?,
            };
            let cursor = match &after {
                Some(after) if after.turn_id == turn.id => after.seq,
                _ => 0,
            };
            let mut frames = sessions::chunks_after(&conn, &turn.id, cursor)?;
            // A turn the host died in has no ending in its log; give readers
            // an honest one (not persisted) instead of a stream that just
            // stops, numbered after the log, and only what is after the
            // reader's cursor (which may be inside that ending).
            if turn.status == "interrupted" && frames.last().is_none_or(|f| f.1 != chunk::DONE) {
                let end = match frames.last() {
                    Some(f) => f.0,
                    None => sessions::last_chunk_seq(&conn, &turn.id)?,
                };
                let error = chunk::UiChunk::Error {
                    error_text: "the host stopped while this turn was running".to_owned(),
                };
                let ending = [
                    (end + 1, error.to_json()),
                    (end + 2, chunk::DONE.to_owned()),
                ];
                frames.extend(ending.into_iter().filter(|(seq, _)| *seq > cursor));
            }
            Ok::<_, AgentError>((turn.id, frames))
        })
        .await?;
        Ok(TurnStream::stored(turn_id, frames))
    }

    /// Stops the session's running turn. False when nothing was running.
    pub async fn abort(&self, session_id: String) -> Result<bool, AgentError> {
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
    ) -> Result<(), AgentError> {
        self.get_session(session_id.clone()).await?;
        let run = self.active_run(&session_id);
        if run.is_some_and(|run| run.answer_approval(&approval_id, approved)) {
            Ok(())
        } else {
            Err(AgentError::UnknownApproval)
        }
    }

    pub async fn watch_status(
        &self,
        session_id: String,
    ) -> Result<watch::Receiver<SessionStatus>, AgentError> {
        self.get_session(session_id.clone()).await?;
        Ok(self.status_sender(&session_id).tx.subscribe())
    }

    /// Aborts every running turn (host shutdown).
    pub fn abort_all(&self) {
        for run in self.runs.lock().unwrap_or_else(|p| p.into_inner()).values() {
            run.abort();
        }
    }
}

/// What a retry answers again: the question and the messages before it,
/// and the failed answer it replaces.
struct RetryTarget {
    past: Vec<MessageRow>,
    question: String,
    failed: String,
}

/// The session's retryable last turn: its last listed message is an
/// answer that failed (`error`, or `interrupted` by a host that died)
/// right after the user's question, the question is `expected` (when the
/// client says which it means), and its turn changed no file (superseding
/// the answer would hide those changes and their undo).
fn retry_target(
    conn: &rusqlite::Connection,
    session_id: &str,
    expected: Option<&str>,
) -> Result<RetryTarget, AgentError> {
    let mut messages = sessions::list_messages(conn, session_id)?;
    let n = messages.len();
    let (Some(failed), Some(asked)) = (messages.last(), n.checked_sub(2).map(|i| &messages[i]))
    else {
        return Err(AgentError::NothingToRetry);
    };
    let failed_turn = match &failed.turn_id {
        Some(turn)
            if failed.role == "assistant"
                && matches!(failed.status.as_str(), "error" | "interrupted")
                && asked.role == "user" =>
        {
            turn.clone()
        }
        _ => return Err(AgentError::NothingToRetry),
    };
    let question = history::text_of(asked);
    if expected.is_some_and(|e| e.trim() != question.trim()) {
        return Err(AgentError::NothingToRetry);
    }
    if agent_storage::changes::change_set(conn, &failed_turn)?.is_some() {
        return Err(AgentError::RetryAfterChanges);
    }
    let failed = failed.id.clone();
    messages.truncate(n - 2);
    Ok(RetryTarget {
        past: messages,
        question,
        failed,
    })
}

fn clean_title(title: &str) -> Result<String, AgentError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(AgentError::InvalidTitle);
    }
    Ok(title.to_owned())
}

fn get_in(conn: &rusqlite::Connection, id: &str) -> Result<SessionRow, AgentError> {
    sessions::get_session(conn, id)?.ok_or(AgentError::UnknownSession)
}

fn get_blocking(db: &Database, id: &str) -> Result<SessionRow, AgentError> {
    get_in(&db.lock(), id)
}
