import { useEffect, useRef, useState } from 'react';
import { ChangedSinceError, isHostError } from '../desktop/errors';
import type { Reverted } from '../desktop/types';
import { useDesktop } from '../desktop-context';
import { errorText } from '../hooks';

type Action = 'undo' | 'redo';
type Skipped = Reverted['skipped'];

/** Where undoing a turn stands. `revertId` is the undo's change set, which
 * a redo reverts. */
type UndoState =
  | { kind: 'idle'; redone?: Skipped }
  | { kind: 'working'; action: Action; revertId?: string }
  | { kind: 'changed'; action: Action; files: readonly string[]; revertId?: string }
  | { kind: 'undone'; revertId: string; skipped: Skipped }
  | { kind: 'pruned' }
  | { kind: 'failed'; action: Action; message: string; revertId?: string };

/**
 * "Undo this turn's changes": reverts every file the turn changed
 * (`POST …/turns/{turn_id}/revert`). Files changed since are listed and
 * overwritten only on "Undo anyway"; a pruned checkpoint is said so. Once
 * undone, "Redo" reverts the revert. Every path and reason is React text.
 */
export function UndoTurn({ sessionId, turnId }: { sessionId: string; turnId: string }) {
  const { api } = useDesktop();
  const [state, setState] = useState<UndoState>({ kind: 'idle' });
  const box = useRef<HTMLDivElement>(null);
  // The button the user pressed goes away with the state it belonged to:
  // the focus moves to the next state's first button instead of the page.
  const keepFocus = useRef(false);
  useEffect(() => {
    if (!keepFocus.current || state.kind === 'working') return;
    keepFocus.current = false;
    box.current?.querySelector<HTMLButtonElement>('button:not(:disabled)')?.focus();
  }, [state]);

  async function run(action: Action, force: boolean, revertId?: string) {
    keepFocus.current = box.current?.contains(document.activeElement) ?? false;
    setState({ kind: 'working', action, revertId });
    try {
      if (action === 'undo') {
        const r = await api.changes.revertTurn(sessionId, turnId, force);
        setState({ kind: 'undone', revertId: r.revert_id, skipped: r.skipped });
      } else {
        const r = await api.changes.revertChange(sessionId, revertId!, force);
        setState({ kind: 'idle', redone: r.skipped });
      }
    } catch (e) {
      if (e instanceof ChangedSinceError) setState({ kind: 'changed', action, files: e.files, revertId });
      else if (isHostError(e, 'checkpoint_pruned')) setState({ kind: 'pruned' });
      else setState({ kind: 'failed', action, message: errorText(e), revertId });
    }
  }

  const undoButton = (
    <button type="button" className="undo-turn" onClick={() => void run('undo', false)}>
      Undo this turn’s changes
    </button>
  );
  const redoButton = (revertId: string) => (
    <button type="button" className="redo-turn" onClick={() => void run('redo', false, revertId)}>
      Redo
    </button>
  );

  return (
    <div className="undo-turn-box" ref={box}>
      {state.kind === 'idle' && (
        <>
          {undoButton}
          {state.redone && (
            <div className="undo-status" role="status">
              Redone: the turn’s changes are back.
              <SkippedFiles skipped={state.redone} />
            </div>
          )}
        </>
      )}
      {state.kind === 'working' && (
        <>
          <button type="button" disabled>
            {state.action === 'undo' ? 'Undoing…' : 'Redoing…'}
          </button>
          <span className="sr-only" role="status">
            {state.action === 'undo' ? 'Undoing…' : 'Redoing…'}
          </span>
        </>
      )}
      {state.kind === 'changed' && (
        <div className="banner warn undo-conflict">
          <p role="alert">
            {state.action === 'undo'
              ? 'Not undone: these files changed since this turn, and undoing would overwrite those changes:'
              : 'Not redone: these files changed since the undo, and redoing would overwrite those changes:'}
          </p>
          <ul className="undo-files">
            {state.files.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
          <button
            type="button"
            className="undo-anyway"
            onClick={() => void run(state.action, true, state.revertId)}
          >
            {state.action === 'undo' ? 'Undo anyway' : 'Redo anyway'}
          </button>{' '}
          <button
            type="button"
            onClick={() =>
              setState(
                state.action === 'redo' && state.revertId
                  ? { kind: 'undone', revertId: state.revertId, skipped: [] }
                  : { kind: 'idle' },
              )
            }
          >
            Cancel
          </button>
        </div>
      )}
      {state.kind === 'undone' && (
        <>
          <div className="undo-status" role="status">
            <strong>Undone.</strong> The files are as they were before this turn.
            <SkippedFiles skipped={state.skipped} />
          </div>
          {redoButton(state.revertId)}
        </>
      )}
      {state.kind === 'pruned' && (
        <p className="undo-status" role="status">
          This turn’s checkpoint was pruned (the oldest are dropped when they outgrow their storage), so its
          changes can no longer be undone.
        </p>
      )}
      {state.kind === 'failed' && (
        <>
          <p className="error-line" role="alert">
            {state.action === 'undo' ? 'Could not undo' : 'Could not redo'}: {state.message}
          </p>
          {state.action === 'redo' && state.revertId ? redoButton(state.revertId) : undoButton}
        </>
      )}
    </div>
  );
}

function SkippedFiles({ skipped }: { skipped: Skipped }) {
  if (skipped.length === 0) return null;
  return (
    <div className="undo-skipped">
      Not restored:
      <ul className="undo-files">
        {skipped.map((s) => (
          <li key={s.path}>
            {s.path} ({s.reason})
          </li>
        ))}
      </ul>
    </div>
  );
}
