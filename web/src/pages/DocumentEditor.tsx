import { useCallback, useEffect, useImperativeHandle, useReducer, useRef, useState, type Ref } from 'react';
import { DiskChangeBanner } from '../components/DiskChangeBanner';
import { DiskGoneBanner } from '../components/DiskGoneBanner';
import { isHostError } from '../desktop/errors';
import { isDocumentEvent, type DocumentChangeSource, type HostEvent } from '../desktop/events';
import { CLOSE_REQUESTED_EVENT, type DocumentContent, type TextSelection } from '../desktop/types';
import { useDesktop, useHostEvents } from '../desktop-context';
import { isDirty, reduceDoc, type Choice } from '../documents/model';
import { MARK_MINE, MARK_SPLIT, MARK_THEIRS } from '../documents/merge';
import { selectionOnDisk } from '../documents/selection';
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

/** What the editor is doing besides holding text. */
type Phase = 'loading' | 'ready' | 'saving' | 'conflict' | 'error';

/** A change on disk that arrived while it could not be looked at yet (the
 * first read or a Save in flight); `version` is `null` after a resync. */
interface Deferred {
  version: string | null;
  source: DocumentChangeSource | null;
}

const version = (d: DocumentContent) => ({ content: d.content, mtime: d.mtime });

/** What a document window's chat asks of its editor. */
export interface DocumentEditorHandle {
  /** The selection as offsets into the file on disk (the host quotes it
   * from there; unsaved edits are mapped through), `null` when empty. */
  selectionOnDisk(): TextSelection | null;
}

/** Edits one document; saves with the version it read and shows a 409
 * conflict instead of overwriting someone else's change. Follows the file
 * on disk through `GET /events`: a clean editor takes a change in place, a
 * dirty one is offered the change (see ../documents/model.ts). */
