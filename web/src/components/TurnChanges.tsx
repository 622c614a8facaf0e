import { useImperativeHandle, useRef, useState, type Ref } from 'react';
import { flushSync } from 'react-dom';
import { baseName, filesChangedText, totals } from '../changes/changes';
import { useTurnChanges } from '../changes/hooks';
import { isHostError } from '../desktop/errors';
import type { ChangedFile } from '../desktop/types';
import { errorText } from '../hooks';
import { UndoTurn } from './UndoTurn';
import { UnifiedDiff } from './UnifiedDiff';

/** Diffs shown open at first when a turn changed at most this many files. */
const OPEN_UP_TO = 3;

/** What the tool cards of the same message may ask. */
export interface TurnChangesHandle {
  /** Opens a file's diff, scrolls to it and focuses it. */
  reveal(path: string): void;
}

const STATUS: Record<ChangedFile['status'], string> = { added: 'added', modified: 'modified', deleted: 'deleted' };

/**
 * A finished turn's changes on disk: "N files changed +a −b", each file's
 * unified diff, and "Undo this turn's changes". Nothing when the turn
 * changed nothing.
 */
export function TurnChanges({
  sessionId,
  turnId,
  ref,
}: {
  sessionId: string;
  turnId: string;
  ref?: Ref<TurnChangesHandle>;
}) {
  const { data, error, reload } = useTurnChanges(sessionId, turnId);
  const [open, setOpen] = useState<Record<string, boolean>>({});
  const items = useRef(new Map<string, HTMLDetailsElement>());

  useImperativeHandle(
    ref,
    () => ({
      reveal(path) {
        flushSync(() => setOpen((o) => ({ ...o, [path]: true })));
        const item = items.current.get(path);
        // Also on the element: a close whose toggle event has not come
        // yet left the state as it was.
        if (item && !item.open) item.open = true;
        item?.scrollIntoView?.({ block: 'nearest' });
        item?.querySelector('summary')?.focus();
      },
    }),
    [],
  );

  if (error) {
    if (isHostError(error, 'unknown_turn')) return null;
    if (isHostError(error, 'checkpoint_pruned')) {
      return (
        <p className="turn-changes muted" role="status">
          This turn’s checkpoint was pruned: its changes can no longer be shown or undone.
        </p>
      );
    }
    return (
      <p className="turn-changes error-line">
        Could not load this turn’s changes: {errorText(error)}{' '}
        <button type="button" onClick={reload}>
          Try again
        </button>
      </p>
    );
  }
  if (!data || data.files.length === 0) return null;

  const sum = totals(data.files);
  const openAtFirst = data.files.length <= OPEN_UP_TO;
  return (
    <section className="turn-changes" aria-label="Files this turn changed">
      <div className="turn-changes-bar">
        <span className="changes-summary">
          <strong>{filesChangedText(sum.files)}</strong>{' '}
          <span className="additions">+{sum.additions}</span> <span className="deletions">−{sum.deletions}</span>
        </span>
        <UndoTurn sessionId={sessionId} turnId={turnId} />
      </div>
      <ul className="changed-files">
        {data.files.map((f) => (
          <li key={f.path}>
            <details
              className="changed-file"
              open={open[f.path] ?? openAtFirst}
              onToggle={(e) => {
                const now = e.currentTarget.open;
                setOpen((o) => (o[f.path] === now ? o : { ...o, [f.path]: now }));
              }}
              ref={(el) => {
                if (el) items.current.set(f.path, el);
                else items.current.delete(f.path);
              }}
            >
              <summary>
                <span className="changed-path" title={f.path}>
                  {baseName(f.path)}
                </span>{' '}
                <span className={`file-status file-${f.status}`}>{STATUS[f.status]}</span>{' '}
                <span className="additions">+{f.additions}</span> <span className="deletions">−{f.deletions}</span>
              </summary>
              <div className="muted changed-full-path">{f.path}</div>
              {f.untracked ? (
                <p className="muted">Too large or not text: not shown, and undo cannot restore it.</p>
              ) : f.diff === '' ? (
                <p className="muted">No difference in the text.</p>
              ) : (
                <UnifiedDiff diff={f.diff} label={`Changes to ${f.path}`} />
              )}
            </details>
          </li>
        ))}
      </ul>
    </section>
  );
}
