//! `/sessions`: sessions, their messages and their turns. The wire types
//! of the session routes live here next to their handlers; the turn and
//! status streams are handed to `sse.rs` for framing.

use std::sync::Arc;

use agent_provider::Provider;
use agent_security::ApiError;
use agent_storage::sessions::{MessageRow, SessionQuery, SessionRow};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use super::sse::{self, StatusEvent};
use crate::agent::{ModelChoice, Prompt, TurnContext, TurnRequest};
use crate::api::ErrorResponse;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Session {
    pub id: String,
    pub title: String,
    pub workspace_id: Option<String>,
    /// The document the session belongs to (its turns get
    /// `read_document` and `edit_document`).
    pub doc_id: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub archived: bool,
    pub usage: Usage,
    /// `provider`/`model` were chosen with `PATCH /sessions/{id}`: a turn
    /// that names none uses them. Otherwise they say what the latest turn
    /// used, and a turn uses the first configured provider and its default
    /// model.
    pub model_chosen: bool,
    /// The languages its newest code blocks name (the first word of each
    /// fence's info string, lower-cased), newest first, at most 6: a
    /// window can load their highlighting before the messages arrive.
    pub code_languages: Vec<String>,
}

/// What a session used over all its turns.
#[derive(Serialize, ToSchema)]
pub struct Usage {
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// US dollars: the sum of the costs its turns' answers report
    /// (`metadata.usage.cost`); absent when none reported one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
    /// Present (true) when the sum leaves out a turn that used tokens
    /// without a reported cost (a provider that does not report it, or a
    /// turn mixing calls that did and did not): the real cost is at least
    /// `cost`. Absent when `cost` covers every turn, and without a `cost`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schema(required = false)]
    pub cost_partial: bool,
}

