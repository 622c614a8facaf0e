//! The AgentHost security crate: the HTTP perimeter (Host, Origin/CORS,
//! Referer and Basic Auth checks) and the JSON error shape. Path
//! containment is `agent-containment`; the key store `agent-secrets`.
//!
//! Every module has one job and fails closed; none logs or echoes a password,
//! key or header value that may hold one. The order of the checks (Host,
//! then Origin/CORS, then Referer, then Basic Auth) and every refusal are in
//! docs/rfc/security.md; [`ApiError`] is the one error shape, also the host
//! routes' (its OpenAPI schema behind feature `openapi`).
//!
//! ```no_run
//! use std::sync::Arc;
//! use agent_security::{apply_perimeter, BareOrigin, Credentials, PerimeterConfig, RefererPolicy};
//! use zeroize::Zeroizing;
//!
//! let origin = BareOrigin::parse("http://127.0.0.1:4173").unwrap();
//! let config = PerimeterConfig {
//!     port: 41_000,
//!     allowed_origins: vec![origin.clone()],
//!     referer: RefererPolicy::new(&[origin], &["/desktop".to_owned()], &[]).unwrap(),
//!     credentials: Credentials::from_password(&Zeroizing::new("from stdin".to_owned())),
//! };
//! let app = apply_perimeter(axum::Router::new(), Arc::new(config));
//! # let _ = app;
//! ```

mod credentials;
mod error;
mod origin;
mod perimeter;
#[cfg(test)]
mod proptests;
mod referer;

pub use credentials::{Credentials, BASIC_USER};
pub use error::{ApiError, ErrorBody, ErrorDetail};
pub use origin::{BareOrigin, OriginError};
pub use perimeter::{apply_perimeter, Perimeter, PerimeterConfig, PerimeterLayer};
pub use referer::{validate_root, RefererError, RefererPolicy};
