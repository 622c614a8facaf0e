//! The HTTP perimeter: four checks every request passes before any handler.
//!
//! The loopback port is reachable by every local process and, through a
//! browser, by every web page (cross-origin `fetch`, DNS rebinding). These
//! checks make it useless to anyone but the renderer the shell names.
//!
//! Order, outermost first, is part of the contract: cheap context checks that
//! identify a hostile caller answer 403 regardless of credentials, and the
//! credential check runs only for requests that could be legitimate.
//!
//! | # | check | refusal | status | code |
//! |---|-------|---------|--------|------|
//! | 1 | `Host` (and absolute-form authority) is `127.0.0.1:<port>` or `localhost:<port>`, exactly one | DNS rebinding, other ports/names, `[::1]`, missing, duplicated | 403 | `host_not_allowed` |
//! | 2 | `Origin`, when present, is exactly one allow-listed origin; CORS preflights are answered here | foreign origin, `null`, duplicated; foreign preflight | 403 | `origin_not_allowed` |
//! | 3 | exactly one `Referer` that [`RefererPolicy::permits`] | missing, foreign, sibling path, traversal, malformed, non-ASCII, duplicated | 403 | `referer_not_allowed` |
//! | 4 | exactly one `Authorization: Basic` matching [`Credentials`] | missing, wrong, other scheme, malformed, duplicated | 401 | `unauthorized` |
//!
//! An allowed preflight (`OPTIONS` + `Origin` + `Access-Control-Request-Method`)
//! is answered 204 by check 2 and goes no further. Responses to an allowed
//! `Origin` (errors from checks 3 and 4 included) carry
//! `Access-Control-Allow-Origin: <that origin>` and `Vary: Origin`; never `*`
//! and never `Access-Control-Allow-Credentials`. The 401 carries
//! `WWW-Authenticate: AgentHost realm="agent-host"`, a non-Basic scheme so no
//! webview pops up a login dialog.
//!
//! All four run in one tower service (no per-request boxing or allocation on
//! the success path) because this sits on every request's hot path. Header
//! values are never logged or echoed.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::credentials::Credentials;
use crate::error::ApiError;
use crate::origin::BareOrigin;
use crate::referer::RefererPolicy;

/// Refusal code of check 1.
pub const CODE_HOST_NOT_ALLOWED: &str = "host_not_allowed";
/// Refusal code of check 2.
pub const CODE_ORIGIN_NOT_ALLOWED: &str = "origin_not_allowed";
/// Refusal code of check 3.
pub const CODE_REFERER_NOT_ALLOWED: &str = "referer_not_allowed";
/// Refusal code of check 4.
pub const CODE_UNAUTHORIZED: &str = "unauthorized";

/// `WWW-Authenticate` value of every 401: deliberately not `Basic`.
pub const WWW_AUTHENTICATE_VALUE: &str = "AgentHost realm=\"agent-host\"";
/// Methods announced to allowed preflights.
pub const CORS_ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
/// Request headers announced to allowed preflights.
pub const CORS_ALLOW_HEADERS: &str = "authorization, content-type, last-event-id";
/// Preflight cache lifetime, seconds.
pub const CORS_MAX_AGE: &str = "600";

/// Everything the perimeter needs to decide.
#[derive(Debug)]
pub struct PerimeterConfig {
    /// The port the host listens on (the real one, not 0).
    pub port: u16,
    /// Origins allowed to call the host cross-origin (exact string match).
    pub allowed_origins: Vec<BareOrigin>,
    /// Which `Referer` values are admitted.
    pub referer: RefererPolicy,
    /// Accepted Basic Auth credentials.
    pub credentials: Credentials,
}

/// Wraps every route of `router` (fallback included) in the perimeter:
/// 1 Host, 2 Origin/CORS, 3 Referer, 4 Basic Auth, in that order.
///
/// Apply it after adding all routes: routes added afterwards are not covered.
pub fn apply_perimeter(router: axum::Router, config: Arc<PerimeterConfig>) -> axum::Router {
    router.layer(PerimeterLayer::new(config))
}