impl From<SessionRow> for Session {
    fn from(row: SessionRow) -> Self {
        Session {
            id: row.id,
            title: row.title,
            workspace_id: row.workspace_id,
            doc_id: row.doc_id,
            provider: row.provider,
            model: row.model,
            created_at_ms: row.created_at_ms,
            updated_at_ms: row.updated_at_ms,
            archived: row.archived,
            usage: Usage {
                input_tokens: row.input_tokens,
                output_tokens: row.output_tokens,
                cost: row.cost,
                cost_partial: row.cost_partial,
            },
            model_chosen: row.model_chosen,
            code_languages: row.code_languages,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CreateSession {
    #[serde(default)]
    pub title: Option<String>,
    /// Tools run in this workspace; without one the session has no tools.
    #[serde(default)]
    pub workspace_id: Option<String>,
    /// The session belongs to this document (exclusive with
    /// `workspace_id`): its turns see it and may edit it.
    #[serde(default)]
    pub doc_id: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Words that must all appear in the session's title or message text,
    /// each as a word prefix, ignoring case and accents (never FTS syntax).
    #[serde(default)]
    pub q: Option<String>,
    /// Only this document's sessions.
    #[serde(default)]
    pub doc_id: Option<String>,
    #[serde(default)]
    pub include_archived: bool,
    /// Page size, 1..=200 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub offset: u32,
}

#[derive(Serialize, ToSchema)]
pub struct SessionPage {
    pub sessions: Vec<Session>,
    pub total: u64,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateSession {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub archived: Option<bool>,
    /// The session's provider from now on (`openrouter`, `ai-gateway`,
    /// `custom`); without `model`, the provider's default model.
    #[serde(default)]
    pub provider: Option<String>,
    /// The session's model from now on (with the session's provider).
    #[serde(default)]
    pub model: Option<String>,
}

/// A stored message in the AI SDK `UIMessage` shape (`parts` as streamed).
#[derive(Serialize, ToSchema)]
pub struct Message {
    pub id: String,
    pub role: String,
    // Each as stored (JSON the host wrote), checked and passed through, not
    // parsed into values and written out again: a 1,000-message session's
    // list takes ~11 ms instead of ~14 (release host,
    // web/bench/messages-list.mjs), and a part's keys keep their stored
    // order instead of being sorted.
    #[schema(value_type = Vec<Object>)]
    pub parts: Vec<Box<RawValue>>,
    pub metadata: MessageMetadata,
}

#[derive(Serialize, ToSchema)]
pub struct MessageMetadata {
    /// `complete`, `streaming`, `aborted`, `error` or `interrupted`.
    pub status: String,
    pub created_at_ms: i64,
    /// The turn that wrote this answer (assistant messages): its changes
    /// are `GET /sessions/{id}/turns/{turn_id}/changes`.
    #[serde(rename = "turnId", skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    /// The answer's turn's tokens (all its model calls), once it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<MessageUsage>,
    /// Why the answer failed (status `error` or `interrupted`): what its
    /// stream's `error` chunk said, kept for a reload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<MessageError>,
}

#[derive(Serialize, ToSchema)]
pub struct MessageError {
    /// A stable code: the provider's (`provider_status`, `provider_error`,
    /// `provider_timeout`, …) or `host_stopped` (the host died while the
    /// turn ran).
    pub code: String,
    /// What happened, for a person (never a key).
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct MessageUsage {
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// US dollars, when the provider reported it (OpenRouter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct MessageList {
    pub messages: Vec<Message>,
}

#[derive(Deserialize, ToSchema)]
pub struct StartTurn {
    /// The user's message.
    pub message: String,
    /// `openrouter`, `ai-gateway` or `custom`; skips the resolution order.
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    /// Model calls allowed in this turn (default 20, at most 50).
    #[serde(default)]
    pub max_steps: Option<u32>,
    /// What the user is looking at: the model sees the selection quoted
    /// with its line numbers.
    #[serde(default)]
    pub context: Option<TurnContextBody>,
}

/// `POST /sessions/{id}/turns/retry`: a turn's options, without a message
/// (the stored question is answered again).
#[derive(Deserialize, ToSchema)]
pub struct RetryTurn {
    /// The text of the user message the client means to retry. When the
    /// session's failed turn answered another message (the client's was
    /// refused before it was stored), 409 `nothing_to_retry`: send it as a
    /// new turn.
    #[serde(default)]
    pub expected_message: Option<String>,
    /// `openrouter`, `ai-gateway` or `custom`; skips the resolution order.
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    /// Model calls allowed in this turn (default 20, at most 50).
    #[serde(default)]
    pub max_steps: Option<u32>,
    /// What the user is looking at (as when starting a turn).
    #[serde(default)]
    pub context: Option<TurnContextBody>,
}

#[derive(Deserialize, ToSchema)]
pub struct TurnContextBody {
    pub doc_id: String,
    #[serde(default)]
    pub selection: Option<SelectionBody>,
}

/// A selection as UTF-16 offsets into the document's text (CodeMirror's).
#[derive(Deserialize, ToSchema)]
pub struct SelectionBody {
    pub from: usize,
    pub to: usize,
}

#[derive(Serialize, ToSchema)]
pub struct AbortResult {
    /// False when no turn was running.
    pub aborted: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct ApprovalAnswer {
    pub approved: bool,
}

/// Creates a session.
#[utoipa::path(post, path = "/sessions", tag = "sessions", request_body = CreateSession,
    responses((status = 200, body = Session),
              (status = 400, description = "`invalid_title`, `workspace_and_document`", body = ErrorResponse),
              (status = 404, description = "`unknown_workspace`, `unknown_document`", body = ErrorResponse)))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    ApiJson(body): ApiJson<CreateSession>,
) -> Result<Json<Session>, ApiError> {
    Ok(Json(
        state
            .agent
            .create_session(body.title, body.workspace_id, body.doc_id)
            .await?
            .into(),
    ))
}

/// Lists sessions, newest first, with paging and a text filter.
#[utoipa::path(get, path = "/sessions", operation_id = "list_sessions", tag = "sessions", params(ListQuery),
    responses((status = 200, body = SessionPage)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<SessionPage>, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "limit must be between 1 and 200",
        ));
    }
    let (rows, total) = state
        .agent
        .list_sessions(SessionQuery {
            filter: query.q,
            doc_id: query.doc_id,
            include_archived: query.include_archived,
            limit,
            offset: query.offset,
        })
        .await?;
    Ok(Json(SessionPage {
        sessions: rows.into_iter().map(Session::from).collect(),
        total,
    }))
}

/// One session, with its token usage.
#[utoipa::path(get, path = "/sessions/{id}", tag = "sessions", params(("id" = String, Path)),
    responses((status = 200, body = Session),
              (status = 404, description = "`unknown_session`", body = ErrorResponse)))]
