// Line diffs of document text, as data (no HTML anywhere): the minimal
// changes that turn the editor's text into the text on disk, and the rows
// of the "mine against theirs" view.

import { diffLines, type Change } from 'diff';

/** One replacement, in the coordinates of the old text (UTF-16 offsets, as
 * CodeMirror counts). A list of them is ordered and never overlaps. */
export interface TextChange {
  from: number;
  to: number;
  insert: string;
}

/** Past this a line diff gives up, and one replacement of the differing
 * middle stands for the whole change (still correct, only coarser). */
const DIFF_TIMEOUT_MS = 250;

function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

function commonSuffix(a: string, b: string, max: number): number {
  let i = 0;
  while (i < max && a.charCodeAt(a.length - 1 - i) === b.charCodeAt(b.length - 1 - i)) i++;
  return i;
}

function startsLine(s: string, i: number): boolean {
  return i === 0 || s.charCodeAt(i - 1) === 10;
}

/** The text both share at each end, cut back to whole lines, and the
 * differing middles. */
function trimToLines(a: string, b: string) {
  let head = commonPrefix(a, b);
  // Back to the start of the line the first difference is on.
  head = head === 0 ? 0 : a.lastIndexOf('\n', head - 1) + 1;
  let tail = commonSuffix(a, b, Math.min(a.length, b.length) - head);
  // The shared end, too, starts a line on both sides.
  while (tail > 0 && !(startsLine(a, a.length - tail) && startsLine(b, b.length - tail))) tail--;
  return { head, tail, a: a.slice(head, a.length - tail), b: b.slice(head, b.length - tail) };
}

/** Shrinks a replacement to the characters that differ. */
function tighten(from: number, removed: string, inserted: string): TextChange {
  const head = commonPrefix(removed, inserted);
  const tail = commonSuffix(removed, inserted, Math.min(removed.length, inserted.length) - head);
  return {
    from: from + head,
    to: from + removed.length - tail,
    insert: inserted.slice(head, inserted.length - tail),
  };
}

/** The line diff of `a` and `b`, or `undefined` when it took too long. */
function lineChanges(a: string, b: string): Change[] | undefined {
  return diffLines(a, b, { timeout: DIFF_TIMEOUT_MS });
}

/**
 * The minimal changes that turn `old` into `next`: lines that stayed are
 * untouched, and each changed block is narrowed to the characters that
 * differ, so that a cursor or selection mapped through them stays on the
 * same text.
 */
export function textChanges(old: string, next: string): TextChange[] {
  if (old === next) return [];
  const t = trimToLines(old, next);
  const parts = lineChanges(t.a, t.b);
  if (!parts) return [tighten(t.head, t.a, t.b)];
  const out: TextChange[] = [];
  let pos = t.head;
  let removed = '';
  let inserted = '';
  const flush = () => {
    if (removed || inserted) {
      const c = tighten(pos, removed, inserted);
      if (c.from !== c.to || c.insert) out.push(c);
    }
    pos += removed.length;
    removed = inserted = '';
  };
  for (const part of parts) {
    if (part.added) inserted += part.value;
    else if (part.removed) removed += part.value;
    else {
      flush();
      pos += part.value.length;
    }
  }
  flush();
  return out;
}

/** Applies `changes` (from `textChanges(old, …)`) to `old`. */
export function applyChanges(old: string, changes: readonly TextChange[]): string {
  let out = '';
  let pos = 0;
  for (const c of changes) {
    out += old.slice(pos, c.from) + c.insert;
    pos = c.to;
  }
  return out + old.slice(pos);
}

/** One row of the diff view: a line only in mine, only in theirs, in both,
 * or a run of unchanged lines left out. */
export type DiffRow =
  | { kind: 'same' | 'mine' | 'theirs'; text: string }
  | { kind: 'skip'; count: number };

export interface DiffView {
  rows: DiffRow[];
  /** Lines only in mine / only in theirs. */
  mine: number;
  theirs: number;
}

function splitLines(value: string): string[] {
  const lines = value.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * The rows that show `mine` against `theirs`, line by line, with `context`
 * unchanged lines around each change (the rest counted in `skip` rows).
 */
export function diffView(mine: string, theirs: string, context = 3): DiffView {
  const t = trimToLines(mine, theirs);
  const parts: { kind: 'same' | 'mine' | 'theirs'; value: string }[] = [];
  if (t.head) parts.push({ kind: 'same', value: mine.slice(0, t.head) });
  const middle = lineChanges(t.a, t.b);
  if (middle) {
    for (const p of middle) parts.push({ kind: p.added ? 'theirs' : p.removed ? 'mine' : 'same', value: p.value });
  } else {
    parts.push({ kind: 'mine', value: t.a }, { kind: 'theirs', value: t.b });
  }
  if (t.tail) parts.push({ kind: 'same', value: mine.slice(mine.length - t.tail) });

  const view: DiffView = { rows: [], mine: 0, theirs: 0 };
  parts.forEach((part, i) => {
    const lines = splitLines(part.value);
    if (part.kind !== 'same') {
      view[part.kind] += lines.length;
      for (const text of lines) view.rows.push({ kind: part.kind, text });
      return;
    }
    // Unchanged: keep `context` lines next to a change, count the rest.
    const before = i > 0 ? context : 0; // lines after the previous change
    const after = i < parts.length - 1 ? context : 0; // lines before the next one
    if (lines.length <= before + after + 1) {
      for (const text of lines) view.rows.push({ kind: 'same', text });
      return;
    }
    for (const text of lines.slice(0, before)) view.rows.push({ kind: 'same', text });
    view.rows.push({ kind: 'skip', count: lines.length - before - after });
    for (const text of lines.slice(lines.length - after)) view.rows.push({ kind: 'same', text });
  });
  return view;
}
