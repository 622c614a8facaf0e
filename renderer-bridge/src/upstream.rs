//! The bridge's side of the host connection: one HTTP/1.1 connection per
//! bridged request, with the credentials only Rust holds.
//!
//! No pool: a loopback connect costs tens of microseconds, and a private
//! connection makes "drop the response" mean "close the connection", which
//! is how a page-side abort reaches the host at once.

use std::net::Ipv4Addr;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, HOST, ORIGIN, REFERER};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use zeroize::Zeroizing;

use crate::config::{BridgeConfig, HostTarget};
use crate::request::Vetted;

/// A loopback connect either succeeds or is refused at once; this only
/// guards against a wedged network stack.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The host answers with its own 503 `timeout` after 30 s; a host that
/// says nothing for longer is hung (the supervisor will restart it).
const HEAD_TIMEOUT: Duration = Duration::from_secs(45);

/// Why the host gave no answer. Carries no request data.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unavailable {
    #[error("connect: {0}")]
    Connect(#[source] std::io::Error),
    #[error("connect timed out")]
    ConnectTimeout,
    #[error("http: {0}")]
    Http(#[source] hyper::Error),
    #[error("no response head in time")]
    HeadTimeout,
    #[error("the request could not be built")]
    Build,
}

/// The host's answer, and the task driving its connection. Dropping it
/// aborts the task, which closes the connection.
pub(crate) struct Upstream {
    pub response: Response<Incoming>,
    pub(crate) _connection: AbortOnDrop,
}

pub(crate) struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sends `vetted` to the host and waits for the response head.
pub(crate) async fn send(
    config: &BridgeConfig,
    host: &HostTarget,
    vetted: Vetted,
    body: Option<Vec<u8>>,
) -> Result<Upstream, Unavailable> {
    let request = build(config, host, vetted, body)?;
    let stream = tokio::time::timeout(
        CONNECT_TIMEOUT,
        TcpStream::connect((Ipv4Addr::LOCALHOST, host.port)),
    )
    .await
    .map_err(|_| Unavailable::ConnectTimeout)?
    .map_err(Unavailable::Connect)?;
    // Small writes (a POST head then its body) must not wait for Nagle.
    stream.set_nodelay(true).map_err(Unavailable::Connect)?;
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .max_buf_size(read_buffer(config.max_buffered))
        .handshake(TokioIo::new(stream))
        .await
        .map_err(Unavailable::Http)?;
    let connection = AbortOnDrop(tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "host connection ended with an error");
        }
    }));
    let response = tokio::time::timeout(HEAD_TIMEOUT, sender.send_request(request))
        .await
        .map_err(|_| Unavailable::HeadTimeout)?
        .map_err(Unavailable::Http)?;
    Ok(Upstream {
        response,
        _connection: connection,
    })
}

/// hyper holds up to its read buffer, one decoded chunk in its body
/// channel, and the bridge one chunk being written: a third each.
fn read_buffer(max_buffered: usize) -> usize {
    (max_buffered / 3).max(8192)
}

fn build(
    config: &BridgeConfig,
    host: &HostTarget,
    vetted: Vetted,
    body: Option<Vec<u8>>,
) -> Result<Request<Full<Bytes>>, Unavailable> {
    let mut builder = Request::builder().method(vetted.method).uri(vetted.target);
    for (name, value) in vetted.headers {
        builder = builder.header(name, value);
    }
    builder
        .header(HOST, format!("127.0.0.1:{}", host.port))
        .header(AUTHORIZATION, authorization(&host.password)?)
        .header(REFERER, config.referer())
        .header(ORIGIN, &config.renderer_origin)
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|_| Unavailable::Build)
}

/// `Basic base64("agent:" + password)`, marked sensitive so hyper never
/// shows it; the intermediate strings are zeroised.
fn authorization(password: &str) -> Result<HeaderValue, Unavailable> {
    let credential = Zeroizing::new(format!("agent:{password}"));
    let encoded = Zeroizing::new(STANDARD.encode(credential.as_bytes()));
    let header = Zeroizing::new(format!("Basic {}", encoded.as_str()));
    let mut value = HeaderValue::from_str(&header).map_err(|_| Unavailable::Build)?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_is_basic_agent_and_sensitive() {
        let value = authorization("pw").unwrap();
        assert_eq!(value.to_str().unwrap(), "Basic YWdlbnQ6cHc=");
        assert!(value.is_sensitive());
        assert!(!format!("{value:?}").contains("YWdlbnQ6cHc"));
    }

    #[test]
    fn read_buffer_respects_hyper_minimum() {
        assert_eq!(read_buffer(0), 8192);
        assert_eq!(read_buffer(3 << 20), 1 << 20);
    }
}
