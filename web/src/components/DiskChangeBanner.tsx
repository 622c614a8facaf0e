import type { DocumentChangeSource } from '../desktop/events';
import type { Choice } from '../documents/model';
import { TextDiff } from './TextDiff';

const WHO: Record<DocumentChangeSource, string> = {
  agent: 'by the agent',
  external: 'by another program',
  window: 'by another window',
};

/** The file changed on disk while the editor has unsaved text: what
 * changed, and the three ways on. */
export function DiskChangeBanner({
  source,
  mine,
  theirs,
  onChoose,
}: {
  source: DocumentChangeSource | null;
  mine: string;
  theirs: string;
  onChoose: (choice: Choice) => void;
}) {
  const title = `Changed on disk${source ? ` ${WHO[source]}` : ''}`;
  return (
    // Only the sentence is the alert: a screen reader should not read the
    // whole diff out at once.
    <section className="banner warn disk-change" aria-label={title}>
      <p className="disk-change-title" role="alert">
        <strong>{title}.</strong> You have unsaved changes; nothing is lost until you choose.
      </p>
      <div className="disk-change-choices">
        <button type="button" className="take-theirs" onClick={() => onChoose('theirs')}>
          Take theirs (drop my changes)
        </button>
        <button type="button" className="keep-mine" onClick={() => onChoose('mine')}>
          Keep mine (Save will overwrite theirs)
        </button>
        <button type="button" className="merge" onClick={() => onChoose('merge')}>
          Merge both
        </button>
      </div>
      <TextDiff mine={mine} theirs={theirs} />
    </section>
  );
}
