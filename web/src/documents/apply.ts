// Putting new text from disk into an open CodeMirror editor in place: one
// transaction of the minimal changes, so that the cursor, the selection and
// the scroll position are mapped through the change instead of reset.

import { Annotation, type EditorState, type TransactionSpec } from '@codemirror/state';
import { textChanges } from './diff';

/** Marks a transaction that brought text from disk, not the user's typing:
 * it does not make the document dirty. */
export const fromDisk = Annotation.define<boolean>();

/** The transaction that turns the editor's text into `text` (line ends as
 * the editor keeps them), or `null` when they are the same already. */
export function replaceInPlace(state: EditorState, text: string): TransactionSpec | null {
  const next = text.replace(/\r\n?/g, '\n');
  const changes = textChanges(state.doc.toString(), next);
  if (changes.length === 0) return null;
  return { changes, annotations: fromDisk.of(true) };
}
