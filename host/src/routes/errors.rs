//! The one table from the collaborators' errors to HTTP.
//!
//! Collaborators say what went wrong in their own terms (`DocumentError`,
//! `WorkspaceError`, `AgentError`, …); only here does that become a status
//! and one of the stable codes of docs/rfc/http-api.md. So two routes that
//! fail the same way cannot answer with different codes, and a collaborator
//! can be used (and tested) without HTTP. A refusal's message is its
//! error's `Display`, which never echoes the client's path or a key;
//! faults (I/O, storage, a failed task, a client that cannot be built) are
//! logged here and answered 500 `internal` without details.

use agent_containment::ContainmentError;
use agent_secrets::SecretError;
use agent_security::ApiError;
use agent_storage::StorageError;
use axum::http::StatusCode;

use crate::agent::providers::ProvidersError;
use crate::agent::AgentError;
use crate::blocking::Blocked;
use crate::changes::ChangesError;
use crate::documents::DocumentError;
use crate::files::FileError;
use crate::models::ModelsError;
use crate::recent::RecentError;
use crate::secrets::SecretsError;
use crate::workspaces::WorkspaceError;

/// A status and code for an error whose `Display` is the client's message.
fn refusal(status: StatusCode, code: &'static str, e: &impl std::fmt::Display) -> ApiError {
    ApiError::new(status, code, e.to_string())
}

/// A fault: logged with its details, answered without them.
fn fault(e: &impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "request failed");
    ApiError::internal()
}

impl From<Blocked> for ApiError {
    fn from(e: Blocked) -> Self {
        match e {
            // `run_blocking` has logged both.
            Blocked::TimedOut => refusal(StatusCode::SERVICE_UNAVAILABLE, "timeout", &e),
            Blocked::Failed(_) => ApiError::internal(),
        }
    }
}

/// A failure of the host's own storage. A full disk is not a bug: 507,
/// and the same request succeeds once space returns (nothing was
/// half-written).
fn storage(e: StorageError) -> ApiError {
    if e.is_storage_full() {
        tracing::error!(error = %e, "storage full");
        return ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "storage_full",
            "the disk holding the host's data is full; free some space and try again",
        );
    }
    tracing::error!(error = %e, "storage operation failed");
    ApiError::internal()
}

/// A path that containment refused or found nothing at.
fn containment(e: ContainmentError) -> ApiError {
    use ContainmentError as E;
    match e {
        E::NulByte | E::ParentTraversal | E::Escapes | E::RootItself | E::Protected => {
            refusal(StatusCode::FORBIDDEN, "path_not_allowed", &e)
        }
        E::NotFound => refusal(StatusCode::NOT_FOUND, "not_found", &e),
        E::InvalidRoot => refusal(StatusCode::NOT_FOUND, "workspace_missing", &e),
        E::Io(_) => fault(&e),
    }
}

impl From<FileError> for ApiError {
    fn from(e: FileError) -> Self {
        use FileError as E;
        let (status, code) = match e {
            E::Path(e) => return containment(e),
            E::Io(_) => return fault(&e),
            E::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            E::PermissionDenied => (StatusCode::FORBIDDEN, "permission_denied"),
            E::NotAFile | E::IsADirectory => (StatusCode::BAD_REQUEST, "not_a_file"),
            E::NotADirectory => (StatusCode::BAD_REQUEST, "not_a_directory"),
            E::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "file_too_large"),
            E::NotUtf8 => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_utf8"),
            E::Changed | E::Removed => (StatusCode::CONFLICT, "conflict"),
            // The atomic write left the file as it was.
            E::DiskFull(_) => (StatusCode::INSUFFICIENT_STORAGE, "storage_full"),
            E::WriteFailed(_) => (StatusCode::INTERNAL_SERVER_ERROR, "write_failed"),
        };
        refusal(status, code, &e)
    }
}

impl From<DocumentError> for ApiError {
    fn from(e: DocumentError) -> Self {
        use DocumentError as E;
        match e {
            E::Unknown => refusal(StatusCode::NOT_FOUND, "unknown_document", &e),
            E::NulByte | E::NotAbsolute => refusal(StatusCode::BAD_REQUEST, "invalid_path", &e),
            E::Gone => refusal(StatusCode::NOT_FOUND, "not_found", &e),
            E::File(e) => e.into(),
            E::Storage(e) => storage(e),
            E::Blocked(e) => e.into(),
        }
    }
}