/// Shared, precomputed state of the perimeter.
#[derive(Debug)]
struct Shared {
    config: Arc<PerimeterConfig>,
    /// `127.0.0.1:<port>`.
    host_ip: String,
    /// `localhost:<port>` (compared ASCII case-insensitively).
    host_name: String,
}

/// Tower layer applying the perimeter. Wrap the whole router service in it
/// (rather than `Router::layer`, which wraps every route separately) when
/// the per-request cost matters.
#[derive(Clone, Debug)]
pub struct PerimeterLayer {
    shared: Arc<Shared>,
}

impl PerimeterLayer {
    pub fn new(config: Arc<PerimeterConfig>) -> Self {
        let port = config.port;
        Self {
            shared: Arc::new(Shared {
                config,
                host_ip: format!("127.0.0.1:{port}"),
                host_name: format!("localhost:{port}"),
            }),
        }
    }
}

impl<S> Layer<S> for PerimeterLayer {
    type Service = Perimeter<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Perimeter {
            inner,
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The perimeter service around a router (or one route).
#[derive(Clone, Debug)]
pub struct Perimeter<S> {
    inner: S,
    shared: Arc<Shared>,
}

/// Outcome of the checks for one request.
enum Verdict {
    /// Answer now with this response (refusal or preflight).
    Answer(Response),
    /// Pass to the handler; `Some(origin)` when the response needs CORS headers.
    Pass(Option<HeaderValue>),
}

/// Outcome of check 2.
enum OriginCheck {
    /// No `Origin` header: a same-origin or non-browser request.
    Absent,
    /// An allow-listed origin; its responses get CORS headers.
    Allowed(HeaderValue),
    /// A preflight from an allow-listed origin, answered at once.
    Preflight(HeaderValue),
    /// Foreign, `null`, or duplicated.
    Refused,
}

/// The single value of header `name`, or `Err(())` when it appears more than once.
fn single<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Result<Option<&'a HeaderValue>, ()> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(());
    }
    Ok(first)
}

impl Shared {
    fn host_allowed(&self, value: &[u8]) -> bool {
        value == self.host_ip.as_bytes() || value.eq_ignore_ascii_case(self.host_name.as_bytes())
    }

    /// Check 1: the `Host` header and any absolute-form authority.
    fn check_host(&self, req: &Request) -> bool {
        let Ok(Some(host)) = single(req.headers(), &header::HOST) else {
            return false;
        };
        if !self.host_allowed(host.as_bytes()) {
            return false;
        }
        match req.uri().authority() {
            Some(authority) => self.host_allowed(authority.as_str().as_bytes()),
            None => true,
        }
    }

    /// Check 2: `Origin` and preflights.
    fn check_origin(&self, req: &Request) -> OriginCheck {
        let origin = match single(req.headers(), &header::ORIGIN) {
            Ok(Some(origin)) => origin,
            Ok(None) => return OriginCheck::Absent,
            Err(()) => return OriginCheck::Refused,
        };
        let allowed = self
            .config
            .allowed_origins
            .iter()
            .any(|o| o.as_str().as_bytes() == origin.as_bytes());
        if !allowed {
            OriginCheck::Refused
        } else if is_preflight(req) {
            OriginCheck::Preflight(origin.clone())
        } else {
            OriginCheck::Allowed(origin.clone())
        }
    }

    /// Check 3: exactly one `Referer` the policy permits.
    fn check_referer(&self, req: &Request) -> bool {
        match single(req.headers(), &header::REFERER) {
            Ok(Some(value)) => value
                .to_str()
                .is_ok_and(|referer| self.config.referer.permits(referer)),
            _ => false,
        }
    }

    /// Check 4: exactly one `Authorization` the credentials verify.
    fn check_auth(&self, req: &Request) -> bool {
        match single(req.headers(), &header::AUTHORIZATION) {
            Ok(Some(value)) => self.config.credentials.verify(value.as_bytes()),
            _ => false,
        }
    }

