//! The HTTP stack: routes inside the perimeter inside the safety layers.
//!
//! From the socket inwards: catch-panic (a panic becomes a plain JSON 500),
//! the perimeter (Host, Origin/CORS, Referer, Basic Auth —
//! see docs/rfc/security.md), the body limit and body idle timeout, then the
//! routes. Unknown paths
//! and methods get JSON errors too. The handler time limit lives where
//! handlers can stall: `blocking::run_blocking`.
//!
//! The layers wrap the router once, as one service, instead of through
//! `Router::layer` (which wraps every route separately, adding a boxed
//! service clone and a boxed future per layer per request): the perimeter
//! is on every request's path, so it has to be cheap.

use std::any::Any;
use std::sync::Arc;

use std::convert::Infallible;

use agent_security::{ApiError, PerimeterConfig, PerimeterLayer};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower::{Service, ServiceBuilder};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutBody};

use crate::routes;
use crate::state::AppState;

/// Largest request body: a 10 MiB text file plus JSON escaping.
pub const MAX_BODY_BYTES: usize = 24 * 1024 * 1024;

/// The longest a client may pause while sending a request body (the head
/// has its own limit in server.rs): a stalled upload is answered 400
/// `invalid_body` instead of holding a handler.
pub const BODY_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The service behind the loopback port: the whole perimeter.
pub fn app(
    state: Arc<AppState>,
    perimeter: Arc<PerimeterConfig>,
) -> impl Service<Request, Response = Response, Error = Infallible, Future = impl Send>
       + Clone
       + Send
       + Sync
       + 'static {
    stack(state, Some(perimeter))
}

/// The service behind the host's Unix socket (see `local_socket`): the
/// kernel has vouched for the peer's user, so there is no password, Host
/// or Referer to check; a request carrying an `Origin` (which no browser
/// can send there) is still refused.
pub fn local_app(
    state: Arc<AppState>,
) -> impl Service<Request, Response = Response, Error = Infallible, Future = impl Send>
       + Clone
       + Send
       + Sync
       + 'static {
    stack(state, None)
}

fn stack(
    state: Arc<AppState>,
    perimeter: Option<Arc<PerimeterConfig>>,
) -> impl Service<Request, Response = Response, Error = Infallible, Future = impl Send>
       + Clone
       + Send
       + Sync
       + 'static {
    let router = routes::router(state)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    let local = perimeter.is_none();
    ServiceBuilder::new()
        .map_response(|response: Response<_>| response.map(Body::new))
        .layer(CatchPanicLayer::custom(panic_response))
        .option_layer(perimeter.map(PerimeterLayer::new))
        .option_layer(local.then(|| axum::middleware::from_fn(no_origin)))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyTimeoutLayer::new(BODY_IDLE_TIMEOUT))
        .map_request(|request: Request<TimeoutBody<Body>>| request.map(Body::new))
        .service(router)
}

/// Refuses a request that names a web origin.
async fn no_origin(request: Request, next: axum::middleware::Next) -> Response {
    if request.headers().contains_key(axum::http::header::ORIGIN) {
        return ApiError::forbidden("origin_not_allowed", "origin not allowed").into_response();
    }
    next.run(request).await
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
