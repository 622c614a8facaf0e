import type { ToolPolicy } from '../desktop/types';
import { commandPattern } from './tools';

/** What "Always allow this in this workspace" adds, said to the user; null
 * when it cannot be allowed by the policy (a run_command line that is not
 * one simple command). */
export function alwaysAllowLabel(tool: string, input: unknown): string | null {
  if (tool !== 'run_command') return `Always allow ${tool} in this workspace`;
  const command = (input as { command?: unknown } | undefined)?.command;
  const pattern = typeof command === 'string' ? commandPattern(command) : null;
  return pattern ? `Always allow “${pattern}” in this workspace` : null;
}

/** `policy` with `tool` allowed: the tool set to `allow`, or for
 * run_command an allow rule for the command's program, placed after every
 * deny rule (first match wins, so no deny is overridden). */
export function withAlwaysAllow(policy: ToolPolicy, tool: string, input: unknown): ToolPolicy {
  if (tool !== 'run_command') return { ...policy, tools: { ...policy.tools, [tool]: 'allow' } };
  const command = (input as { command?: unknown } | undefined)?.command;
  const pattern = typeof command === 'string' ? commandPattern(command) : null;
  if (!pattern) return policy;
  const commands = [...(policy.commands ?? [])];
  if (commands.some((r) => r.pattern === pattern && r.permission === 'allow')) return policy;
  let at = 0;
  commands.forEach((r, i) => {
    if (r.permission === 'deny') at = i + 1;
  });
  commands.splice(at, 0, { pattern, permission: 'allow' });
  return { ...policy, commands };
}
