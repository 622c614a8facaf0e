// What a document window knows about its document, and how each thing that
// happens changes it: a pure reducer, so that every path (a change on disk
// while clean or dirty, each of the three choices, removal, rename, Save)
// is tested without a browser.

import type { DocumentChangeSource } from '../desktop/events';
import { mergeThreeWay } from './merge';

/** A version of the document on disk: its text and version token. */
export interface DiskVersion {
  content: string;
  mtime: string;
}

/** A change on disk met while the editor had unsaved text: waits for the
 * user's choice. `source` is `null` when unknown (found after a resync). */
export interface Incoming extends DiskVersion {
  source: DocumentChangeSource | null;
}

/** The file is no longer at the document's path. */
export type Gone = { kind: 'removed' } | { kind: 'moved'; path: string };

export type Choice = 'theirs' | 'mine' | 'merge';

export interface DocModel {
  path: string;
  /** The last version the editor and the disk shared: the merge base, and
   * the version a Save expects to replace. */
  base: DiskVersion;
  /** The editor's text. */
  draft: string;
  incoming: Incoming | null;
  gone: Gone | null;
  /** Text to put into the open editor in place (cursor and selection
   * mapped through the change); `seq` tells one push from the next. */
  push: { text: string; seq: number } | null;
  /** Counts full loads: each one starts the editor afresh. */
  loads: number;
  /** Conflict blocks the last merge left in the text. */
  conflicts: number;
}

export type DocAction =
  /** The first read, or an explicit reload: the editor starts afresh. */
  | { type: 'loaded'; path: string; version: DiskVersion }
  /** The user changed the text. */
  | { type: 'edited'; text: string }
  /** A Save wrote `content`, which is now version `mtime`. */
  | { type: 'saved'; content: string; mtime: string }
  /** A read after the host said the file changed (or after a resync). */
  | { type: 'disk'; version: DiskVersion; source: DocumentChangeSource | null }
  | { type: 'choose'; choice: Choice }
  | { type: 'removed' }
  | { type: 'moved'; path: string };

/** Whether the text differs from what is on disk (or nothing is on disk). */
export function isDirty(m: DocModel): boolean {
  return m.draft !== m.base.content || m.gone !== null;
}

/** The outcome of a choice about an incoming change: the new shared
 * version, the editor's text, and the conflicts a merge marked. In every
 * case the next Save expects their version, so it overwrites knowingly. */
export function resolveIncoming(
  choice: Choice,
  base: DiskVersion,
  draft: string,
  theirs: DiskVersion,
): { base: DiskVersion; draft: string; conflicts: number } {
  const shared = { content: theirs.content, mtime: theirs.mtime };
  switch (choice) {
    case 'theirs':
      return { base: shared, draft: theirs.content, conflicts: 0 };
    case 'mine':
      return { base: shared, draft, conflicts: 0 };
    case 'merge': {
      const merged = mergeThreeWay(base.content, draft, theirs.content);
      return { base: shared, draft: merged.text, conflicts: merged.conflicts };
    }
  }
}

function pushed(m: DocModel, text: string): DocModel['push'] {
  return { text, seq: (m.push?.seq ?? 0) + 1 };
}

/** How a model changes; `null` until the first load. */
export function reduceDoc(m: DocModel | null, action: DocAction): DocModel | null {
  if (action.type === 'loaded') {
    return {
      path: action.path,
      base: action.version,
      draft: action.version.content,
      incoming: null,
      gone: null,
      push: m?.push ?? null,
      loads: (m?.loads ?? 0) + 1,
      conflicts: 0,
    };
  }
  if (!m) return m;
  switch (action.type) {
    case 'edited':
      return action.text === m.draft ? m : { ...m, draft: action.text };
    case 'saved':
      return {
        ...m,
        base: { content: action.content, mtime: action.mtime },
        incoming: null,
        gone: null,
        conflicts: 0,
      };
    case 'disk': {
      const theirs = action.version;
      // Readable again: whatever was gone is back at the path.
      const next = m.gone ? { ...m, gone: null } : m;
      if (theirs.mtime === m.base.mtime) return next.incoming ? { ...next, incoming: null } : next;
      if (m.draft === m.base.content) {
        // Clean: take the new text in place.
        return { ...next, base: theirs, draft: theirs.content, incoming: null, push: pushed(m, theirs.content) };
      }
      // Dirty, but nothing to choose: the disk has my text, or only the
      // version moved on under the same text.
      if (theirs.content === m.draft) return { ...next, base: theirs, incoming: null };
      if (theirs.content === m.base.content) return { ...next, base: theirs, incoming: null };
      return { ...next, incoming: { ...theirs, source: action.source } };
    }
    case 'choose': {
      if (!m.incoming) return m;
      const r = resolveIncoming(action.choice, m.base, m.draft, m.incoming);
      return {
        ...m,
        ...r,
        incoming: null,
        push: r.draft === m.draft ? m.push : pushed(m, r.draft),
      };
    }
    case 'removed':
      return { ...m, gone: { kind: 'removed' }, incoming: null };
    case 'moved':
      return { ...m, gone: { kind: 'moved', path: action.path }, incoming: null };
  }
}