    /// Runs the four checks in contract order.
    fn judge(&self, req: &Request) -> Verdict {
        if !self.check_host(req) {
            tracing::debug!(code = CODE_HOST_NOT_ALLOWED, "perimeter refusal");
            return Verdict::Answer(
                ApiError::forbidden(CODE_HOST_NOT_ALLOWED, "the Host header is not allowed")
                    .into_response(),
            );
        }
        let cors = match self.check_origin(req) {
            OriginCheck::Absent => None,
            OriginCheck::Allowed(origin) => Some(origin),
            OriginCheck::Preflight(origin) => return Verdict::Answer(preflight_response(origin)),
            OriginCheck::Refused => return Verdict::Answer(refuse_origin()),
        };
        let refusal = if !self.check_referer(req) {
            tracing::debug!(code = CODE_REFERER_NOT_ALLOWED, "perimeter refusal");
            ApiError::forbidden(CODE_REFERER_NOT_ALLOWED, "the Referer is not allowed")
                .into_response()
        } else if !self.check_auth(req) {
            tracing::debug!(code = CODE_UNAUTHORIZED, "perimeter refusal");
            unauthorized()
        } else {
            return Verdict::Pass(cors);
        };
        let mut refusal = refusal;
        if let Some(origin) = cors {
            decorate(&mut refusal, origin);
        }
        Verdict::Answer(refusal)
    }
}

fn is_preflight(req: &Request) -> bool {
    req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

fn refuse_origin() -> Response {
    tracing::debug!(code = CODE_ORIGIN_NOT_ALLOWED, "perimeter refusal");
    ApiError::forbidden(CODE_ORIGIN_NOT_ALLOWED, "the Origin is not allowed").into_response()
}

fn unauthorized() -> Response {
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        CODE_UNAUTHORIZED,
        "missing or invalid credentials",
    )
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(WWW_AUTHENTICATE_VALUE),
    );
    response
}

/// 204 answer to an allowed preflight.
fn preflight_response(origin: HeaderValue) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(CORS_ALLOW_METHODS),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(CORS_ALLOW_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(CORS_MAX_AGE),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    response
}

/// Sets the CORS headers of a response to an allowed origin.
fn decorate(response: &mut Response, origin: HeaderValue) {
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    let has_vary_origin = headers
        .get_all(header::VARY)
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(b"origin"));
    if !has_vary_origin {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// Removes CORS grants a handler might have set: only the perimeter decides.
fn strip_handler_cors(response: &mut Response) {
    let headers = response.headers_mut();
    headers.remove(header::ACCESS_CONTROL_ALLOW_ORIGIN);
    headers.remove(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
}

impl<S> Service<Request> for Perimeter<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Unpin,
{
    type Response = Response;
    type Error = Infallible;
    type Future = PerimeterFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        match self.shared.judge(&req) {
            Verdict::Answer(response) => PerimeterFuture(FutureState::Ready(Some(response))),
            Verdict::Pass(cors) => {
                // Handlers have no use for the credential; dropping it keeps it
                // out of any inner logging or tracing.
                req.headers_mut().remove(header::AUTHORIZATION);
                PerimeterFuture(FutureState::Inner {
                    future: self.inner.call(req),
                    cors,
                })
            }
        }
    }
}

/// Response future of the perimeter: either an immediate answer or the
/// handler's future, whose response gets the CORS headers.
#[derive(Debug)]
pub struct PerimeterFuture<F>(FutureState<F>);

#[derive(Debug)]
enum FutureState<F> {
    Ready(Option<Response>),
    Inner {
        future: F,
        cors: Option<HeaderValue>,
    },
}

impl<F> Future for PerimeterFuture<F>
where
    F: Future<Output = Result<Response, Infallible>> + Unpin,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().0 {
            FutureState::Ready(response) => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                // Polled after completion: answer a generic error rather than panic.
                None => Poll::Ready(Ok(ApiError::internal().into_response())),
            },
            FutureState::Inner { future, cors } => {
                let Poll::Ready(result) = Pin::new(future).poll(cx) else {
                    return Poll::Pending;
                };
                let Ok(mut response) = result;
                strip_handler_cors(&mut response);
                if let Some(origin) = cors.take() {
                    decorate(&mut response, origin);
                }
                Poll::Ready(Ok(response))
            }
        }
    }
}
