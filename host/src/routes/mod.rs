//! HTTP handlers: thin wrappers that extract, call one collaborator and
//! shape the answer. No domain logic lives here, and no HTTP lives in the
//! collaborators: `errors` is the one table from their errors to status
//! codes and stable error codes, `sse` the one place that frames their
//! streams as server-sent events.

mod documents;
mod errors;
mod events;
mod meta;
mod providers;
mod recent;
mod secrets;
mod sessions;
mod sse;
mod workspaces;

use std::sync::Arc;

use axum::routing::{get, post, put};
use axum::Router;
use utoipa::OpenApi;

use crate::state::AppState;

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(meta::health))
        .route("/handshake", post(meta::handshake))
        .route("/openapi.json", get(meta::openapi))
        .route("/events", get(events::events))
        .route("/documents", post(documents::register))
        .route(
            "/documents/{doc_id}",
            get(documents::read).put(documents::write),
        )
        .route("/recent", get(recent::list).post(recent::touch))
        .route("/recent/{doc_id}", axum::routing::delete(recent::forget))
        .route("/recent/{doc_id}/pin", put(recent::pin))
        .route("/workspaces", get(workspaces::list).post(workspaces::open))
        .route(
            "/workspaces/{id}",
            axum::routing::delete(workspaces::forget),
        )
        .route("/workspaces/{id}/pin", put(workspaces::pin))
        .route("/workspaces/{id}/tree", get(workspaces::tree))
        .route(
            "/workspaces/{id}/file",
            get(workspaces::read_file).put(workspaces::write_file),
        )
        .route("/secrets", get(secrets::list))
        .route(
            "/secrets/{provider}",
            get(secrets::presence)
                .put(secrets::set)
                .delete(secrets::delete),
        )
        .route(
            "/workspaces/{id}/policy",
            get(providers::get_policy).put(providers::set_policy),
        )
        .route("/providers", get(providers::list))
        .route(
            "/providers/{provider}",
            put(providers::configure).patch(providers::update),
        )
        .route("/providers/{provider}/models", get(providers::models))
        .route("/providers/{provider}/test", post(providers::test))
        .route("/local-models", get(providers::local_models))
        .route("/sessions", get(sessions::list).post(sessions::create))
        .route(
            "/sessions/{id}",
            get(sessions::get)
                .patch(sessions::update)
                .delete(sessions::delete),
        )
        .route("/sessions/{id}/messages", get(sessions::messages))
        .route("/sessions/{id}/turns", post(sessions::start_turn))
        .route("/sessions/{id}/turns/retry", post(sessions::retry_turn))
        .route("/sessions/{id}/stream", get(sessions::resume))
        .route("/sessions/{id}/abort", post(sessions::abort))
        .route(
            "/sessions/{id}/approvals/{approval_id}",
            post(sessions::approve),
        )
        .route("/sessions/{id}/status", get(sessions::status))
        .route(
            "/sessions/{id}/turns/{turn_id}/changes",
            get(sessions::changes),
        )
        .route(
            "/sessions/{id}/turns/{turn_id}/revert",
            post(sessions::revert_turn),
        )
        .route(
            "/sessions/{id}/changes/{change_id}/revert",
            post(sessions::revert_change),
        )
        .with_state(state)
}

/// The OpenAPI document, generated from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "AgentHost HTTP API",
        description = "Served on 127.0.0.1 behind the perimeter (docs/rfc/security.md): Host check, Origin allowlist, Referer guard and Basic Auth (user `agent`, the spawn password). Every error is `{\"error\":{\"code\",\"message\"}}`."
    ),
    paths(
        meta::health,
        meta::handshake,
        meta::openapi,
        events::events,
        documents::register,
        documents::read,
        documents::write,
        recent::list,
        recent::touch,
        recent::pin,
        recent::forget,
        workspaces::list,
        workspaces::open,
        workspaces::pin,
        workspaces::forget,
        workspaces::tree,
        workspaces::read_file,
        workspaces::write_file,
        secrets::list,
        secrets::presence,
        secrets::set,
        secrets::delete,
        providers::list,
        providers::configure,
        providers::update,
        providers::models,
        providers::test,
        providers::local_models,
        providers::get_policy,
        providers::set_policy,
        sessions::create,
        sessions::list,
        sessions::get,
        sessions::update,
        sessions::delete,
        sessions::messages,
        sessions::start_turn,
        sessions::retry_turn,
        sessions::resume,
        sessions::abort,
        sessions::approve,
        sessions::status,
        sessions::changes,
        sessions::revert_turn,
        sessions::revert_change,
    ),
    // Named here: it reaches the spec only inside an event's `data`.
    components(schemas(crate::events::HostEvent)),
    modifiers(&BasicAuthScheme),
    security(("basic" = [])),
)]
pub struct ApiDoc;

struct BasicAuthScheme;

impl utoipa::Modify for BasicAuthScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
    }
}

/// The committed spec (docs/rfc/openapi.json) is this, pretty-printed.
pub fn openapi_json() -> String {
    let mut text = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}
