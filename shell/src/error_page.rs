//! The page of the error window the shell shows when the supervisor gives
//! up on the host: why, and the host's last stderr lines, so a user (or a
//! bug report) has something better than a silent retry loop.

/// A self-contained HTML page; every piece of text is escaped.
pub fn error_page(reason: &str, last_stderr: &[String]) -> String {
    let lines = if last_stderr.is_empty() {
        "<p class=\"muted\">The host wrote nothing to stderr.</p>".to_owned()
    } else {
        let text: Vec<String> = last_stderr.iter().map(|l| escape(l)).collect();
        format!("<pre id=\"stderr\">{}</pre>", text.join("\n"))
    };
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>The host could not start</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 24px; color: #222; }}
h1 {{ font-size: 18px; color: #a00; }}
pre {{ background: #f4f4f4; padding: 12px; overflow: auto; max-height: 60vh; white-space: pre-wrap; }}
.muted {{ color: #666; }}
</style></head>
<body>
<h1>The agent host could not be started</h1>
<p id="reason">{reason}</p>
<p>The shell tried several times and stopped retrying. The host's last lines on stderr:</p>
{lines}
<p class="muted">Quit and start the app again once the cause is fixed.</p>
</body></html>"#,
        reason = escape(reason),
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_and_lines_are_escaped() {
        let page = error_page(
            "exit <1>",
            &["<script>alert(1)</script>".into(), "a & b".into()],
        );
        assert!(page.contains("exit &lt;1&gt;"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;\na &amp; b"));
        assert!(!page.contains("<script>"));
    }

    #[test]
    fn no_lines_is_said() {
        assert!(error_page("x", &[]).contains("wrote nothing"));
    }
}
