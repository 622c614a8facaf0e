import { startTransition, useDeferredValue, useEffect, useState } from 'react';
import './chat.css';
import { warmHighlighting } from './highlight-worker';

/** Characters rendered as markdown at most; past it the rest waits behind
 * "Show all", and shown all it is plain text (a 1 MB reply stays fast). */
export const MARKDOWN_LIMIT = 60_000;

// Streamdown, remark/rehype and Shiki live in their own chunks: the
// document editor window does not load them up front. Not React.lazy: a
// Suspense boundary holds back revealing resolved content for up to 300 ms
// after a fallback was shown (React's fallback throttle), and a chat opening
// showed its messages' plain text, then their markdown ~300 ms later, then
// their code blocks (Streamdown's own lazy chunk) ~300 ms after that.
// Instead the text shows as plain text until the code is loaded, and then
// every message renders as markdown in one transition. Streamdown's code
// block body (its lazy chunk) is loaded alongside and rendered once off
// screen (MarkdownImpl's warmUp), so that no code block of the page ever
// shows its Suspense fallback.
type Impl = typeof import('./MarkdownImpl').default;
let loadedImpl: Impl | null = null;
let loadingImpl: Promise<Impl> | null = null;

/** Loads the markdown renderer (once; at once if it already is). */
export function loadMarkdown(): Promise<Impl> {
  loadingImpl ??= Promise.all([importImpl(), import('streamdown/highlighted-body')]).then(
    async ([m]) => {
      m.startParseWorker();
      // Only a head start: markdown renders without it.
      await m.warmUp().catch((e: unknown) => console.error('[markdown] warm-up failed:', e));
      m.warmParsers();
      return (loadedImpl = m.default);
    },
    (e: unknown) => {
      // Plain text stays; the next chat to mount tries again.
      console.error('[markdown] the renderer did not load:', e);
      loadingImpl = null;
      throw e;
    },
  );
  return loadingImpl;
}

/**
 * Chat text as markdown, the model's and the user's alike: GFM, code
 * highlighted in the design tokens' colours; never raw HTML, links only
 * http(s) through the shell, remote images as placeholders. `streaming`
 * (an answer still arriving) renders unterminated blocks as if closed;
 * otherwise the text is rendered as written. Plain text until the renderer
 * has loaded.
 */
export function Markdown({
  text,
  streaming = false,
  deferMount = false,
}: {
  text: string;
  streaming?: boolean;
  /** Mount as plain text and render the markdown in a transition right
   * after: for text that appears in answer to an input (the message the
   * user has just sent), so that the input's own task does not parse it. */
  deferMount?: boolean;
}) {
  const [all, setAll] = useState(false);
  const [loaded, setLoaded] = useState<Impl | null>(() => loadedImpl);
  // With an initial value React mounts with it and renders again at once in
  // the background with the value; `undefined` (no initial value) mounts
  // with the value and nothing more.
  const markdownNow = useDeferredValue(true, deferMount ? false : undefined);
  const MarkdownImpl = markdownNow ? loaded : null;
  useEffect(() => {
    if (loaded) return;
    let live = true;
    loadMarkdown().then(
      (m) => live && startTransition(() => setLoaded(() => m)),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [loaded]);
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
      {MarkdownImpl ? (
        <MarkdownImpl text={shown} streaming={streaming && !long} />
      ) : (
        <p className="text md-fallback">{shown}</p>
      )}
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

type ImplModule = typeof import('./MarkdownImpl');
let implModule: ImplModule | null = null;
const importImpl = () =>
  import('./MarkdownImpl').then((m) => {
    implModule = m;
    return m;
  });

/**
 * Has the code blocks of `texts` (a conversation's newest messages, the
 * newest last) highlighted in the worker, now if the renderer's chunk is
 * loaded (before the conversation's render, which the worker's work then
 * overlaps), else as soon as it is (loading it if it is not loading yet).
 * The code then shows highlighted with its markdown, or a round trip after,
 * instead of asking once rendered (docs/benchmarks.md). Meanwhile the
 * grammars that code names start loading, and compile on it
 * (`warmHighlighting`); with the chunk there, the highlighting requests
 * themselves do that, and a warm-up would run the same code twice.
 */
export function highlightAhead(texts: readonly string[]): void {
  if (implModule) return implModule.highlightAhead(texts);
  warmHighlighting(texts);
  importImpl().then(
    (m) => m.highlightAhead(texts),
    () => {}, // loadMarkdown reports it
  );
}

export function fmtSize(chars: number): string {
  if (chars < 1024) return `${chars} characters`;
  if (chars < 1024 * 1024) return `${Math.round(chars / 1024)} K characters`;
  return `${(chars / (1024 * 1024)).toFixed(1)} M characters`;
}
