//! `web_fetch`: HTTP(S) GET of public URLs only.
//!
//! The SSRF defence has three parts. Every hop's host is resolved here, and
//! the hop is refused if ANY resolved address is non-public ([`addr`]).
//! The request then connects to exactly the vetted address (reqwest's
//! per-client `resolve` override, no proxy), so a DNS answer that changes
//! between check and connect cannot redirect it. Redirects are followed by
//! hand, each new hop vetted the same way.

mod addr;
mod hop;

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};
use url::Url;

use crate::{ToolContext, ToolError, ToolSpec};

const DEFAULT_MAX_BYTES: u64 = 1024 * 1024;
const MAX_MAX_BYTES: u64 = 5 * 1024 * 1024;
/// Longest URL accepted.
const MAX_URL_LEN: usize = 8192;

/// Limits for `web_fetch`. Set by the host, never by tool arguments.
#[derive(Clone, Debug)]
pub struct FetchPolicy {
    /// Whole-call limit: every DNS lookup, hop and body read (default 20 s).
    pub timeout: Duration,
    /// Redirects followed before giving up (default 5).
    pub max_redirects: usize,
    /// Test hook, `None` in production: exactly this loopback socket address
    /// (IP and port) is treated as public, so tests can serve from
    /// 127.0.0.1 while any other loopback address or port - including a
    /// redirect target - is still refused. A non-loopback value is ignored.
    pub allow_loopback_for_tests: Option<SocketAddr>,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
            max_redirects: 5,
            allow_loopback_for_tests: None,
        }
    }
}

pub(crate) fn spec() -> ToolSpec {
    ToolSpec {
        name: "web_fetch",
        description: "Fetch a public http:// or https:// URL with GET. Redirects are followed \
            (at most 5). Addresses on the local machine or private networks are refused, as \
            are other schemes. `max_bytes` limits the body (default 1 MiB, at most 5 MiB). \
            Returns {url (final, after redirects), status, content_type, body (text; invalid \
            UTF-8 replaced), truncated}.",
        parameters: json!({
            "type": "object",
            "properties": {
                "url": {"type": "string", "description": "Absolute http or https URL."},
                "max_bytes": {"type": "integer", "minimum": 1, "maximum": MAX_MAX_BYTES, "description": "Maximum body bytes to return (default 1048576)."}
            },
            "required": ["url"],
            "additionalProperties": false
        }),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    url: String,
    max_bytes: Option<u64>,
}

pub(crate) async fn run(ctx: &ToolContext, arguments: &str) -> Result<Value, ToolError> {
    let args: Args = crate::args::parse(arguments)?;
    if args.url.len() > MAX_URL_LEN {
        return Err(ToolError::InvalidArguments("url is too long".into()));
    }
    let max = crate::args::bounded(
        args.max_bytes,
        DEFAULT_MAX_BYTES,
        MAX_MAX_BYTES,
        "max_bytes",
    )?;
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let url = Url::parse(&args.url)
        .map_err(|e| ToolError::InvalidArguments(format!("invalid url: {e}")))?;
    let policy = &ctx.fetch;
    let fetched = tokio::time::timeout(policy.timeout, fetch(policy, url, max))
        .await
        .map_err(|_| {
            ToolError::Timeout(format!(
                "no complete response within {} ms",
                policy.timeout.as_millis()
            ))
        })??;
    Ok(json!({
        "url": fetched.url.as_str(),
        "status": fetched.status,
        "content_type": fetched.content_type,
        "body": String::from_utf8_lossy(&fetched.body),
        "truncated": fetched.truncated,
    }))
}

/// The final response of a fetch.
struct Fetched {
    url: Url,
    status: u16,
    content_type: Option<String>,
    body: Vec<u8>,
    truncated: bool,
}

/// Follows up to `max_redirects` redirects, vetting every hop.
async fn fetch(policy: &FetchPolicy, mut url: Url, max: usize) -> Result<Fetched, ToolError> {
    for _ in 0..=policy.max_redirects {
        let target = hop::vet(policy, &url).await?;
        let response = hop::send(policy, &url, target).await?;
        if let Some(next) = hop::redirect_target(&url, &response)? {
            url = next;
            continue;
        }
        let (body, truncated) = hop::read_body(response.response, max).await?;
        return Ok(Fetched {
            url,
            status: response.status,
            content_type: response.content_type,
            body,
            truncated,
        });
    }
    Err(ToolError::Refused(format!(
        "more than {} redirects",
        policy.max_redirects
    )))
}
