import { markdown } from '@codemirror/lang-markdown';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useLayoutEffect, useRef } from 'react';
import { fromDisk, replaceInPlace } from '../documents/apply';

interface Props {
  /** Replaces the editor's content whenever `revision` changes. */
  value: string;
  revision: string;
  /** Text to take in place whenever `seq` changes (a change on disk, a
   * choice about one): cursor, selection and scroll are mapped through the
   * change, and `onChange` is not called for it. */
  push?: { text: string; seq: number } | null;
  /** Called with the text after each change the user makes. */
  onChange: (text: string) => void;
  onSave: () => void;
  /** Told the main selection (UTF-16 offsets, `from` ≤ `to`) when the
   * editor starts and whenever the selection or the text changes. */
  onSelection?: (selection: { from: number; to: number }) => void;
  readOnly?: boolean;
  /** The text area's accessible name. */
  label?: string;
}

/** Plain CodeMirror 6 with markdown; Mod-s saves. */
export function CodeEditor({ value, revision, push = null, onChange, onSave, onSelection, readOnly = false, label = 'Document text' }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  // The latest props, for the editor's callbacks and for the next
  // revision's content.
  const latest = useRef({ value, push, onChange, onSave, onSelection });
  useLayoutEffect(() => {
    latest.current = { value, push, onChange, onSave, onSelection };
  });
  function tellSelection(state: EditorState) {
    const { from, to } = state.selection.main;
    latest.current.onSelection?.({ from, to });
  }
  // The push the editor's text already holds.
  const applied = useRef<number | null>(null);

  // Recreated per revision: a reload or a new document starts clean, with
  // the value of that revision (later values come from the editor itself).
  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: latest.current.value,
        extensions: [
          keymap.of([{ key: 'Mod-s', preventDefault: true, run: () => (latest.current.onSave(), true) }]),
          basicSetup,
          markdown(),
          EditorView.lineWrapping,
          EditorState.readOnly.of(readOnly),
          EditorView.contentAttributes.of({ 'aria-label': label }),
          EditorView.updateListener.of((u) => {
            if (u.transactions.some((t) => t.docChanged && !t.annotation(fromDisk))) {
              latest.current.onChange(u.state.doc.toString());
            }
            if (u.selectionSet || u.docChanged) tellSelection(u.state);
          }),
        ],
      }),
    });
    view.current = v;
    tellSelection(v.state);
    // `value` is the text as of now, pushes included.
    applied.current = latest.current.push?.seq ?? null;
    return () => {
      v.destroy();
      view.current = null;
    };
  }, [revision, readOnly, label]);

  useEffect(() => {
    const v = view.current;
    if (!v || !push || push.seq === applied.current) return;
    applied.current = push.seq;
    const spec = replaceInPlace(v.state, push.text);
    if (spec) v.dispatch(spec);
  }, [push]);

  return <div className="code-editor" ref={host} />;
}