pub async fn get(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Session>, ApiError> {
    Ok(Json(state.agent.get_session(id).await?.into()))
}

/// Renames and/or archives a session.
#[utoipa::path(patch, path = "/sessions/{id}", tag = "sessions", params(("id" = String, Path)),
    request_body = UpdateSession,
    responses((status = 200, body = Session),
              (status = 400, description = "`invalid_title`, `invalid_model`", body = ErrorResponse),
              (status = 404, description = "`unknown_session`, `unknown_provider`", body = ErrorResponse)))]
pub async fn update(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateSession>,
) -> Result<Json<Session>, ApiError> {
    let provider = body
        .provider
        .as_deref()
        .map(|p| {
            Provider::parse(p).ok_or_else(|| {
                ApiError::not_found(
                    "unknown_provider",
                    "expected openrouter, ai-gateway or custom",
                )
            })
        })
        .transpose()?;
    let choice = (provider.is_some() || body.model.is_some()).then_some(ModelChoice {
        provider,
        model: body.model,
    });
    Ok(Json(
        state
            .agent
            .update_session(id, body.title, body.archived, choice)
            .await?
            .into(),
    ))
}

/// Deletes a session and its history (a running turn is aborted first).
#[utoipa::path(delete, path = "/sessions/{id}", operation_id = "delete_session", tag = "sessions", params(("id" = String, Path)),
    responses((status = 204), (status = 404, description = "`unknown_session`", body = ErrorResponse)))]
pub async fn delete(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.agent.delete_session(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The session's messages, oldest first, as UI messages.
#[utoipa::path(get, path = "/sessions/{id}/messages", tag = "sessions", params(("id" = String, Path)),
    responses((status = 200, body = MessageList),
              (status = 404, description = "`unknown_session`", body = ErrorResponse)))]
pub async fn messages(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<MessageList>, ApiError> {
    let rows = state.agent.messages(id).await?;
    Ok(Json(MessageList {
        messages: rows.into_iter().map(to_message).collect(),
    }))
}

fn to_message(row: MessageRow) -> Message {
    Message {
        id: row.id,
        role: row.role,
        parts: row
            .parts
            .into_iter()
            .filter_map(|p| RawValue::from_string(p.body).ok())
            .collect(),
        metadata: MessageMetadata {
            status: row.status,
            created_at_ms: row.created_at_ms,
            turn_id: row.turn_id,
            usage: row.usage.map(|(input_tokens, output_tokens)| MessageUsage {
                input_tokens,
                output_tokens,
                cost: row.cost,
            }),
            error: row.error.map(|e| MessageError {
                code: e.code,
                message: e.message,
            }),
        },
    }
}

/// Starts a turn and streams it (AI SDK UI message stream v1, `text/event-stream`,
/// header `x-vercel-ai-ui-message-stream: v1`). Every frame has an `id:`
/// (`<turn_id>:<seq>`); the stream ends with `data: [DONE]`. Disconnecting
/// does not stop the turn.
#[utoipa::path(post, path = "/sessions/{id}/turns", tag = "agent", params(("id" = String, Path)),
    request_body = StartTurn,
    responses((status = 200, description = "UI message stream", content_type = "text/event-stream"),
              (status = 400, description = "`invalid_message`: empty; `invalid_max_steps`", body = ErrorResponse),
              (status = 404, description = "`unknown_session`, `unknown_provider`", body = ErrorResponse),
              (status = 409, description = "`run_in_flight`, `provider_down`", body = ErrorResponse),
              (status = 413, description = "`invalid_message`: over 256 KiB", body = ErrorResponse)))]
pub async fn start_turn(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StartTurn>,
) -> Result<Response, ApiError> {
    let request = turn_request(
        Prompt::Message(body.message),
        body.provider,
        body.model,
        body.max_steps,
        body.context,
    )?;
    Ok(sse::turn(state.agent.start_turn(id, request).await?))
}

