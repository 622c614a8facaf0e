//! The sandbox's environment is minimal. A separate test binary, because it
//! sets a variable in this process's environment.

use crate::common::fixture_with;
use agent_tools::Sandbox;
use serde_json::json;

#[tokio::test]
async fn environment_is_minimal() {
    // Edition 2021: set_var is safe; this binary runs only this test.
    std::env::set_var("AGENT_TOOLS_TEST_MARKER", "leaked-secret");
    let f = fixture_with(Some(Sandbox::detect().expect("bwrap")));
    let v = f.ok("run_command", json!({"command": "env"})).await;
    let out = v["stdout"].as_str().expect("stdout");
    assert!(!out.contains("AGENT_TOOLS_TEST_MARKER"), "{out}");
    assert!(!out.contains("leaked-secret"), "{out}");
    let mut names: Vec<&str> = out.lines().filter_map(|l| l.split('=').next()).collect();
    names.sort_unstable();
    // sh itself adds PWD (and may add OLDPWD/SHLVL).
    for name in &names {
        assert!(
            ["HOME", "LANG", "OLDPWD", "PATH", "PWD", "SHLVL", "TERM", "_"].contains(name),
            "unexpected variable {name}: {out}"
        );
    }
    assert!(out.contains("PATH=/usr/local/bin:/usr/bin:/bin"));
    assert!(out.contains(&format!("HOME={}", f.ws.display())));

    // The sandbox's pid 1 is bubblewrap itself; its environment is
    // readable inside and must not be the host's.
    let v = f
        .ok(
            "run_command",
            json!({"command": "tr '\\0' '\\n' < /proc/1/environ"}),
        )
        .await;
    let out = v["stdout"].as_str().expect("stdout");
    assert!(out.contains("PATH="), "{v}");
    assert!(!out.contains("leaked-secret"), "{out}");
}