impl From<WorkspaceError> for ApiError {
    fn from(e: WorkspaceError) -> Self {
        use WorkspaceError as E;
        match e {
            E::Unknown => refusal(StatusCode::NOT_FOUND, "unknown_workspace", &e),
            E::NulByte | E::NotAbsolute | E::InvalidReadOnlyPath => {
                refusal(StatusCode::BAD_REQUEST, "invalid_path", &e)
            }
            E::NotAllowed(_) => refusal(StatusCode::FORBIDDEN, "workspace_not_allowed", &e),
            E::ReadOnlyPathNotAllowed(_) => {
                refusal(StatusCode::FORBIDDEN, "read_only_path_not_allowed", &e)
            }
            E::File(e) => e.into(),
            E::Storage(e) => storage(e),
            E::Blocked(e) => e.into(),
        }
    }
}

impl From<RecentError> for ApiError {
    fn from(e: RecentError) -> Self {
        match e {
            RecentError::NotRecent => refusal(StatusCode::NOT_FOUND, "not_recent", &e),
            RecentError::Storage(e) => storage(e),
            RecentError::Blocked(e) => e.into(),
        }
    }
}

impl From<SecretsError> for ApiError {
    fn from(e: SecretsError) -> Self {
        match e {
            SecretsError::Store(e) => secret_store(e),
            SecretsError::Blocked(e) => e.into(),
        }
    }
}

/// A failure of the secret store on a key route (`SecretError`'s `Display`
/// never contains a key).
fn secret_store(e: SecretError) -> ApiError {
    match e {
        SecretError::EmptyKey => ApiError::bad_request("invalid_key", "the key must not be empty"),
        SecretError::TooLong => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_key",
            "the key is too long",
        ),
        SecretError::Storage(e @ StorageError::InsecurePermissions { .. }) => {
            // The message names the file and the chmod that fixes it.
            tracing::error!(error = %e, "auth.json refused");
            refusal(StatusCode::SERVICE_UNAVAILABLE, "insecure_permissions", &e)
        }
        other => {
            tracing::error!(error = %other, "secret store failed");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "secret_store_unavailable",
                "the secret store could not be used",
            )
        }
    }
}

impl From<ProvidersError> for ApiError {
    fn from(e: ProvidersError) -> Self {
        use ProvidersError as E;
        match e {
            E::Down(_) => refusal(StatusCode::CONFLICT, "provider_down", &e),
            E::SecretStore(ref inner) => {
                tracing::error!(error = %inner, "reading a provider key failed");
                refusal(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "secret_store_unavailable",
                    &e,
                )
            }
            E::InvalidTimeout => refusal(StatusCode::BAD_REQUEST, "invalid_timeout", &e),
            E::InvalidRetries => refusal(StatusCode::BAD_REQUEST, "invalid_retries", &e),
            E::InvalidBaseUrl(_) => refusal(StatusCode::BAD_REQUEST, "invalid_base_url", &e),
            E::Storage(e) => storage(e),
        }
    }
}

/// A provider that failed a request the host made for a client (a model
/// list): the provider's stable code (`provider_connect`, `provider_auth`,
/// `provider_status`, `provider_rate_limited`, `provider_timeout`, …, the
/// codes a turn's `error` chunk ends with), 504 for a timeout, else 502.
/// The message is the provider error's `Display`: scrubbed of the key,
/// without the URL.
pub(crate) fn provider_failure(e: &agent_provider::ProviderError) -> ApiError {
    let status = if e.code() == "provider_timeout" {
        StatusCode::GATEWAY_TIMEOUT
    } else {
        StatusCode::BAD_GATEWAY
    };
    refusal(status, e.code(), e)
}

impl From<ModelsError> for ApiError {
    fn from(e: ModelsError) -> Self {
        match e {
            ModelsError::Providers(e) => e.into(),
            ModelsError::Provider(ref inner) => provider_failure(inner),
            ModelsError::Client(_) => fault(&e),
            ModelsError::Blocked(e) => e.into(),
        }
    }
}

impl From<ChangesError> for ApiError {
    fn from(e: ChangesError) -> Self {
        use ChangesError as E;
        match e {
            E::UnknownTurn => refusal(StatusCode::NOT_FOUND, "unknown_turn", &e),
            E::Pruned => refusal(StatusCode::GONE, "checkpoint_pruned", &e),
            // The list of files goes in the body (routes/sessions.rs).
            E::ChangedSince(_) => refusal(StatusCode::CONFLICT, "changed_since", &e),
            E::Storage(e) => storage(e),
        }
    }
}

