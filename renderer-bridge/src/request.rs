//! One request as WebKit's custom-scheme handler sees it, and the checks
//! it must pass before anything reaches the host.

use hyper::http::uri::PathAndQuery;
use hyper::Method;

use crate::config::BridgeConfig;
use crate::headers;
use crate::refusal::Refusal;
use crate::target::host_target;

/// A request from the page, as plain data so the WebKit glue and tests
/// build it the same way.
#[derive(Clone, Debug, Default)]
pub struct BridgeRequest {
    pub method: String,
    /// The full custom-scheme URI: `hostapi://host/<path>?<query>`.
    pub uri: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// A request that passed every check: what the bridge sends on.
#[derive(Debug)]
pub(crate) struct Vetted {
    pub method: Method,
    pub target: PathAndQuery,
    /// The page headers that may cross, lower-cased.
    pub headers: Vec<(String, String)>,
}

/// Origin first (a foreign frame learns nothing else about the bridge),
/// then the method, then the URI and the forwarded header values.
pub(crate) fn vet(config: &BridgeConfig, request: &BridgeRequest) -> Result<Vetted, Refusal> {
    check_origin(config, &request.headers)?;
    let method = match request.method.as_str() {
        "GET" => Method::GET,
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "PATCH" => Method::PATCH,
        "DELETE" => Method::DELETE,
        _ => return Err(Refusal::METHOD),
    };
    let target = host_target(&request.uri).ok_or(Refusal::BAD_REQUEST)?;
    let headers = headers::from_page(&request.headers);
    if headers
        .iter()
        .any(|(_, value)| hyper::header::HeaderValue::from_str(value).is_err())
    {
        return Err(Refusal::BAD_REQUEST);
    }
    Ok(Vetted {
        method,
        target,
        headers,
    })
}

/// Exactly one `Origin` header, byte-equal to the renderer origin. WebKit
/// sends no preflight to a custom scheme, so this is the whole cross-origin
/// defence; the header names the frame that really asked, so a foreign
/// iframe inside the renderer shows its own origin and is refused here.
/// Public so the shell's own actions on the same scheme pass the same check.
pub fn check_origin(config: &BridgeConfig, headers: &[(String, String)]) -> Result<(), Refusal> {
    let mut origins = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("origin"))
        .map(|(_, value)| value);
    match (origins.next(), origins.next()) {
        (Some(origin), None) if *origin == config.renderer_origin => Ok(()),
        _ => Err(Refusal::ORIGIN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> BridgeConfig {
        BridgeConfig::new("http://127.0.0.1:4173", "/desktop").unwrap()
    }

    fn request(method: &str, uri: &str, origins: &[&str]) -> BridgeRequest {
        BridgeRequest {
            method: method.to_owned(),
            uri: uri.to_owned(),
            headers: origins
                .iter()
                .map(|o| ("Origin".to_owned(), (*o).to_owned()))
                .collect(),
            body: None,
        }
    }

    #[test]
    fn origin_must_match_exactly_once() {
        let config = config();
        let good = "http://127.0.0.1:4173";
        assert!(vet(&config, &request("GET", "hostapi://host/health", &[good])).is_ok());
        for origins in [
            &[][..],
            &["null"],
            &["http://127.0.0.1:4174"],
            &["http://127.0.0.1:4173.evil.com"],
            &["http://127.0.0.1:4173/"],
            &["HTTP://127.0.0.1:4173"],
            &["http://localhost:4173"],
            &[" http://127.0.0.1:4173"],
            &[good, good],
            &[good, "http://evil.test"],
        ] {
            let refused = vet(&config, &request("GET", "hostapi://host/health", origins));
            assert_eq!(refused.unwrap_err(), Refusal::ORIGIN, "{origins:?}");
        }
    }

    #[test]
    fn origin_is_checked_before_method_and_uri() {
        let r = vet(
            &config(),
            &request("TRACE", "hostapi://host/../x", &["http://x"]),
        );
        assert_eq!(r.unwrap_err(), Refusal::ORIGIN);
    }

    #[test]
    fn methods_are_a_short_list() {
        let good = ["http://127.0.0.1:4173"];
        for method in ["TRACE", "OPTIONS", "HEAD", "CONNECT", "get", "PROPFIND"] {
            let r = vet(&config(), &request(method, "hostapi://host/health", &good));
            assert_eq!(r.unwrap_err(), Refusal::METHOD, "{method}");
        }
    }

    #[test]
    fn forwarded_header_values_must_be_valid() {
        let mut r = request("GET", "hostapi://host/health", &["http://127.0.0.1:4173"]);
        r.headers
            .push(("Accept".to_owned(), "a\r\nX-Injected: 1".to_owned()));
        assert_eq!(vet(&config(), &r).unwrap_err(), Refusal::BAD_REQUEST);
    }
}