/// Answers the session's last user message again because its answer
/// failed (status `error` or `interrupted`), and streams the new turn like
/// `POST /sessions/{id}/turns`. The question is not stored again; the
/// failed answer is kept but superseded: no longer listed by
/// `GET /sessions/{id}/messages` nor sent to the model. The title is
/// unchanged.
#[utoipa::path(post, path = "/sessions/{id}/turns/retry", tag = "agent", params(("id" = String, Path)),
    request_body = RetryTurn,
    responses((status = 200, description = "UI message stream", content_type = "text/event-stream"),
              (status = 400, description = "`invalid_max_steps`", body = ErrorResponse),
              (status = 404, description = "`unknown_session`, `unknown_provider`", body = ErrorResponse),
              (status = 409, description = "`nothing_to_retry`: the last answer did not fail, there is none, or it answered another message than `expected_message`; `retry_after_changes`: the failed turn changed files (send a new message, so its changes and their Undo stay); `run_in_flight`, `provider_down`", body = ErrorResponse),
              (status = 413, description = "`invalid_message`: `expected_message` over 256 KiB", body = ErrorResponse)))]
pub async fn retry_turn(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RetryTurn>,
) -> Result<Response, ApiError> {
    let request = turn_request(
        Prompt::Retry {
            expected: body.expected_message,
        },
        body.provider,
        body.model,
        body.max_steps,
        body.context,
    )?;
    Ok(sse::turn(state.agent.start_turn(id, request).await?))
}

fn turn_request(
    prompt: Prompt,
    provider: Option<String>,
    model: Option<String>,
    max_steps: Option<u32>,
    context: Option<TurnContextBody>,
) -> Result<TurnRequest, ApiError> {
    let provider = provider
        .as_deref()
        .map(|p| {
            Provider::parse(p).ok_or_else(|| {
                ApiError::not_found(
                    "unknown_provider",
                    "expected openrouter, ai-gateway or custom",
                )
            })
        })
        .transpose()?;
    Ok(TurnRequest {
        prompt,
        provider,
        model,
        max_steps,
        context: context.map(|c| TurnContext {
            doc_id: c.doc_id,
            selection: c.selection.map(|s| (s.from, s.to)),
        }),
    })
}

/// Resumes the session's current or latest turn after `Last-Event-ID`
/// (all of it without the header), then follows it live. Finished turns
/// replay from the persisted chunk log, also after a host restart.
#[utoipa::path(get, path = "/sessions/{id}/stream", tag = "agent",
    params(("id" = String, Path), ("Last-Event-ID" = Option<String>, Header)),
    responses((status = 200, description = "UI message stream", content_type = "text/event-stream"),
              (status = 404, description = "`unknown_session`, `no_turn`", body = ErrorResponse)))]
pub async fn resume(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let after = sse::last_event_id(&headers);
    Ok(sse::turn(state.agent.resume(id, after).await?))
}

/// Stops the running turn (the only thing that does).
#[utoipa::path(post, path = "/sessions/{id}/abort", tag = "agent", params(("id" = String, Path)),
    responses((status = 200, body = AbortResult),
              (status = 404, description = "`unknown_session`", body = ErrorResponse)))]
pub async fn abort(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<AbortResult>, ApiError> {
    Ok(Json(AbortResult {
        aborted: state.agent.abort(id).await?,
    }))
}

/// Answers a `tool-approval-request`.
#[utoipa::path(post, path = "/sessions/{id}/approvals/{approval_id}", tag = "agent",
    params(("id" = String, Path), ("approval_id" = String, Path)), request_body = ApprovalAnswer,
    responses((status = 204),
              (status = 404, description = "`unknown_session`, `unknown_approval`", body = ErrorResponse)))]
