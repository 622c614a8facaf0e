//! The bridge's own answers, in the host's error shape
//! (`{"error":{"code","message"}}`), so the page handles one format.

/// An answer the bridge gives without the host. Messages are fixed text:
/// they never echo a header, a URI or a body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: &'static str,
}

impl Refusal {
    pub const ORIGIN: Refusal = Refusal {
        status: 403,
        code: "bridge_origin_not_allowed",
        message: "the requesting frame's origin may not use the host bridge",
    };
    pub const BAD_REQUEST: Refusal = Refusal {
        status: 400,
        code: "bridge_bad_request",
        message: "the request URI or headers are not acceptable to the bridge",
    };
    pub const METHOD: Refusal = Refusal {
        status: 405,
        code: "bridge_method_not_allowed",
        message: "only GET, POST, PUT, PATCH and DELETE are bridged",
    };
    pub const HOST_RESTARTING: Refusal = Refusal {
        status: 503,
        code: "host_restarting",
        message: "the host is restarting; retry shortly",
    };
    pub const HOST_UNAVAILABLE: Refusal = Refusal {
        status: 502,
        code: "bridge_host_unavailable",
        message: "the host could not be reached",
    };

    /// `content-type` and `cache-control` as the host's perimeter sends them.
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("cache-control".to_owned(), "no-store".to_owned()),
        ];
        if self.status == 405 {
            headers.push((
                "allow".to_owned(),
                "GET, POST, PUT, PATCH, DELETE".to_owned(),
            ));
        }
        headers
    }

    pub fn body(&self) -> Vec<u8> {
        serde_json::json!({"error": {"code": self.code, "message": self.message}})
            .to_string()
            .into_bytes()
    }
}
