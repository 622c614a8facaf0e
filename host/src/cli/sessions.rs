//! `agent-host sessions list|show|rm`: thin views over `/sessions`.

use serde_json::Value;

use super::connect::connect;
use super::{check_id, exit, Failure, SessionsArgs, SessionsCommand};

pub async fn run(args: SessionsArgs) -> Result<u8, Failure> {
    if let SessionsCommand::Show { id } | SessionsCommand::Rm { id } = &args.command {
        check_id("session", id)?;
    }
    let connection = connect(args.host.user_data).await?;
    let client = &connection.client;
    match args.command {
        SessionsCommand::List { q, limit, all } => {
            let mut url = url::Url::parse(&client.url("/sessions"))
                .map_err(|e| Failure::new(exit::FAILED, e.to_string()))?;
            {
                let mut query = url.query_pairs_mut();
                if let Some(q) = &q {
                    query.append_pair("q", q);
                }
                if let Some(limit) = limit {
                    query.append_pair("limit", &limit.to_string());
                }
                if all {
                    query.append_pair("include_archived", "true");
                }
            }
            let page = client.get_url(url.as_str()).await?;
            print!("{}", list_lines(&page));
            let shown = page["sessions"].as_array().map_or(0, Vec::len);
            let total = page["total"].as_u64().unwrap_or(0);
            if (shown as u64) < total {
                eprintln!("({shown} of {total}; --limit shows more)");
            }
        }
        SessionsCommand::Show { id } => {
            let session = client.get(&format!("/sessions/{id}")).await?;
            let messages = client.get(&format!("/sessions/{id}/messages")).await?;
            println!(
                "session {id}: {}",
                session["title"].as_str().unwrap_or_default()
            );
            print!("{}", message_lines(&messages));
        }
        SessionsCommand::Rm { id } => {
            client.delete(&format!("/sessions/{id}")).await?;
            eprintln!("removed {id}");
        }
    }
    Ok(exit::OK)
}

/// `id  title [archived]`, one session a line.
fn list_lines(page: &Value) -> String {
    let mut out = String::new();
    for s in page["sessions"].as_array().into_iter().flatten() {
        let archived = if s["archived"] == true {
            " [archived]"
        } else {
            ""
        };
        out.push_str(&format!(
            "{}  {}{archived}\n",
            s["id"].as_str().unwrap_or("?"),
            one_line(s["title"].as_str().unwrap_or_default()),
        ));
    }
    out
}

/// Each text part as `role: text`, each tool part as one `⚙` line with its
/// state; reasoning and other part types are left out.
fn message_lines(messages: &Value) -> String {
    let mut out = String::new();
    for m in messages["messages"].as_array().into_iter().flatten() {
        let role = m["role"].as_str().unwrap_or("?");
        for part in m["parts"].as_array().into_iter().flatten() {
            let kind = part["type"].as_str().unwrap_or_default();
            if kind == "text" {
                out.push_str(&format!(
                    "{role}: {}\n",
                    part["text"].as_str().unwrap_or_default()
                ));
            } else if let Some(tool) = kind.strip_prefix("tool-") {
                let state = part["state"].as_str().unwrap_or("?");
                let mut line = format!("{role}: ⚙ {tool} {} [{state}]", part["input"]);
                if let Some(error) = part["errorText"].as_str() {
                    line.push_str(&format!(": {}", one_line(error)));
                }
                out.push_str(&line);
                out.push('\n');
            }
        }
        if m["metadata"]["status"]
            .as_str()
            .is_some_and(|s| s != "complete")
        {
            out.push_str(&format!(
                "{role}: ({})\n",
                m["metadata"]["status"].as_str().unwrap_or_default()
            ));
        }
    }
    out
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_print_one_line_per_part() {
        let messages = json!({"messages": [
            {"role": "user", "parts": [{"type": "text", "text": "hi"}], "metadata": {"status": "complete"}},
            {"role": "assistant", "parts": [
                {"type": "reasoning", "text": "hmm"},
                {"type": "tool-read_file", "toolCallId": "c", "state": "output-error",
                 "input": {"path": "x"}, "errorText": "not\nfound"},
                {"type": "text", "text": "sorry"}
            ], "metadata": {"status": "error"}}
        ]});
        assert_eq!(
            message_lines(&messages),
            "user: hi\nassistant: ⚙ read_file {\"path\":\"x\"} [output-error]: not found\nassistant: sorry\nassistant: (error)\n"
        );
    }

    #[test]
    fn list_marks_archived_sessions() {
        let page = json!({"sessions": [
            {"id": "ses_1", "title": "a\nb", "archived": false},
            {"id": "ses_2", "title": "old", "archived": true}
        ], "total": 2});
        assert_eq!(list_lines(&page), "ses_1  a b\nses_2  old [archived]\n");
    }
}
