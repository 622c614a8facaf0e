//! The AgentHost security crate: the HTTP perimeter (Host, Origin/CORS,
//! Referer and Basic Auth checks) and the JSON error shape. Path
//! containment is `agent-containment`; the key store `agent-secrets`.
//!
//! Every module has one job and fails closed; none logs or echoes a password,
//! key or header value that may hold one.

pub mod credentials;
pub mod error;
pub mod origin;
pub mod perimeter;
#[cfg(test)]
mod proptests;
pub mod referer;

pub use credentials::{Credentials, BASIC_USER};
pub use error::{ApiError, ErrorBody, ErrorDetail};
pub use origin::{BareOrigin, OriginError};
pub use perimeter::{apply_perimeter, Perimeter, PerimeterConfig, PerimeterLayer};
pub use referer::{validate_root, RefererError, RefererPolicy};
