//! Errors `Bridge::handle` returns to its caller. Refusals are not errors:
//! they are answers, written to the sink as JSON.

/// Why a request could not be carried to the end. None of these contains a
/// header value, a password or a body.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// A [`crate::BridgeConfig`] failed its checks.
    #[error("invalid bridge config: {0}")]
    Config(&'static str),
    /// The sink failed for a reason other than its reader leaving (a reader
    /// that leaves is a page-side abort, and `handle` returns `Ok`).
    #[error("response sink: {0}")]
    Sink(#[source] std::io::Error),
    /// The host's answer broke off after its head was sent to the page; the
    /// page saw a truncated body.
    #[error("the host's response body failed mid-stream")]
    UpstreamBody(#[source] hyper::Error),
}
