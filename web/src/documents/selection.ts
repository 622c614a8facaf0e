// The editor's selection as the host will read it. The host quotes a
// turn's selection from the file on disk; while the editor has unsaved
// text, its offsets are mapped through the line diff from the editor's text
// to the disk's, so that the quote is the same passage (or, where that
// passage itself was edited, the disk's text in its place).

import type { TextSelection } from '../desktop/types';
import { textChanges } from './diff';

/** Where offset `pos` of the old text lands in the new one; inside a
 * replaced range it goes to the replacement's start (`side` -1) or end
 * (`side` 1). */
function mapOffset(pos: number, changes: ReturnType<typeof textChanges>, side: -1 | 1): number {
  let delta = 0;
  for (const c of changes) {
    if (c.to < pos || (c.to === pos && (c.from < pos || side === 1))) {
      delta += c.insert.length - (c.to - c.from);
    } else if (c.from < pos) {
      return c.from + delta + (side === 1 ? c.insert.length : 0);
    } else {
      break;
    }
  }
  return pos + delta;
}

/** `selection` of `text` as offsets into `onDisk`; `null` when it is
 * empty (nothing to quote). */
export function selectionOnDisk(selection: TextSelection, text: string, onDisk: string): TextSelection | null {
  const from = Math.min(selection.from, selection.to);
  const to = Math.max(selection.from, selection.to);
  if (from === to) return null;
  if (text === onDisk) return { from, to };
  const changes = textChanges(text, onDisk);
  const mapped = { from: mapOffset(from, changes, -1), to: mapOffset(to, changes, 1) };
  return mapped.from < mapped.to ? mapped : null;
}
