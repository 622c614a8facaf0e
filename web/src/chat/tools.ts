// What a tool call says, per tool, as plain data: the cards render it.
// Tool input and output are untrusted (the model chose the input, the
// output comes from files, commands and web pages): only ever text.

export type ToolSummary =
  | { kind: 'read'; tool: string; path: string; count?: string; truncated?: boolean }
  | { kind: 'write'; tool: string; path: string; edits: { old: string; new: string }[]; count?: string }
  | { kind: 'command'; tool: string; command: string; exitCode?: number | null; stdout?: string; stderr?: string; timedOut?: boolean; truncated?: boolean }
  | { kind: 'fetch'; tool: string; url: string; status?: number; contentType?: string; body?: string; truncated?: boolean }
  | { kind: 'other'; tool: string };

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  if (typeof v === 'string') {
    try {
      const parsed: unknown = JSON.parse(v);
      if (parsed && typeof parsed === 'object') return parsed as Obj;
    } catch {
      // not JSON: no fields
    }
    return {};
  }
  return v && typeof v === 'object' ? (v as Obj) : {};
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const arr = (v: unknown): unknown[] | undefined => (Array.isArray(v) ? v : undefined);

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The card's data for a tool call of `tool` with `input` and, once done, `output`. */
export function summarize(tool: string, input: unknown, output: unknown): ToolSummary {
  const i = obj(input);
  const o = output === undefined ? undefined : obj(output);
  switch (tool) {
    case 'read_file': {
      const lines = num(o?.total_lines);
      return { kind: 'read', tool, path: str(i.path) ?? '', count: lines === undefined ? undefined : plural(lines, 'line'), truncated: o?.truncated === true };
    }
    case 'read_document': {
      const content = str(o?.content);
      const lines = num(o?.total_lines) ?? (content === undefined ? undefined : content.split('\n').length);
      return { kind: 'read', tool, path: str(i.path) ?? 'this document', count: lines === undefined ? undefined : plural(lines, 'line'), truncated: o?.truncated === true };
    }
    case 'list_files': {
      const entries = arr(o?.entries);
      return { kind: 'read', tool, path: str(i.path) || '.', count: entries ? plural(entries.length, 'entry', 'entries') : undefined, truncated: o?.truncated === true };
    }
    case 'grep_files': {
      const matches = arr(o?.matches);
      const where = str(i.path) || '.';
      const glob = str(i.glob);
      return {
        kind: 'read',
        tool,
        path: `${str(i.pattern) ?? ''} in ${where}${glob ? ` (${glob})` : ''}`,
        count: matches ? plural(matches.length, 'match', 'matches') : undefined,
        truncated: o?.truncated === true,
      };
    }
    case 'write_file': {
      const content = str(i.content) ?? '';
      return { kind: 'write', tool, path: str(i.path) ?? '', edits: [{ old: '', new: content }], count: plural(content.split('\n').length, 'line') };
    }
    case 'edit_file': {
      const n = num(o?.replacements);
      return {
        kind: 'write',
        tool,
        path: str(i.path) ?? '',
        edits: [{ old: str(i.old_string) ?? '', new: str(i.new_string) ?? '' }],
        count: n === undefined ? (i.replace_all === true ? 'every occurrence' : undefined) : plural(n, 'replacement'),
      };
    }
    case 'edit_document': {
      const edits = arr(i.edits)?.map((e) => ({ old: str(obj(e).old) ?? '', new: str(obj(e).new) ?? '' }));
      const content = str(i.content);
      return {
        kind: 'write',
        tool,
        path: str(i.path) ?? 'this document',
        edits: edits ?? (content === undefined ? [] : [{ old: '', new: content }]),
        count: edits ? plural(edits.length, 'edit') : content !== undefined ? 'whole text' : undefined,
      };
    }
    case 'run_command':
      return {
        kind: 'command',
        tool,
        command: str(i.command) ?? '',
        exitCode: o ? (o.exit_code === null ? null : num(o.exit_code)) : undefined,
        stdout: str(o?.stdout),
        stderr: str(o?.stderr),
        timedOut: o?.timed_out === true,
        truncated: o?.truncated === true,
      };
    case 'web_fetch':
      return { kind: 'fetch', tool, url: str(i.url) ?? '', status: num(o?.status), contentType: str(o?.content_type), body: str(o?.body), truncated: o?.truncated === true };
    default:
      return { kind: 'other', tool };
  }
}

/** One line of a small diff of an edit's old and new text. */
export interface EditLine {
  kind: 'add' | 'del';
  text: string;
}

/** Lines at most per edit diff; the rest is counted. */
export const EDIT_DIFF_LINES = 200;

/** old → new as removed then added lines (an edit is an exact-match
 * replacement: its whole old text goes, its new text comes). Common
 * leading and trailing lines are left out. */
export function editLines(edit: { old: string; new: string }): { lines: EditLine[]; more: number } {
  const a = edit.old === '' ? [] : edit.old.split('\n');
  const b = edit.new === '' ? [] : edit.new.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const all: EditLine[] = [
    ...a.slice(start, endA).map((text) => ({ kind: 'del' as const, text })),
    ...b.slice(start, endB).map((text) => ({ kind: 'add' as const, text })),
  ];
  return { lines: all.slice(0, EDIT_DIFF_LINES), more: Math.max(0, all.length - EDIT_DIFF_LINES) };
}

/** Characters of tool output shown before "Show all". */
export const OUTPUT_LIMIT = 20_000;

const NOT_SIMPLE = /[|&;<>()$`\\\n]/;

/** The `run_command` rule "Always allow" adds: the program and any
 * arguments (`git *`), or null when the line is not one simple command
 * (the host never allows those by a rule). */
export function commandPattern(command: string): string | null {
  const line = command.trim();
  if (!line || NOT_SIMPLE.test(line) || /["']/.test(line)) return null;
  const words = line.split(/\s+/).filter((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
  const program = words[0];
  if (!program || program.includes('*') || program.includes('/')) return null;
  return `${program} *`;
}