impl From<AgentError> for ApiError {
    fn from(e: AgentError) -> Self {
        use AgentError as E;
        match e {
            E::UnknownSession => refusal(StatusCode::NOT_FOUND, "unknown_session", &e),
            E::WorkspaceAndDocument => {
                refusal(StatusCode::BAD_REQUEST, "workspace_and_document", &e)
            }
            E::Document(e) => e.into(),
            E::Changes(e) => e.into(),
            E::InvalidTitle => refusal(StatusCode::BAD_REQUEST, "invalid_title", &e),
            E::EmptyMessage => refusal(StatusCode::BAD_REQUEST, "invalid_message", &e),
            E::InvalidModel => refusal(StatusCode::BAD_REQUEST, "invalid_model", &e),
            E::MessageTooLarge => refusal(StatusCode::PAYLOAD_TOO_LARGE, "invalid_message", &e),
            E::InvalidMaxSteps => refusal(StatusCode::BAD_REQUEST, "invalid_max_steps", &e),
            E::RunInFlight => refusal(StatusCode::CONFLICT, "run_in_flight", &e),
            E::NoTurn => refusal(StatusCode::NOT_FOUND, "no_turn", &e),
            E::NothingToRetry => refusal(StatusCode::CONFLICT, "nothing_to_retry", &e),
            E::RetryAfterChanges => refusal(StatusCode::CONFLICT, "retry_after_changes", &e),
            E::UnknownApproval => refusal(StatusCode::NOT_FOUND, "unknown_approval", &e),
            E::Providers(e) => e.into(),
            E::Client(_) => fault(&e),
            E::Workspace(e) => e.into(),
            E::Storage(e) => storage(e),
            E::Blocked(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(e: impl Into<ApiError>) -> (StatusCode, &'static str, String) {
        let e = e.into();
        (e.status, e.code, e.message)
    }

    #[test]
    fn containment_refusals_keep_their_codes_and_never_echo_details() {
        for (error, status, code) in [
            (
                ContainmentError::Escapes,
                StatusCode::FORBIDDEN,
                "path_not_allowed",
            ),
            (
                ContainmentError::Protected,
                StatusCode::FORBIDDEN,
                "path_not_allowed",
            ),
            (
                ContainmentError::NulByte,
                StatusCode::FORBIDDEN,
                "path_not_allowed",
            ),
            (
                ContainmentError::NotFound,
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                ContainmentError::InvalidRoot,
                StatusCode::NOT_FOUND,
                "workspace_missing",
            ),
        ] {
            let label = format!("{error:?}");
            let (got_status, got_code, _) = wire(FileError::Path(error));
            assert_eq!((got_status, got_code), (status, code), "{label}");
        }
        let io = || std::io::Error::other("boom /secret/path");
        for api in [
            containment(ContainmentError::Io(io())),
            ApiError::from(FileError::Io(io())),
        ] {
            assert_eq!(api.code, "internal");
            assert!(!api.message.contains("secret"));
        }
    }

    #[test]
    fn file_errors_become_the_codes_documents_and_workspaces_share() {
        let io = |kind| FileError::from(std::io::Error::from(kind));
        assert_eq!(
            wire(io(std::io::ErrorKind::NotFound)),
            (StatusCode::NOT_FOUND, "not_found", "no such file".into())
        );
        assert_eq!(
            wire(io(std::io::ErrorKind::PermissionDenied)).1,
            "permission_denied"
        );
        assert_eq!(
            wire(FileError::Removed),
            (
                StatusCode::CONFLICT,
                "conflict",
                "the file was removed on disk since it was read".into()
            )
        );
        assert_eq!(
            wire(FileError::TooLarge).2,
            "files larger than 10 MiB are not opened as text"
        );
        assert_eq!(
            wire(FileError::IsADirectory),
            (
                StatusCode::BAD_REQUEST,
                "not_a_file",
                "path is a directory".into()
            )
        );
        let (status, code, _) = wire(DocumentError::File(FileError::NotUtf8));
        assert_eq!(
            (status, code),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_utf8")
        );
    }

    #[test]
    fn a_timeout_is_503_whichever_collaborator_waited() {
        for api in [
            ApiError::from(DocumentError::Blocked(Blocked::TimedOut)),
            ApiError::from(AgentError::Workspace(WorkspaceError::Blocked(
                Blocked::TimedOut,
            ))),
            ApiError::from(SecretsError::Blocked(Blocked::TimedOut)),
        ] {
            assert_eq!(
                (api.status, api.code, api.message.as_str()),
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "timeout",
                    "the request took too long and was cancelled"
                )
            );
        }
    }

    #[test]
    fn secret_store_failures_never_repeat_the_store_s_words() {
        let api = ApiError::from(SecretsError::Store(SecretError::Keyring(
            "platform failure: dbus".into(),
        )));
        assert_eq!(
            (api.status, api.code, api.message.as_str()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "secret_store_unavailable",
                "the secret store could not be used"
            )
        );
        let api = ApiError::from(AgentError::Providers(ProvidersError::SecretStore(
            SecretError::Keyring("platform failure: dbus".into()),
        )));
        assert_eq!(api.message, "the secret store could not be read");
        assert_eq!(
            wire(SecretsError::Store(SecretError::TooLong)),
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_key",
                "the key is too long".into()
            )
        );
    }
}
