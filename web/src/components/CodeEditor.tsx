import { markdown } from '@codemirror/lang-markdown';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useLayoutEffect, useRef } from 'react';

interface Props {
  /** Replaces the editor's content whenever `revision` changes. */
  value: string;
  revision: string;
  onChange: (text: string) => void;
  onSave: () => void;
  readOnly?: boolean;
}

/** Plain CodeMirror 6 with markdown; Mod-s saves. */
export function CodeEditor({ value, revision, onChange, onSave, readOnly = false }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  // The latest props, for the editor's callbacks and for the next
  // revision's content.
  const latest = useRef({ value, onChange, onSave });
  useLayoutEffect(() => {
    latest.current = { value, onChange, onSave };
  });

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
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
  }, [revision, readOnly]);

  return <div className="code-editor" ref={host} />;
}
