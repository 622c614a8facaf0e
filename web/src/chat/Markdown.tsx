import { lazy, Suspense, useState } from 'react';
import './chat.css';

/** Characters rendered as markdown at most; past it the rest waits behind
 * "Show all", and shown all it is plain text (a 1 MB reply stays fast). */
export const MARKDOWN_LIMIT = 60_000;

// Streamdown, remark/rehype and Shiki live in their own chunks: the
// document editor window does not load them up front.
const MarkdownImpl = lazy(() => import('./MarkdownImpl'));

/**
 * Chat text as markdown, the model's and the user's alike: GFM, code
 * highlighted in the design tokens' colours; never raw HTML, links only
 * http(s) through the shell, remote images as placeholders. `streaming`
 * (an answer still arriving) renders unterminated blocks as if closed;
 * otherwise the text is rendered as written. Plain text until the renderer
 * has loaded.
 */
export function Markdown({ text, streaming = false }: { text: string; streaming?: boolean }) {
  const [all, setAll] = useState(false);
  const long = text.length > MARKDOWN_LIMIT;
  if (long && all) {
    return (
      <div className="md md-plain">
        <pre className="md-long">{text}</pre>
        <button type="button" className="link" onClick={() => setAll(false)}>
          Show less
        </button>
      </div>
    );
  }
  const shown = long ? text.slice(0, MARKDOWN_LIMIT) : text;
  return (
    <div className="md">
      <Suspense fallback={<p className="text md-fallback">{shown}</p>}>
        <MarkdownImpl text={shown} streaming={streaming && !long} />
      </Suspense>
      {long && (
        <div className="md-truncated">
          <span className="muted">
            Showing {fmtSize(MARKDOWN_LIMIT)} of {fmtSize(text.length)}.
          </span>{' '}
          <button type="button" className="link" onClick={() => setAll(true)}>
            Show all
          </button>
        </div>
      )}
    </div>
  );
}

export function fmtSize(chars: number): string {
  if (chars < 1024) return `${chars} characters`;
  if (chars < 1024 * 1024) return `${Math.round(chars / 1024)} K characters`;
  return `${(chars / (1024 * 1024)).toFixed(1)} M characters`;
}
