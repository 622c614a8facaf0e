//! Extractors whose rejections use the API's JSON error shape instead of
//! axum's plain-text ones.

use agent_security::ApiError;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// `axum::Json` with JSON errors: 400 `invalid_json`, 413 `body_too_large`,
/// 415 `unsupported_media_type`.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "expected a body with content-type: application/json",
        ),
        JsonRejection::BytesRejection(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "request body is too large",
            )
        }
        // serde's data errors quote the offending value, and the body may
        // hold a secret (PUT /secrets/...), so only the field path and a
        // missing field's name are kept.
        JsonRejection::JsonDataError(e) => ApiError::bad_request(
            "invalid_body",
            format!(
                "request body does not match the expected shape{}",
                data_error_hint(&e.body_text())
            ),
        ),
        JsonRejection::JsonSyntaxError(_) => {
            ApiError::bad_request("invalid_json", "request body is not valid JSON")
        }
        _ => ApiError::bad_request("invalid_body", "could not read the request body"),
    }
}

fn data_error_hint(text: &str) -> String {
    let detail = text
        .strip_prefix("Failed to deserialize the JSON body into the target type: ")
        .unwrap_or("");
    if let Some(start) = detail.find("missing field `") {
        let rest = &detail[start + "missing field `".len()..];
        if let Some(end) = rest.find('`') {
            return format!(": missing field `{}`", &rest[..end]);
        }
    }
    match detail.split_once(": ") {
        Some((path, _))
            if path.len() <= 100
                && path
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._[]".contains(&b)) =>
        {
            format!(": field `{path}` has the wrong type or value")
        }
        _ => String::new(),
    }
}

/// `axum::extract::Query` with a JSON 400 `invalid_query`.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(_)) | Err(_) => {
                Err(ApiError::bad_request(
                    "invalid_query",
                    "query string does not match the expected parameters",
                ))
            }
        }
    }
}
