//! The HTTP stack: routes inside the perimeter inside the safety layers.
//!
//! From the socket inwards: catch-panic (a panic becomes a plain JSON 500),
//! the perimeter (Host, Origin/CORS, Referer, Basic Auth — see
//! docs/rfc/security.md), then the handler time limit and body limit, then
//! the routes. Unknown paths and methods get JSON errors too.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use agent_security::{apply_perimeter, ApiError, PerimeterConfig};
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;

use crate::routes;
use crate::state::AppState;
use crate::time_limit::TimeLimitLayer;

/// Largest request body: a 10 MiB text file plus JSON escaping.
pub const MAX_BODY_BYTES: usize = 24 * 1024 * 1024;
/// A handler that has not produced response headers by then is cut off.
pub const HANDLER_TIMEOUT: Duration = Duration::from_secs(30);

pub fn app(state: Arc<AppState>, perimeter: Arc<PerimeterConfig>) -> Router {
    let inner = routes::router(state)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeLimitLayer(HANDLER_TIMEOUT));
    apply_perimeter(inner, perimeter).layer(CatchPanicLayer::custom(panic_response))
}

async fn not_found() -> ApiError {
    ApiError::not_found("no_route", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept that method",
    )
}

fn panic_response(_payload: Box<dyn Any + Send + 'static>) -> Response {
    // The payload may hold request data; it is not logged or returned.
    tracing::error!("a handler panicked");
    ApiError::internal().into_response()
}
