//! The handler time limit as a plain tower layer: no boxing, one timer per
//! request. A handler that has not produced response headers in time is
//! dropped (cancelling its work) and answered with 503 `timeout`.
//!
//! Streaming responses are unaffected once their headers are out: the limit
//! covers producing the response, not reading it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use agent_security::ApiError;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::time::Sleep;
use tower::{Layer, Service};

#[derive(Clone, Copy)]
pub struct TimeLimitLayer(pub Duration);

impl<S> Layer<S> for TimeLimitLayer {
    type Service = TimeLimit<S>;

    fn layer(&self, inner: S) -> TimeLimit<S> {
        TimeLimit {
            inner,
            limit: self.0,
        }
    }
}

#[derive(Clone)]
pub struct TimeLimit<S> {
    inner: S,
    limit: Duration,
}

impl<S> Service<Request> for TimeLimit<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = TimeLimitFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        TimeLimitFuture {
            inner: self.inner.call(request),
            sleep: tokio::time::sleep(self.limit),
        }
    }
}

pin_project_lite::pin_project! {
    pub struct TimeLimitFuture<F> {
        #[pin]
        inner: F,
        #[pin]
        sleep: Sleep,
    }
}

impl<F, E> Future for TimeLimitFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(result) = this.inner.poll(cx) {
            return Poll::Ready(result);
        }
        match this.sleep.poll(cx) {
            Poll::Ready(()) => Poll::Ready(Ok(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "the request took too long and was cancelled",
            )
            .into_response())),
            Poll::Pending => Poll::Pending,
        }
    }
}
