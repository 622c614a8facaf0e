import { useCallback, useEffect, useState } from 'react';
import { isHostError } from '../desktop/errors';
import { CLOSE_REQUESTED_EVENT, type DocumentContent } from '../desktop/types';
import { useDesktop } from '../desktop-context';
import { errorText } from '../hooks';

// CodeMirror is the largest dependency: load it only when a document opens.
// Not React.lazy: a Suspense boundary holds back revealing resolved content
// for up to 300 ms (React's fallback throttle), which was a third of the
// time to show a document at launch.
type EditorComponent = typeof import('../components/CodeEditor').CodeEditor;
let loadedEditor: EditorComponent | null = null;
let loadingEditor: Promise<EditorComponent> | null = null;

function loadEditor(): Promise<EditorComponent> {
  loadingEditor ??= import('../components/CodeEditor').then((m) => (loadedEditor = m.CodeEditor));
  return loadingEditor;
}

/** Starts fetching the editor now: a document window knows it needs it,
 * and loading it alongside the document (not after) saves a round trip. */
export function preloadEditor(): void {
  void loadEditor().catch(() => {});
}

/** The editor component once its code is loaded (at once if it already is). */
function useEditor(): { Editor: EditorComponent | null; failed: boolean } {
  const [Editor, setEditor] = useState<EditorComponent | null>(() => loadedEditor);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (Editor) return;
    let live = true;
    loadEditor().then(
      (e) => live && setEditor(() => e),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [Editor]);
  return { Editor, failed };
}

type Status = 'loading' | 'clean' | 'dirty' | 'saving' | 'conflict' | 'error';

/** Edits one document; saves with the mtime it read and shows a 409 conflict
 * instead of overwriting someone else's change. */
export function DocumentEditor({ docId }: { docId: string }) {
  const { api, shell } = useDesktop();
  const [doc, setDoc] = useState<DocumentContent | null>(null);
  const [draft, setDraft] = useState('');
  const [status, setStatus] = useState<Status>('loading');
  const [message, setMessage] = useState('');
  const [loads, setLoads] = useState(0);
  // The shell asked to close this window while it has unsaved changes.
  const [closeAsked, setCloseAsked] = useState(false);
  const { Editor, failed: editorFailed } = useEditor();

  /** Reads the document from disk (the state says `loading` meanwhile);
   * `live()` says whether the answer still counts. */
  const read = useCallback(
    (live: () => boolean = () => true) =>
      api.documents.read(docId).then(
        (d) => {
          if (!live()) return;
          setDoc(d);
          setDraft(d.content);
          setStatus('clean');
          setMessage('');
          setLoads((n) => n + 1);
        },
        (e: unknown) => {
          if (!live()) return;
          setStatus('error');
          setMessage(errorText(e));
        },
      ),
    [api, docId],
  );

  // The first read (the state starts as `loading`).
  useEffect(() => {
    let live = true;
    void read(() => live);
    return () => {
      live = false;
    };
  }, [read]);

  /** Reads the document again, dropping the edits. */
  const reload = useCallback(() => {
    setStatus('loading');
    void read();
  }, [read]);

  /** Saves the draft; resolves to whether it was written. */
  const save = useCallback(
    async (expectedMtime?: string): Promise<boolean> => {
      if (!doc) return false;
      setStatus('saving');
      try {
        const { mtime } = await api.documents.write(docId, draft, expectedMtime ?? doc.mtime);
        setDoc({ ...doc, content: draft, mtime });
        setStatus('clean');
        setMessage('');
        return true;
      } catch (e) {
        if (isHostError(e, 'conflict')) {
          setStatus('conflict');
          setMessage(e.message);
        } else {
          setStatus('dirty');
          setMessage(errorText(e));
        }
        return false;
      }
    },
    [api, doc, docId, draft],
  );

  /** Keeps my text: writes it over the version now on disk. */
  const overwrite = useCallback(async () => {
    try {
      const current = await api.documents.read(docId);
      await save(current.mtime);
    } catch (e) {
      setMessage(errorText(e));
    }
  }, [api, docId, save]);

  // Unsaved changes are the shell's business too: closing the window asks.
  const unsaved = status === 'dirty' || status === 'conflict' || status === 'saving';
  useEffect(() => {
    void shell?.setDirty(unsaved).catch(() => {});
  }, [shell, unsaved]);
  useEffect(() => () => void shell?.setDirty(false).catch(() => {}), [shell]);
  useEffect(() => {
    const asked = () => setCloseAsked(true);
    window.addEventListener(CLOSE_REQUESTED_EVENT, asked);
    return () => window.removeEventListener(CLOSE_REQUESTED_EVENT, asked);
  }, []);

  const closeWindow = useCallback(async () => {
    setCloseAsked(false);
    await shell?.close();
  }, [shell]);

  if (status === 'error' && !doc) return <div className="error-line">Cannot open the document: {message}</div>;
  if (!doc) return <div className="muted">Loading…</div>;

  return (
    <section className="editor">
      <header className="editor-bar">
        <span className="path" title={doc.path}>
          {doc.path}
        </span>
        <span className={`status status-${status}`}>{status === 'clean' ? 'saved' : status}</span>
        <button type="button" onClick={() => void save()} disabled={status === 'saving' || status === 'conflict'}>
          Save
        </button>
      </header>
      {status === 'conflict' && (
        <div className="banner warn" role="alert">
          The file changed on disk since you opened it; nothing was saved. {message}{' '}
          <button type="button" onClick={reload}>
            Reload from disk (discard my edits)
          </button>{' '}
          <button type="button" onClick={() => void overwrite()}>
            Keep my version (overwrite)
          </button>
        </div>
      )}
      {closeAsked && (
        <div className="banner warn close-dialog" role="alertdialog" aria-label="Unsaved changes">
          {doc.path} has unsaved changes. Save them before closing?{' '}
          <button
            type="button"
            className="close-save"
            onClick={() =>
              void save().then((saved) => {
                if (saved) return closeWindow();
                setCloseAsked(false);
                return shell?.setDirty(true).catch(() => {});
              })
            }
          >
            Save and close
          </button>{' '}
          <button type="button" className="close-discard" onClick={() => void closeWindow()}>
            Close without saving
          </button>{' '}
          <button
            type="button"
            className="close-cancel"
            onClick={() => {
              setCloseAsked(false);
              // Tells the shell the changes stay (this also cancels a quit).
              void shell?.setDirty(true).catch(() => {});
            }}
          >
            Cancel
          </button>
        </div>
      )}
      {status !== 'conflict' && message && <div className="error-line">{message}</div>}
      {Editor ? (
        <Editor
          value={doc.content}
          revision={`${docId}:${loads}`}
          onChange={(t) => {
            setDraft(t);
            setStatus((s) => (s === 'conflict' ? s : 'dirty'));
          }}
          onSave={() => void save()}
        />
      ) : (
        <div className="muted">{editorFailed ? 'The editor could not be loaded; reload the window.' : 'Loading editor…'}</div>
      )}
    </section>
  );
}
