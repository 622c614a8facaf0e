// The three-way merge of a document: the last version the editor and the
// disk shared (base), the editor's unsaved text (mine) and the new text on
// disk (theirs), line by line (node-diff3). Where both sides changed the
// same lines differently, both are kept between conflict markers:
//
//   <<<<<<< mine
//   my lines
//   =======
//   their lines
//   >>>>>>> theirs

import { diff3Merge } from 'node-diff3';

export const MARK_MINE = '<<<<<<< mine';
export const MARK_SPLIT = '=======';
export const MARK_THEIRS = '>>>>>>> theirs';

export interface MergeResult {
  text: string;
  /** How many conflict blocks the text holds. */
  conflicts: number;
}

/** The lines of `text`, each with its line end (the last may have none),
 * so that joining them gives `text` back exactly. */
export function splitKeepingEnds(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** `lines` joined, ending with a line end (a marker must start a line). */
function block(lines: readonly string[]): string {
  const s = lines.join('');
  return s === '' || s.endsWith('\n') ? s : `${s}\n`;
}

function sharedHead(a: string[], o: string[], b: string[]): number {
  const n = Math.min(a.length, o.length, b.length);
  let i = 0;
  while (i < n && a[i] === o[i] && b[i] === o[i]) i++;
  return i;
}

function sharedTail(a: string[], o: string[], b: string[], head: number): number {
  const n = Math.min(a.length, o.length, b.length) - head;
  let i = 0;
  while (i < n && a[a.length - 1 - i] === o[o.length - 1 - i] && b[b.length - 1 - i] === o[o.length - 1 - i]) i++;
  return i;
}

/** Merges `mine` and `theirs`, both derived from `base`. */
export function mergeThreeWay(base: string, mine: string, theirs: string): MergeResult {
  if (mine === theirs || theirs === base) return { text: mine, conflicts: 0 };
  if (mine === base) return { text: theirs, conflicts: 0 };
  const a = splitKeepingEnds(mine);
  const o = splitKeepingEnds(base);
  const b = splitKeepingEnds(theirs);
  // What all three share at either end needs no diff (and keeps the
  // quadratic corners of the line matcher small).
  const head = sharedHead(a, o, b);
  const tail = sharedTail(a, o, b, head);
  const mid = (lines: string[]) => lines.slice(head, lines.length - tail);
  let text = a.slice(0, head).join('');
  let conflicts = 0;
  for (const region of diff3Merge(mid(a), mid(o), mid(b), { excludeFalseConflicts: true })) {
    if (region.ok) {
      text += region.ok.join('');
    } else if (region.conflict) {
      conflicts++;
      // A block after text that ends without a line end starts a line.
      if (text !== '' && !text.endsWith('\n')) text += '\n';
      text += `${MARK_MINE}\n${block(region.conflict.a)}${MARK_SPLIT}\n${block(region.conflict.b)}${MARK_THEIRS}\n`;
    }
  }
  text += a.slice(a.length - tail).join('');
  return { text, conflicts };
}
