import { useMemo } from 'react';
import { diffLines } from '../changes/changes';

/** Lines shown at most; the rest is counted. */
const MAX_LINES = 2000;

const MARK = { add: '+', del: '−', same: ' ', hunk: '', note: '' } as const;
const LABEL = { add: 'added', del: 'removed' } as const;

/**
 * A unified diff from the host, line by line with +/− styling. Every line
 * is React text: a file's `<script>` or `<img onerror>` shows as characters
 * and never becomes an element.
 */
export function UnifiedDiff({ diff, label }: { diff: string; label: string }) {
  const lines = useMemo(() => diffLines(diff), [diff]);
  const shown = lines.slice(0, MAX_LINES);
  return (
    <pre className="diff-lines unified-diff" tabIndex={0} aria-label={label}>
      {shown.map((line, i) => (
        <div key={i} className={`diff-row diff-${line.kind}`}>
          {line.kind !== 'hunk' && line.kind !== 'note' && (
            <span className="diff-mark" aria-hidden="true">
              {MARK[line.kind]}
            </span>
          )}
          {(line.kind === 'add' || line.kind === 'del') && <span className="sr-only">{LABEL[line.kind]}: </span>}
          {line.text}
        </div>
      ))}
      {lines.length > shown.length && (
        <div className="diff-row diff-skip">… {lines.length - shown.length} more lines not shown</div>
      )}
    </pre>
  );
}
