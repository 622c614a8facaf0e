import { useMemo } from 'react';
import { diffView } from '../documents/diff';

/** Rows shown at most; the rest is counted. */
const MAX_ROWS = 2000;

/**
 * My text against theirs, line by line. Every line is React text: a
 * document's `<script>` or `<img onerror>` shows as characters and never
 * becomes an element.
 */
export function TextDiff({ mine, theirs }: { mine: string; theirs: string }) {
  const view = useMemo(() => diffView(mine, theirs), [mine, theirs]);
  const rows = view.rows.slice(0, MAX_ROWS);
  return (
    <figure className="text-diff">
      <figcaption>
        Yours against the version on disk: <span className="diff-count-mine">{view.mine} lines only in yours</span>
        , <span className="diff-count-theirs">{view.theirs} lines only on disk</span>.
      </figcaption>
      <pre className="diff-lines" tabIndex={0} aria-label="Differences between your text and the version on disk">
        {rows.map((row, i) =>
          row.kind === 'skip' ? (
            <div key={i} className="diff-row diff-skip">
              … {row.count} unchanged {row.count === 1 ? 'line' : 'lines'}
            </div>
          ) : (
            <div key={i} className={`diff-row diff-${row.kind}`}>
              <span className="diff-mark" aria-hidden="true">
                {MARK[row.kind]}
              </span>
              {row.kind !== 'same' && <span className="sr-only">{LABEL[row.kind]}: </span>}
              {row.text}
            </div>
          ),
        )}
        {view.rows.length > rows.length && (
          <div className="diff-row diff-skip">… {view.rows.length - rows.length} more rows not shown</div>
        )}
      </pre>
    </figure>
  );
}

const MARK = { same: ' ', mine: '−', theirs: '+' } as const;
const LABEL = { mine: 'only in yours', theirs: 'only on disk' } as const;
