// What a turn changed on disk, as the chat shows it: the turn a message
// belongs to, which tool calls may write files, the "N files changed +a −b"
// line, a unified diff split into lines, and the file a tool call wrote.

import { getToolName, isToolUIPart, type UIMessage } from 'ai';
import type { ChangedFile } from '../desktop/types';

/** Tools whose calls write one named file (their cards link to its diff). */
export const WRITE_TOOLS: readonly string[] = ['write_file', 'edit_file', 'edit_document'];

/** Tools that may change files: the writes, and a sandboxed command. */
export const FILE_CHANGING_TOOLS: readonly string[] = [...WRITE_TOOLS, 'run_command'];

/**
 * The host turn an assistant message is the answer of: the stream's
 * `start`/`finish` chunks carry `metadata.turnId` (host/src/agent/turn.rs),
 * and so do stored messages (`GET /sessions/{id}/messages`).
 */
export function turnIdOf(message: UIMessage): string | null {
  if (message.role !== 'assistant') return null;
  const meta = message.metadata as Record<string, unknown> | null | undefined;
  if (!meta || typeof meta !== 'object') return null;
  const id = meta.turnId;
  return typeof id === 'string' && id !== '' ? id : null;
}

/** The tool name of a message part, when it is a tool call. */
export function toolNameOf(part: UIMessage['parts'][number]): string | null {
  return isToolUIPart(part) ? getToolName(part) : null;
}

/** Whether a message called a tool that may have changed files (only such
 * turns are asked for their changes). */
export function mayChangeFiles(message: UIMessage): boolean {
  return message.parts.some((p) => {
    const name = toolNameOf(p);
    return name !== null && FILE_CHANGING_TOOLS.includes(name);
  });
}

export interface ChangeTotals {
  files: number;
  additions: number;
  deletions: number;
}

export function totals(files: readonly ChangedFile[]): ChangeTotals {
  return files.reduce(
    (t, f) => ({ files: t.files + 1, additions: t.additions + f.additions, deletions: t.deletions + f.deletions }),
    { files: 0, additions: 0, deletions: 0 },
  );
}

/** "1 file changed", "3 files changed". */
export function filesChangedText(n: number): string {
  return `${n} ${n === 1 ? 'file' : 'files'} changed`;
}

/** One line of a unified diff: `add`/`del`/`same` carry the text without
 * its marker; `hunk` is an `@@ … @@` line; `note` a `\ No newline…`. */
export interface DiffLine {
  kind: 'add' | 'del' | 'same' | 'hunk' | 'note';
  text: string;
}

/** The lines of a unified diff, without its `---`/`+++` header (the path
 * is shown beside it). Only ever rendered as text. */
export function diffLines(diff: string): DiffLine[] {
  const lines = diff.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out: DiffLine[] = [];
  let inHunk = false;
  for (const line of lines) {
    if (line.startsWith('@@')) {
      inHunk = true;
      out.push({ kind: 'hunk', text: line });
    } else if (!inHunk) {
      // The header (`--- a/…`, `+++ b/…`, anything before the first hunk).
      continue;
    } else if (line.startsWith('+')) {
      out.push({ kind: 'add', text: line.slice(1) });
    } else if (line.startsWith('-')) {
      out.push({ kind: 'del', text: line.slice(1) });
    } else if (line.startsWith('\\')) {
      out.push({ kind: 'note', text: line });
    } else {
      out.push({ kind: 'same', text: line.startsWith(' ') ? line.slice(1) : line });
    }
  }
  return out;
}

/**
 * The changed file a write tool call is about: `edit_document` writes the
 * session's document (a document session changes no other file); the file
 * tools name a path relative to the workspace, matched against the end of
 * the absolute paths the host lists.
 */
export function fileOfToolCall(tool: string, input: unknown, files: readonly ChangedFile[]): ChangedFile | null {
  if (!WRITE_TOOLS.includes(tool)) return null;
  if (tool === 'edit_document') return files.length === 1 ? files[0]! : null;
  const raw = input && typeof input === 'object' ? (input as Record<string, unknown>).path : undefined;
  if (typeof raw !== 'string' || raw === '') return null;
  const rel = raw.replace(/^(\.\/)+/, '');
  return files.find((f) => f.path === raw || f.path.endsWith(`/${rel}`)) ?? null;
}

/** The last segment of a path ("plan.md" of "/home/u/plan.md"). */
export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 && i < path.length - 1 ? path.slice(i + 1) : path;
}