pub async fn approve(
    State(state): State<Arc<AppState>>,
    Path((id, approval_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<ApprovalAnswer>,
) -> Result<StatusCode, ApiError> {
    state
        .agent
        .answer_approval(id, approval_id, body.approved)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Server-sent events `data: {"status": "idle"|"busy"|"waiting-for-approval"|"error"}`:
/// the current status first, then every change.
#[utoipa::path(get, path = "/sessions/{id}/status", tag = "agent", params(("id" = String, Path)),
    responses((status = 200, description = "status events", content_type = "text/event-stream", body = StatusEvent),
              (status = 404, description = "`unknown_session`", body = ErrorResponse)))]
pub async fn status(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(sse::status(state.agent.watch_status(id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct RevertRequest {
    /// Overwrite files that changed since the turn.
    #[serde(default)]
    pub force: bool,
}

/// A revert refused because files changed since the turn.
#[derive(Serialize, ToSchema)]
pub struct RevertConflict {
    pub error: crate::api::ErrorDetail,
    /// The files whose content is no longer what the turn left.
    pub files: Vec<String>,
}

/// What a turn changed: per file, its status and a unified diff.
#[utoipa::path(get, path = "/sessions/{id}/turns/{turn_id}/changes", tag = "changes",
    params(("id" = String, Path), ("turn_id" = String, Path)),
    responses((status = 200, body = crate::changes::TurnChanges),
              (status = 404, description = "`unknown_session`, `unknown_turn`", body = ErrorResponse),
              (status = 410, description = "`checkpoint_pruned`", body = ErrorResponse)))]
pub async fn changes(
    State(state): State<Arc<AppState>>,
    Path((id, turn_id)): Path<(String, String)>,
) -> Result<Json<crate::changes::TurnChanges>, ApiError> {
    Ok(Json(state.agent.changes(id, turn_id).await?))
}

/// Restores every file the turn changed to its content before the turn,
/// each atomically; recorded as a change of its own (`revert_id`), which
/// `POST /sessions/{id}/changes/{revert_id}/revert` undoes.
#[utoipa::path(post, path = "/sessions/{id}/turns/{turn_id}/revert", tag = "changes",
    params(("id" = String, Path), ("turn_id" = String, Path)), request_body = RevertRequest,
    responses((status = 200, body = crate::changes::Reverted),
              (status = 403, description = "`workspace_not_allowed`: the session's workspace may no longer be one", body = ErrorResponse),
              (status = 404, description = "`unknown_session`, `unknown_turn`; `unknown_workspace`, `unknown_document`: the session's workspace or document is gone", body = ErrorResponse),
              (status = 409, description = "`changed_since`: files changed since the turn (their paths in `files`)", body = RevertConflict),
              (status = 410, description = "`checkpoint_pruned`", body = ErrorResponse)))]
pub async fn revert_turn(
    State(state): State<Arc<AppState>>,
    Path((id, turn_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<RevertRequest>,
) -> Result<Response, ApiError> {
    revert(state, id, turn_id, body).await
}

/// Undoes a revert (or any recorded change set) the same way.
#[utoipa::path(post, path = "/sessions/{id}/changes/{change_id}/revert", tag = "changes",
    params(("id" = String, Path), ("change_id" = String, Path)), request_body = RevertRequest,
    responses((status = 200, body = crate::changes::Reverted),
              (status = 403, description = "`workspace_not_allowed`: the session's workspace may no longer be one", body = ErrorResponse),
              (status = 404, description = "`unknown_session`, `unknown_turn`; `unknown_workspace`, `unknown_document`: the session's workspace or document is gone", body = ErrorResponse),
              (status = 409, description = "`changed_since`", body = RevertConflict),
              (status = 410, description = "`checkpoint_pruned`", body = ErrorResponse)))]
pub async fn revert_change(
    State(state): State<Arc<AppState>>,
    Path((id, change_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<RevertRequest>,
) -> Result<Response, ApiError> {
    revert(state, id, change_id, body).await
}

async fn revert(
    state: Arc<AppState>,
    id: String,
    set_id: String,
    request: RevertRequest,
) -> Result<Response, ApiError> {
    use axum::response::IntoResponse;
    match state.agent.revert(id, set_id, request.force).await {
        Ok(reverted) => Ok(Json(reverted).into_response()),
        Err(crate::agent::AgentError::Changes(
            e @ crate::changes::ChangesError::ChangedSince(_),
        )) => {
            let crate::changes::ChangesError::ChangedSince(files) = &e else {
                unreachable!()
            };
            let files = files.clone();
            let error = ApiError::from(e);
            let body = RevertConflict {
                error: crate::api::ErrorDetail {
                    code: error.code.to_owned(),
                    message: error.message,
                },
                files,
            };
            Ok((StatusCode::CONFLICT, Json(body)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
