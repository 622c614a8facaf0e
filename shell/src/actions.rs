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
    /// Show a folder chooser; the chosen folder (or none) goes back to the
    /// page as `desktop:folder-chosen`.
    FolderDialog,
    /// Open this `http(s)` URL in the system browser (never in the window).
    OpenExternal(url::Url),
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
        "folder-dialog" => Ok(ShellAction::FolderDialog),
        "open-external" => body()?
            .get("url")
            .and_then(|u| u.as_str())
            .and_then(|u| external_url(u).ok())
            .map(ShellAction::OpenExternal)
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

/// The longest URL `open-external` takes.
const MAX_EXTERNAL_URL: usize = 8192;

/// What `shell.openExternal` may open: an absolute `http:` or `https:` URL
/// written out in full (`http://` or `https://`, no leading or trailing
/// space, no control characters, no leniency the URL parser would
/// otherwise fix up), with a host and without credentials (which make
/// `https://bank.example@evil.example` read as the wrong site). Anything
/// else (`javascript:`, `data:`, `file:`, relative, no host) is refused
/// with the reason.
pub fn external_url(text: &str) -> Result<url::Url, &'static str> {
    if text.len() > MAX_EXTERNAL_URL {
        return Err("too long");
    }
    if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("spaces or control characters");
    }
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err("not an http(s) URL");
    }
    // The parser reads `\` as `/` and skips extra slashes in web URLs.
    let authority = &text[text.find("://").map_or(0, |at| at + 3)..];
    if text.contains('\\') || authority.starts_with('/') {
        return Err("not a plain URL");
    }
    let parsed = url::Url::parse(text).map_err(|_| "not a URL")?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("not an http(s) URL");
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("no host");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("credentials in the URL");
    }
    Ok(parsed)
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
            (
                "hostapi://shell/open-external",
                r#"{"url":"javascript:alert(1)"}"#,
            ),
            ("hostapi://shell/open-external", r#"{"url":7}"#),
            ("hostapi://shell/open-external", r#"{}"#),
            ("hostapi://shell/format-disk", "{}"),
            ("hostapi://shell/open/../quit", "{}"),
        ] {
            assert_eq!(
                parse(&post(uri, body)),
                Err(Refusal::BAD_REQUEST),
                "{uri} {body}"
            );
        }
        assert_eq!(
            parse(&post("hostapi://shell/folder-dialog", "")),
            Ok(ShellAction::FolderDialog)
        );
        assert_eq!(
            parse(&post(
                "hostapi://shell/open-external",
                r#"{"url":"https://example.com/a?b=1#c"}"#
            )),
            Ok(ShellAction::OpenExternal(
                url::Url::parse("https://example.com/a?b=1#c").expect("a URL")
            ))
        );
        let mut get = post("hostapi://shell/quit", "{}");
        get.method = "GET".into();
        assert_eq!(parse(&get), Err(Refusal::METHOD));
    }

    #[test]
    fn only_full_http_urls_with_a_host_open_externally() {
        for (text, opened) in [
            ("https://example.com", "https://example.com/"),
            ("http://example.com:8080/a b", ""),
            (
                "HTTPS://Example.COM/Path?q=1#f",
                "https://example.com/Path?q=1#f",
            ),
            ("http://127.0.0.1:3000/", "http://127.0.0.1:3000/"),
            ("https://[::1]/", "https://[::1]/"),
        ] {
            match external_url(text) {
                Ok(url) => assert_eq!(url.as_str(), opened, "{text}"),
                Err(why) => assert!(opened.is_empty(), "{text} refused: {why}"),
            }
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_EXTERNAL_URL));
        for (text, why) in [
            ("javascript:alert(1)", "not an http(s) URL"),
            ("JavaScript:alert(1)//http://x", "not an http(s) URL"),
            (
                "data:text/html,<script>alert(1)</script>",
                "not an http(s) URL",
            ),
            ("file:///etc/passwd", "not an http(s) URL"),
            ("agent-host://workspace?path=/", "not an http(s) URL"),
            ("hostapi://host/health", "not an http(s) URL"),
            ("ftp://example.com/", "not an http(s) URL"),
            ("/relative/path", "not an http(s) URL"),
            ("relative", "not an http(s) URL"),
            ("//example.com/protocol-relative", "not an http(s) URL"),
            ("http:example.com", "not an http(s) URL"),
            ("https:/example.com", "not an http(s) URL"),
            ("http://", "not a URL"),
            ("https:///path", "not a plain URL"),
            ("https://example.com\\@evil.example/", "not a plain URL"),
            ("http://exa mple.com", "spaces or control characters"),
            (" https://example.com", "spaces or control characters"),
            ("https://example.com\n", "spaces or control characters"),
            ("https://example.com/\u{0}", "spaces or control characters"),
            (
                "https://bank.example@evil.example/",
                "credentials in the URL",
            ),
            ("https://user:pw@example.com/", "credentials in the URL"),
            ("", "not an http(s) URL"),
            (long.as_str(), "too long"),
        ] {
            assert_eq!(
                external_url(text).map(|u| u.to_string()),
                Err(why),
                "{text:?}"
            );
        }
    }
}
