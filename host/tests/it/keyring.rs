//! The keyring store against a real Secret Service: scripts/test.sh runs
//! this inside `dbus-run-session` with an unlocked gnome-keyring-daemon and
//! AGENT_HOST_KEYRING_TEST=1. It is ignored in the plain run because it needs
//! that session bus; without one it fails rather than passing vacuously.

use std::process::Command;

use crate::support::*;
use serde_json::json;
use sha2::{Digest, Sha256};

const KEY: &str = "sk-gw-keyring-test-value-0123456789";

#[test]
#[ignore = "needs a Secret Service; run by scripts/test.sh under dbus-run-session"]
fn keys_go_to_the_os_keyring_when_a_secret_service_answers() {
    assert_eq!(
        std::env::var("AGENT_HOST_KEYRING_TEST").as_deref(),
        Ok("1"),
        "run through scripts/test.sh, which starts gnome-keyring-daemon"
    );
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no session bus"
    );
    let dir = tempfile::tempdir().unwrap();
    let host = TestHost::start_with(launch_options(dir.path()), &[]);

    let r = host.send("PUT", "/secrets/ai-gateway", json!({"key": KEY}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["store"], "keyring");
    assert!(
        !dir.path().join("auth.json").exists()
            || !contains(
                &std::fs::read(dir.path().join("auth.json")).unwrap(),
                KEY.as_bytes()
            ),
        "the key must not also land in auth.json"
    );
    assert_eq!(host.get("/secrets/ai-gateway").json()["store"], "keyring");

    // The Secret Service really holds it: ask it with libsecret's own tool.
    let scope = dir.path().to_string_lossy().into_owned();
    let digest = Sha256::digest(scope.as_bytes());
    let service: String = std::iter::once("agent-host:".to_owned())
        .chain(digest[..8].iter().map(|b| format!("{b:02x}")))
        .collect();
    let lookup = Command::new("secret-tool")
        .args(["lookup", "service", &service, "username", "ai-gateway"])
        .output()
        .expect("secret-tool (libsecret-tools) is installed by scripts/setup.sh");
    assert_eq!(String::from_utf8_lossy(&lookup.stdout).trim(), KEY);

    // Survives a restart, then deletion removes it from the keyring.
    assert!(host.stop().success());
    let host = TestHost::start_with(launch_options(dir.path()), &[]);
    assert_eq!(host.get("/secrets/ai-gateway").json()["present"], true);
    assert_eq!(
        host.request("DELETE", "/secrets/ai-gateway", None).status,
        200
    );
    let lookup = Command::new("secret-tool")
        .args(["lookup", "service", &service, "username", "ai-gateway"])
        .output()
        .unwrap();
    assert!(lookup.stdout.is_empty(), "deleted from the keyring");
    let stderr = host.stderr.clone();
    assert!(host.stop().success());
    assert!(!contains(&stderr.lock().unwrap(), KEY.as_bytes()));
}
