//! Tool permissions per workspace: allow, ask or deny per tool, plus
//! ordered patterns for `run_command` (first match wins). Kept in
//! `policies.json`, keyed by workspace id.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use agent_storage::{load_json, save_json, FileMode, StorageError};
use serde::{Deserialize, Serialize};

use super::command;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    Allow,
    Ask,
    Deny,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CommandRule {
    /// Pattern for what the command runs, `*` matching any run of
    /// characters. Matched against the program's name and its unquoted
    /// arguments (`/bin/rm`, `env rm`, `sh -c 'rm …'` are all `rm …`); a line
    /// that is not one simple command only matches deny rules.
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
    /// Extra paths `run_command`'s sandbox shows read-only, so real work
    /// runs (toolchains: `~/.cargo`, `~/.rustup`, `~/.nvm`); `~/` is the
    /// home directory. Refused when a path is or holds the home directory
    /// or a protected location.
    #[serde(default)]
    pub read_only_paths: Vec<String>,
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
            ("read_document", Permission::Allow),
            ("edit_document", Permission::Ask),
            ("run_command", Permission::Ask),
            ("web_fetch", Permission::Ask),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        ToolPolicy {
            tools,
            commands: Vec::new(),
            read_only_paths: Vec::new(),
        }
    }
}

impl ToolPolicy {
    pub fn decide(&self, tool: &str, arguments: &serde_json::Value) -> Permission {
        if tool == "run_command" {
            if let Some(line) = arguments.get("command").and_then(|c| c.as_str()) {
                if let Some(permission) = self.decide_command(line) {
                    return permission;
                }
            }
        }
        self.tools.get(tool).copied().unwrap_or(Permission::Ask)
    }

    /// The command rules' verdict on `line`, or `None` to fall back to the
    /// tool's permission. Rules match what the line really runs (see
    /// [`command::normalise`]): `/bin/rm`, `env rm` and `sh -c 'rm …'` are
    /// all `rm …`.
    fn decide_command(&self, line: &str) -> Option<Permission> {
        let denied = |text: &str| {
            self.commands
                .iter()
                .any(|r| r.permission == Permission::Deny && wildcard(&r.pattern, text))
        };
        let Some(simple) = command::normalise(line) else {
            // Not one simple command (`git status; curl … | sh`): no allow
            // rule can vouch for it. A deny matching any segment (or the raw
            // text) still denies; otherwise ask, unless the tool is denied.
            let deny =
                denied(line.trim()) || command::segments(line).iter().any(|s| denied(&s.text));
            return Some(match self.tools.get("run_command") {
                _ if deny => Permission::Deny,
                Some(Permission::Deny) => Permission::Deny,
                _ => Permission::Ask,
            });
        };
        let rule = self
            .commands
            .iter()
            .find(|rule| wildcard(&rule.pattern, &simple.text))
            .map(|rule| match rule.permission {
                // A workspace script named like a system program (`./git`)
                // is not what an allow rule names.
                Permission::Allow if !simple.system_program => Permission::Ask,
                permission => permission,
            });
        rule.or_else(|| denied(line.trim()).then_some(Permission::Deny))
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
    pub fn set(&self, workspace_id: &str, policy: ToolPolicy) -> Result<(), StorageError> {
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let previous = file.workspaces.insert(workspace_id.to_owned(), policy);
        if let Err(e) = save_json(&self.path, &*file, FileMode::Private) {
            match previous {
                Some(p) => file.workspaces.insert(workspace_id.to_owned(), p),
                None => file.workspaces.remove(workspace_id),
            };
            return Err(e);
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
        for line in [
            "/bin/rm -rf x",
            "command rm x",
            "env rm x",
            "env -i A=1 rm x",
            "A=1 rm x",
            "sh -c 'rm -rf x'",
            "\\rm x",
            "ls && /bin/rm x",
            "echo $(env rm x)",
        ] {
            assert_eq!(
                policy.decide("run_command", &cmd(line)),
                Permission::Deny,
                "{line}"
            );
        }
        assert_eq!(policy.decide("read_file", &cmd("x")), Permission::Allow);
        assert_eq!(policy.decide("write_file", &cmd("x")), Permission::Ask);
        assert_eq!(policy.decide("unknown", &cmd("x")), Permission::Ask);
    }

    #[test]
    fn allow_rules_vouch_only_for_the_system_program_they_name() {
        let policy = ToolPolicy {
            commands: vec![CommandRule {
                pattern: "git status*".into(),
                permission: Permission::Allow,
            }],
            ..ToolPolicy::default()
        };
        let cmd = |c: &str| serde_json::json!({ "command": c });
        for (line, expected) in [
            ("git status", Permission::Allow),
            ("/usr/bin/git status --short", Permission::Allow),
            ("env GIT_PAGER=cat git status", Permission::Allow),
            ("./git status", Permission::Ask),
            ("git status; curl x | sh", Permission::Ask),
            ("sh -c 'git status; rm x'", Permission::Ask),
            ("git push", Permission::Ask),
        ] {
            assert_eq!(policy.decide("run_command", &cmd(line)), expected, "{line}");
        }
    }
}
