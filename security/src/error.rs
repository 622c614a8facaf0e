//! The single error shape of the host's HTTP surface.
//!
//! Every perimeter refusal and every handler error is rendered the same way,
//! `{"error":{"code":"...","message":"..."}}`, so clients (renderer, CLI,
//! tests) can branch on a stable `code` and never have to parse prose.
//! Messages are written by us, never built from header values or secrets.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// An HTTP error with a stable machine-readable code.
///
/// `code` is `&'static str` on purpose: codes are part of the API contract and
/// must not be assembled at run time from request data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status of the response.
    pub status: StatusCode,
    /// Stable code, e.g. `host_not_allowed`.
    pub code: &'static str,
    /// Human-readable explanation; must never contain a secret or header value.
    pub message: String,
}

impl ApiError {
    /// Builds an error with an arbitrary status.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 Bad Request.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 403 Forbidden.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 404 Not Found.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 409 Conflict.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 500 with no details: internals (paths, OS errors) stay in the server.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }

    /// The serialisable body of this error.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message.clone(),
            },
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct BodyRef<'a> {
            error: DetailRef<'a>,
        }
        #[derive(Serialize)]
        struct DetailRef<'a> {
            code: &'a str,
            message: &'a str,
        }
        let body = BodyRef {
            error: DetailRef {
                code: self.code,
                message: &self.message,
            },
        };
        // Serialising two strings cannot fail; fall back to a fixed body anyway
        // so this path never panics.
        let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| {
            br#"{"error":{"code":"internal","message":"internal error"}}"#.to_vec()
        });
        let mut response = (self.status, bytes).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// Every error: `{"error":{"code":"...","message":"..."}}`. (Its OpenAPI
/// schema, with feature `openapi`, is named `ErrorResponse`.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(
        as = ErrorResponse,
        description = "Every error: `{\"error\":{\"code\":\"...\",\"message\":\"...\"}}`."
    )
)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The `error` object of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable, machine-readable code, e.g. `conflict`, `path_not_allowed`.
    pub code: String,
    /// Human-readable explanation; never contains a secret.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_has_no_details() {
        let e = ApiError::internal();
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.code, "internal");
        assert_eq!(e.message, "internal error");
    }

    #[test]
    fn constructors_set_status() {
        assert_eq!(
            ApiError::bad_request("x", "m").status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(ApiError::forbidden("x", "m").status, StatusCode::FORBIDDEN);
        assert_eq!(ApiError::not_found("x", "m").status, StatusCode::NOT_FOUND);
        assert_eq!(ApiError::conflict("x", "m").status, StatusCode::CONFLICT);
    }

    #[test]
    fn response_is_json_no_store() {
        let r = ApiError::forbidden("origin_not_allowed", "say \"why\"").into_response();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    }

    #[test]
    fn body_round_trips() {
        let e = ApiError::conflict("conflict", "changed on disk");
        let json = serde_json::to_string(&e.body()).expect("serialise");
        assert_eq!(
            json,
            r#"{"error":{"code":"conflict","message":"changed on disk"}}"#
        );
        let back: ErrorBody = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, e.body());
    }

    #[test]
    fn display_mentions_code() {
        let e = ApiError::not_found("not_found", "no such file");
        assert_eq!(e.to_string(), "404 not_found: no such file");
    }
}
