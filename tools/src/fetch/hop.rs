//! One hop of a fetch: vet the host, connect to the vetted address, read.

use std::net::{IpAddr, SocketAddr};

use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::redirect::Policy;
use url::{Host, Url};

use super::addr::is_forbidden;
use super::FetchPolicy;
use crate::ToolError;

const USER_AGENT: &str = concat!("agent-tools/", env!("CARGO_PKG_VERSION"), " (web_fetch)");

/// A response with the header fields the tool reports.
pub(super) struct Response {
    pub(super) response: reqwest::Response,
    pub(super) status: u16,
    pub(super) content_type: Option<String>,
}

/// Checks the scheme, resolves the host and returns the one address to
/// connect to. Refuses if ANY resolved address is non-public, because a
/// client library may try them in any order.
pub(super) async fn vet(policy: &FetchPolicy, url: &Url) -> Result<SocketAddr, ToolError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ToolError::Refused(format!(
            "scheme {:?} is not allowed; only http and https",
            url.scheme()
        )));
    }
    let port = url
        .port_or_known_default()
        .ok_or_else(|| ToolError::InvalidArguments("url has no port".into()))?;
    let addrs: Vec<SocketAddr> = match url.host() {
        None => return Err(ToolError::InvalidArguments("url has no host".into())),
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(Host::Domain(domain)) if is_localhost_name(domain) => {
            return Err(ToolError::Refused("localhost names are not allowed".into()))
        }
        Some(Host::Domain(domain)) => tokio::net::lookup_host((domain, port))
            .await
            .map_err(|_| ToolError::Failed("could not resolve the host name".into()))?
            .collect(),
    };
    if let Some(bad) = addrs.iter().find(|a| !allowed(policy, **a)) {
        return Err(ToolError::Refused(format!(
            "the host resolves to {}, a local, private or otherwise non-public address",
            bad.ip()
        )));
    }
    addrs
        .first()
        .copied()
        .ok_or_else(|| ToolError::Failed("the host name has no addresses".into()))
}

/// `localhost` and `*.localhost` (RFC 6761) are refused by name, whatever
/// the resolver says, with or without the trailing dot.
fn is_localhost_name(domain: &str) -> bool {
    let name = domain.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

fn allowed(policy: &FetchPolicy, addr: SocketAddr) -> bool {
    !is_forbidden(addr.ip())
        || policy
            .allow_loopback_for_tests
            .is_some_and(|allowed| allowed.ip().is_loopback() && allowed == addr)
}

/// Sends a GET that can only connect to `target`: a fresh client with the
/// host name pinned to the vetted address, no proxy, no automatic redirects.
pub(super) async fn send(
    policy: &FetchPolicy,
    url: &Url,
    target: SocketAddr,
) -> Result<Response, ToolError> {
    let mut builder = reqwest::Client::builder()
        .redirect(Policy::none())
        .no_proxy()
        .connect_timeout(policy.timeout)
        .timeout(policy.timeout)
        .user_agent(USER_AGENT);
    if let Some(Host::Domain(domain)) = url.host() {
        builder = builder.resolve(domain, target);
    }
    let client = builder
        .build()
        .map_err(|e| ToolError::Failed(format!("http client: {e}")))?;
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(request_error)?;
    // Defence in depth: the connection must be to the vetted address.
    if let Some(remote) = response.remote_addr() {
        if remote.ip() != target.ip() {
            return Err(ToolError::Refused(
                "connected to an address other than the vetted one".into(),
            ));
        }
    }
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok(Response {
        response,
        status,
        content_type,
    })
}

/// The next URL when `response` is a redirect with a usable `Location`.
pub(super) fn redirect_target(url: &Url, response: &Response) -> Result<Option<Url>, ToolError> {
    if !response.response.status().is_redirection() {
        return Ok(None);
    }
    let Some(location) = response.response.headers().get(LOCATION) else {
        return Ok(None);
    };
    let location = location
        .to_str()
        .map_err(|_| ToolError::Failed("redirect Location is not valid text".into()))?;
    url.join(location)
        .map(Some)
        .map_err(|e| ToolError::Failed(format!("invalid redirect Location: {e}")))
}

/// Streams the body, stopping at `max` bytes.
pub(super) async fn read_body(
    mut response: reqwest::Response,
    max: usize,
) -> Result<(Vec<u8>, bool), ToolError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(request_error)? {
        let room = max - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

fn request_error(err: reqwest::Error) -> ToolError {
    if err.is_timeout() {
        return ToolError::Timeout("the request timed out".into());
    }
    // The URL is the model's own; the cause chain is what it needs.
    let err = err.without_url();
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    ToolError::Failed(format!("request failed: {message}"))
}