export function DocumentEditor({
  docId,
  onOpenPath,
  ref,
}: {
  docId: string;
  onOpenPath?: (path: string) => void;
  ref?: Ref<DocumentEditorHandle>;
}) {
  const { api, shell } = useDesktop();
  const [model, dispatch] = useReducer(reduceDoc, null);
  const [phase, setPhase] = useState<Phase>('loading');
  const [message, setMessage] = useState('');
  // The shell asked to close this window while it has unsaved changes.
  const [closeAsked, setCloseAsked] = useState(false);
  const { Editor, failed: editorFailed } = useEditor();
  // Reads of changes on disk: only the latest counts, and a Save makes
  // those before it stale.
  const reads = useRef(0);
  const saving = useRef(false);
  const deferred = useRef<Deferred | null>(null);
  // The editor's selection, in the editor's text.
  const selection = useRef<TextSelection | null>(null);

  useImperativeHandle(
    ref,
    () => ({
      selectionOnDisk() {
        const s = selection.current;
        if (!model || !s) return null;
        // A change on disk waiting for the user's choice is what the host
        // reads now.
        return selectionOnDisk(s, model.draft, model.incoming?.content ?? model.base.content);
      },
    }),
    [model],
  );

  /** Reads the document from disk and starts the editor afresh with it;
   * `live()` says whether the answer still counts. */
  const load = useCallback(
    (live: () => boolean = () => true) =>
      api.documents.read(docId).then(
        (d) => {
          if (!live()) return;
          dispatch({ type: 'loaded', path: d.path, version: version(d) });
          setPhase('ready');
          setMessage('');
        },
        (e: unknown) => {
          if (!live()) return;
          setPhase('error');
          setMessage(errorText(e));
        },
      ),
    [api, docId],
  );

  /** Reads the file after the host said it changed, and lets the model
   * decide: take it in place, offer it, or nothing. */
  const check = useCallback(
    (source: DocumentChangeSource | null) => {
      const n = ++reads.current;
      api.documents.read(docId).then(
        (d) => {
          if (n === reads.current) dispatch({ type: 'disk', version: version(d), source });
        },
        (e: unknown) => {
          if (n !== reads.current) return;
          if (isHostError(e, 'not_found')) dispatch({ type: 'removed' });
          else setMessage(`Could not read the change on disk: ${errorText(e)}`);
        },
      );
    },
    [api, docId],
  );

  /** Looks at a change that had to wait, unless it was `mtime` itself. */
  const settle = useCallback(
    (mtime: string | null) => {
      const d = deferred.current;
      deferred.current = null;
      if (d && (d.version === null || d.version !== mtime)) check(d.source);
    },
    [check],
  );

  // The first read (the phase starts as `loading`).
  useEffect(() => {
    let live = true;
    void load(() => live).then(() => live && settle(null));
    return () => {
      live = false;
    };
  }, [load, settle]);

  useHostEvents(
    (e) => e.type === 'resync' || isDocumentEvent(e, docId),
    (e: HostEvent) => {
      switch (e.type) {
        case 'document.changed':
        case 'resync': {
          const change: Deferred =
            e.type === 'resync' ? { version: null, source: null } : { version: e.version, source: e.source };
          if (!model || saving.current) {
            // Looked at once the read or the Save is done.
            deferred.current = deferred.current && change.version !== null ? { ...change, version: null } : change;
            return;
          }
          // Our own Save comes back as the version we already hold.
          if (change.version !== model.base.mtime) check(change.source);
          return;
        }
        case 'document.removed':
          reads.current++;
          dispatch({ type: 'removed' });
          return;
        case 'document.moved':
          dispatch({ type: 'moved', path: e.path });
          return;
      }
    },
  );

  /** Save As (the native dialog; only in the desktop shell): writes the
   * text to a new file and opens it in its own window. This window keeps
   * its text and state. */
  const saveAs = useCallback(async () => {
    if (!model || !shell) return;
    const name = model.path.split('/').pop() || 'untitled.md';
    try {
      const path = await shell.saveDialog(name);
      if (path === null) return;
      await api.documents.create(path, model.draft);
      await shell.open(path);
      setMessage('');
    } catch (e) {
      setMessage(`Could not save as a new file: ${errorText(e)}`);
    }
  }, [api, model, shell]);

  /** Reads the document again, dropping the edits. */
  const reload = useCallback(() => {
    setPhase('loading');
    void load();
  }, [load]);

  /** Saves the text; resolves to whether it was written. After a removal or
   * a rename the file is written again at the document's path. */
  const save = useCallback(
    async (expectedMtime?: string): Promise<boolean> => {
      if (!model) return false;
      const content = model.draft;
      saving.current = true;
      reads.current++;
      setPhase('saving');
      let mtime: string | null = null;
      try {
        ({ mtime } = model.gone
          ? await api.documents.recreate(docId, content)
          : await api.documents.write(docId, content, expectedMtime ?? model.base.mtime));
        dispatch({ type: 'saved', content, mtime });
        setPhase('ready');
        setMessage('');
        return true;
      } catch (e) {
        if (isHostError(e, 'conflict')) {
          setPhase('conflict');
          setMessage(e.message);
          // Show what changed, and the choices, at once.
          deferred.current ??= { version: null, source: null };
        } else {
          setPhase('ready');
          setMessage(model.gone ? `Could not write the file again: ${errorText(e)}` : errorText(e));
        }
        return false;
      } finally {
        saving.current = false;
        settle(mtime);
      }
    },
    [api, model, docId, settle],
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

  const choose = useCallback((choice: Choice) => {
    dispatch({ type: 'choose', choice });
    // A refused Save is answered by the choice too.
    setPhase((p) => (p === 'conflict' ? 'ready' : p));
    setMessage('');
  }, []);

  // Unsaved changes are the shell's business too: closing the window asks.
  const unsaved = (model !== null && isDirty(model)) || phase === 'conflict' || phase === 'saving';
  useEffect(() => {
    void shell?.setDirty(unsaved).catch(() => {});
  }, [shell, unsaved]);
  useEffect(() => () => void shell?.setDirty(false).catch(() => {}), [shell]);
  // The page's title as the shell titles the window: the file, and a dot
  // while it has unsaved changes.
  const fileName = model?.path.split('/').pop() ?? null;
  useEffect(() => {
    if (fileName === null) return;
    const before = document.title;
    document.title = `${unsaved ? '• ' : ''}${fileName} — Agent`;
    return () => {
      document.title = before;
    };
  }, [fileName, unsaved]);
  useEffect(() => {
    const asked = () => setCloseAsked(true);
    window.addEventListener(CLOSE_REQUESTED_EVENT, asked);
    return () => window.removeEventListener(CLOSE_REQUESTED_EVENT, asked);
  }, []);

  const closeWindow = useCallback(async () => {
    setCloseAsked(false);
    await shell?.close();
  }, [shell]);

  if (phase === 'error' && !model) return <div className="error-line">Cannot open the document: {message}</div>;
  if (!model) return <div className="muted">Loading…</div>;

  const status =
    phase === 'saving' || phase === 'conflict' ? phase : phase === 'loading' ? 'loading' : unsaved ? 'dirty' : 'clean';

  return (
    <section className="editor">
      <header className="editor-bar">
        <span className="path" title={model.path}>
          {model.path}
        </span>
        <span className={`status status-${status}`}>{status === 'clean' ? 'saved' : status}</span>
        <button type="button" onClick={() => void save()} disabled={phase === 'saving' || phase === 'conflict'}>
          Save
        </button>
      </header>
      {model.incoming && (
        <DiskChangeBanner
          source={model.incoming.source}
          mine={model.draft}
          theirs={model.incoming.content}
          onChoose={choose}
        />
      )}
      {model.gone && (
        <DiskGoneBanner
          gone={model.gone}
          path={model.path}
          saving={phase === 'saving'}
          onSave={() => void save()}
          onSaveAs={shell ? () => void saveAs() : undefined}
          onOpen={onOpenPath}
        />
      )}
      {model.conflicts > 0 && (
        <div className="banner warn merge-conflicts" role="status">
          Merged. {model.conflicts === 1 ? 'One place' : `${model.conflicts} places`} changed on both sides{' '}
          {model.conflicts === 1 ? 'is' : 'are'} marked with <code>{MARK_MINE}</code>, <code>{MARK_SPLIT}</code> and{' '}
          <code>{MARK_THEIRS}</code> lines: edit them, then Save.
        </div>
      )}
      {phase === 'conflict' && !model.incoming && !model.gone && (
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
          {model.path} has unsaved changes. Save them before closing?{' '}
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
      {phase !== 'conflict' && message && <div className="error-line">{message}</div>}
      {Editor ? (
        <Editor
          value={model.draft}
          revision={`${docId}:${model.loads}`}
          push={model.push}
          onChange={(text) => dispatch({ type: 'edited', text })}
          onSave={() => void save()}
          onSelection={(s) => {
            selection.current = s;
          }}
        />
      ) : (
        <div className="muted">{editorFailed ? 'The editor could not be loaded; reload the window.' : 'Loading editor…'}</div>
      )}
    </section>
  );
}
