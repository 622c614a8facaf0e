//! The `scripted-provider` binary: serves a script file and announces its
//! port on stdout.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::{collect, endpoint, fast_config, request};
use agent_provider::{ChatStream, Client, StreamEvent};

/// Compile-time: what the host relies on to move streams across tasks.
#[allow(dead_code)]
fn assert_bounds() {
    fn send_unpin<T: Send + Unpin + 'static>() {}
    fn send_sync<T: Send + Sync + Clone>() {}
    send_unpin::<ChatStream>();
    send_sync::<Client>();
}

#[tokio::test]
async fn serves_a_script_file_and_prints_its_port() {
    let path = std::env::temp_dir().join(format!("scripted-provider-{}.json", std::process::id()));
    std::fs::write(
        &path,
        r#"[{"kind":"error","status":503,"body":{"error":{"message":"warming up"}}},
            {"kind":"stream","events":[{"kind":"text","text":"from a file"},{"kind":"tool_call","index":0,"id":"c","name":"n","arguments":"{}"},{"kind":"finish","reason":"stop"},{"kind":"done"}]}]"#,
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scripted-provider"))
        .arg(&path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
    let port = ready["port"].as_u64().unwrap();

    let client = Client::new(fast_config()).unwrap();
    let base = format!("http://127.0.0.1:{port}/v1");
    let stream = client.stream(&endpoint(base), &request()).await.unwrap();
    let (events, error) = collect(stream).await;
    assert_eq!(error, None);
    assert_eq!(events[0], StreamEvent::TextDelta("from a file".into()));
    assert_eq!(events.len(), 4);

    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_file(&path).unwrap();
}
