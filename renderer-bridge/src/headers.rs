//! Which headers cross the bridge, in each direction.

use hyper::header::{HeaderMap, HeaderName, CONNECTION};

/// Request headers the page may set. Everything else is dropped, above
/// all `authorization`, `cookie`, `host`, `origin` and `referer`: the
/// bridge alone decides who the host thinks is asking.
const FORWARDED_FROM_PAGE: [&str; 3] = ["content-type", "accept", "last-event-id"];

/// Hop-by-hop headers (RFC 9110 §7.6.1): they describe the bridge's own
/// connection to the host, not the answer.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The page's headers the bridge forwards, names lower-cased.
pub(crate) fn from_page(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| {
            FORWARDED_FROM_PAGE
                .iter()
                .any(|allowed| name.eq_ignore_ascii_case(allowed))
        })
        .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
        .collect()
}

/// The host's response headers the page gets: no hop-by-hop header (nor
/// any the `Connection` header names) and no `access-control-*`, since
/// CORS is the bridge's business, not the host's, on this path.
pub(crate) fn to_page(headers: &HeaderMap) -> Vec<(String, String)> {
    let named_by_connection: Vec<String> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    headers
        .iter()
        .filter(|(name, _)| keep(name, &named_by_connection))
        .filter_map(|(name, value)| {
            // A value that is not visible ASCII cannot be a header WebKit
            // accepts from a scheme handler anyway.
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
}

fn keep(name: &HeaderName, named_by_connection: &[String]) -> bool {
    let name = name.as_str();
    !HOP_BY_HOP.contains(&name)
        && !name.starts_with("access-control-")
        && !named_by_connection.iter().any(|n| n == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn only_three_page_headers_cross() {
        let page = [
            ("Content-Type", "application/json"),
            ("ACCEPT", "text/event-stream"),
            ("Last-Event-ID", "7"),
            ("Authorization", "Basic x"),
            ("Cookie", "a=b"),
            ("Host", "evil"),
            ("Origin", "http://x"),
            ("Referer", "http://x/desktop/"),
            ("X-Forwarded-For", "1.2.3.4"),
        ]
        .map(|(n, v)| (n.to_owned(), v.to_owned()));
        let names: Vec<_> = from_page(&page).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["content-type", "accept", "last-event-id"]);
    }

    #[test]
    fn hop_by_hop_and_cors_headers_stay_behind() {
        let mut map = HeaderMap::new();
        for (name, value) in [
            ("content-type", "text/event-stream"),
            ("cache-control", "no-store"),
            ("connection", "keep-alive, x-private"),
            ("x-private", "1"),
            ("keep-alive", "timeout=5"),
            ("transfer-encoding", "chunked"),
            ("access-control-allow-origin", "http://a.test"),
            ("access-control-expose-headers", "*"),
            ("vary", "Origin"),
        ] {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        let names: Vec<_> = to_page(&map).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["content-type", "cache-control", "vary"]);
    }
}
