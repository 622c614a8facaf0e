//! The shell's own actions on the bridge scheme: `hostapi://shell/<name>`,
//! answered by the shell instead of the host, after the same Origin check
//! as every host request (src/scheme.rs). This is how the page opens files
//! in windows, asks for the Open dialog, reports unsaved changes and closes
//! its window: never through wry's IPC, which cannot tell frames apart.

use std::path::PathBuf;

use renderer_bridge::{BridgeRequest, Refusal, SCHEME};

/// The DOM event the shell dispatches on a page whose window was asked to
/// close while it has unsaved changes (`closeRequestedEvent` in
/// web/src/desktop/constants.json). The page answers with
/// [`ShellAction::Close`] or keeps the window.
pub const CLOSE_REQUESTED_EVENT: &str = crate::renderer::CLOSE_REQUESTED_EVENT;

/// The authority of shell actions (the host's is `host`).
pub const AUTHORITY: &str = "shell";

/// What a renderer page may ask of the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellAction {
    /// Open this absolute path in its document window (focus it when open).
    Open(PathBuf),
    /// Show the File > Open dialog.
    OpenDialog,
    /// Show a Save As dialog proposing this file name; the chosen path (or
    /// none) goes back to the page as `desktop:save-as`.
    SaveDialog(String),
    /// The page's document has (or no longer has) unsaved changes.
    SetDirty(bool),
    /// Close the asking window now; the page has dealt with its changes.
    Close,
    /// Quit the app (windows with unsaved changes are asked first).
    Quit,
}

/// Whether `uri` is addressed to the shell rather than the host.
pub fn is_shell_uri(uri: &str) -> bool {
    let prefix = format!("{SCHEME}://{AUTHORITY}/");
    uri.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(&prefix))
}

/// Parses one shell request: `POST hostapi://shell/<name>` with a JSON body
/// where the action takes arguments. Anything else is a 400/405 refusal.
pub fn parse(request: &BridgeRequest) -> Result<ShellAction, Refusal> {
    if request.method != "POST" {
        return Err(Refusal::METHOD);
    }
    let name = request
        .uri
        .get(SCHEME.len() + "://".len() + AUTHORITY.len() + 1..)
        .ok_or(Refusal::BAD_REQUEST)?;
    let body = || -> Result<serde_json::Value, Refusal> {
        let bytes = request.body.as_deref().unwrap_or(b"{}");
        serde_json::from_slice(bytes).map_err(|_| Refusal::BAD_REQUEST)
    };
    match name {
        "open" => {
            let body = body()?;
            let path = body
                .get("path")
                .and_then(|p| p.as_str())
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .ok_or(Refusal::BAD_REQUEST)?;
            Ok(ShellAction::Open(path))
        }
        "open-dialog" => Ok(ShellAction::OpenDialog),
        "save-dialog" => body()?
            .get("name")
            .and_then(|n| n.as_str())
            .filter(|n| !n.contains('/') && !n.contains('\0') && n.len() <= 255)
            .map(|n| ShellAction::SaveDialog(n.to_owned()))
            .ok_or(Refusal::BAD_REQUEST),
        "dirty" => body()?
            .get("dirty")
            .and_then(|d| d.as_bool())
            .map(ShellAction::SetDirty)
            .ok_or(Refusal::BAD_REQUEST),
        "close" => Ok(ShellAction::Close),
        "quit" => Ok(ShellAction::Quit),
        _ => Err(Refusal::BAD_REQUEST),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(uri: &str, body: &str) -> BridgeRequest {
        BridgeRequest {
            method: "POST".into(),
            uri: uri.into(),
            headers: vec![],
            body: Some(body.as_bytes().to_vec()),
        }
    }

    #[test]
    fn shell_uris_are_told_apart_from_host_uris() {
        assert!(is_shell_uri("hostapi://shell/open"));
        assert!(is_shell_uri("HOSTAPI://Shell/quit"));
        assert!(!is_shell_uri("hostapi://host/shell/open"));
        assert!(!is_shell_uri("hostapi://shellx/open"));
        assert!(!is_shell_uri("hostapi://shell"));
    }

    #[test]
    fn actions_parse_strictly() {
        assert_eq!(
            parse(&post("hostapi://shell/open", r#"{"path":"/tmp/a.md"}"#)),
            Ok(ShellAction::Open("/tmp/a.md".into()))
        );
        assert_eq!(
            parse(&post("hostapi://shell/dirty", r#"{"dirty":true}"#)),
            Ok(ShellAction::SetDirty(true))
        );
        assert_eq!(
            parse(&post("hostapi://shell/close", "")),
            Ok(ShellAction::Close),
            "close reads no body"
        );
        assert_eq!(
            parse(&post("hostapi://shell/quit", "{}")),
            Ok(ShellAction::Quit)
        );
        assert_eq!(
            parse(&post(
                "hostapi://shell/save-dialog",
                r#"{"name":"plan.md"}"#
            )),
            Ok(ShellAction::SaveDialog("plan.md".into()))
        );
        for (uri, body) in [
            ("hostapi://shell/open", r#"{"path":"relative.md"}"#),
            ("hostapi://shell/open", r#"{"path":7}"#),
            ("hostapi://shell/open", "not json"),
            ("hostapi://shell/dirty", r#"{"dirty":"yes"}"#),
            ("hostapi://shell/save-dialog", r#"{"name":"../up.md"}"#),
            ("hostapi://shell/save-dialog", r#"{}"#),
            ("hostapi://shell/format-disk", "{}"),
            ("hostapi://shell/open/../quit", "{}"),
        ] {
            assert_eq!(
                parse(&post(uri, body)),
                Err(Refusal::BAD_REQUEST),
                "{uri} {body}"
            );
        }
        let mut get = post("hostapi://shell/quit", "{}");
        get.method = "GET".into();
        assert_eq!(parse(&get), Err(Refusal::METHOD));
    }
}
