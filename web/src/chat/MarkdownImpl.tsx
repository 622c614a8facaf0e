import { startTransition, useEffect, useState, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import {
  defaultRehypePlugins,
  defaultRemarkPlugins,
  parseMarkdownIntoBlocks,
  Streamdown,
  type Components,
  type StreamdownProps,
  type ThemeInput,
} from 'streamdown';
import remend from 'remend';
import { whenIdle } from '../hooks';
import { createWorkerBlock, remarkHtmlAsText } from './blocks';
import { createWorkerCodePlugin } from './highlight';
import { parseMarkdownBlock } from './markdown-parse';
import { safeExternalUrl, useOpenExternal } from './links';
import { PictureIcon } from '../components/Icons';

// Model output is untrusted (a prompt-injected model writes what a web page
// told it to). Raw HTML never becomes elements: remark's `html` nodes are
// turned into plain text before anything else sees them (blocks.tsx's
// remarkHtmlAsText), and rehype-raw is left out, so `<script>`,
// `<img onerror>`, `<iframe>` and inline handlers show as the characters
// they are.

const remarkPlugins = [...Object.values(defaultRemarkPlugins), remarkHtmlAsText];
// rehype-sanitize stays (a second line: it strips `javascript:` URLs and
// unknown attributes); rehype-harden goes, the components below decide
// about links and images themselves.
const rehypePlugins = Object.entries(defaultRehypePlugins)
  .filter(([name]) => name !== 'raw' && name !== 'harden')
  .map(([, plugin]) => plugin);

/** Keeps every URL as written: the link and image components below decide. */
const keepUrl = (url: string) => url;

function Link({ href, children }: { href?: string; children?: ReactNode }) {
  const open = useOpenExternal();
  const safe = safeExternalUrl(href);
  if (!safe) {
    // Not http(s): shown, never followed.
    return (
      <span className="md-link-blocked" title={href ? `Not opened: ${href}` : undefined}>
        {children}
      </span>
    );
  }
  return (
    <a
      href={safe}
      className="md-link"
      title={safe}
      rel="noreferrer noopener"
      onClick={(e) => {
        // The window never navigates: the system browser opens it, or
        // nothing happens and the title shows the URL.
        e.preventDefault();
        open(safe);
      }}
    >
      {children}
    </a>
  );
}

function ImagePlaceholder({ src, alt }: { src?: string | Blob; alt?: string }) {
  const open = useOpenExternal();
  const url = typeof src === 'string' ? src : '';
  const safe = safeExternalUrl(url);
  // Remote images are not loaded (no fetch without the user's action).
  return (
    <span className="md-image" role="img" aria-label={`Image not loaded: ${alt || url}`}>
      <span className="md-image-alt">
        <PictureIcon /> {alt || 'image'}
      </span>{' '}
      <span className="md-image-url">{url}</span>
      {safe && (
        <button type="button" className="link" onClick={() => open(safe)}>
          Open image in browser
        </button>
      )}
    </span>
  );
}

const components: Components = {
  p: ({ children }) => <p className="text">{children}</p>,
  // Streamdown's is a span styled by a Tailwind class this app does not have.
  strong: ({ children }) => <strong>{children}</strong>,
  a: ({ href, children }) => <Link href={href}>{children}</Link>,
  img: ({ src, alt }) => <ImagePlaceholder src={src} alt={alt} />,
};

/**
 * Shiki's theme for code blocks: every colour is one of the design tokens
 * (`var(--color-code-*)`, defined in styles.css for light and dark), so code
 * follows the app's scheme, the system's or the one chosen in Settings, and
 * a switch restyles the blocks already shown without highlighting again.
 * Shiki keeps non-hex colours as written; Streamdown puts each token's colour
 * in its `--sdm-c` property, which chat.css applies.
 */
export const codeTheme = {
  name: 'agent-tokens',
  type: 'light',
  // No `colors`: Shiki rewrites that object in place. The default
  // foreground and background are the first, scopeless setting.
  tokenColors: [
    { settings: { foreground: 'var(--color-text)', background: 'var(--color-code-bg)' } },
    {
      scope: ['comment', 'punctuation.definition.comment', 'string.comment', 'string.quoted.docstring.multi'],
      settings: { foreground: 'var(--color-code-comment)', fontStyle: 'italic' },
    },
    {
      scope: ['keyword', 'storage', 'storage.type', 'storage.modifier', 'keyword.operator', 'punctuation.definition.template-expression', 'markup.heading'],
      settings: { foreground: 'var(--color-code-keyword)' },
    },
    {
      scope: ['string', 'string.regexp', 'punctuation.definition.string', 'markup.inline.raw', 'markup.fenced_code', 'constant.other.symbol'],
      settings: { foreground: 'var(--color-code-string)' },
    },
    {
      scope: ['constant', 'constant.numeric', 'constant.language', 'constant.character', 'support.constant', 'variable.other.constant', 'variable.language', 'support.type.property-name', 'meta.property-name', 'entity.other.attribute-name', 'markup.underline.link'],
      settings: { foreground: 'var(--color-code-constant)' },
    },
    {
      scope: ['entity.name.function', 'support.function', 'meta.function-call entity.name.function', 'entity.name.function.macro'],
      settings: { foreground: 'var(--color-code-function)' },
    },
    {
      scope: ['entity.name.type', 'entity.name.class', 'entity.name.namespace', 'entity.other.inherited-class', 'support.type', 'support.class', 'variable.parameter', 'variable.other.enummember'],
      settings: { foreground: 'var(--color-code-type)' },
    },
    {
      scope: ['entity.name.tag', 'support.type.property-name.css', 'markup.inserted', 'punctuation.definition.inserted'],
      settings: { foreground: 'var(--color-code-tag)' },
    },
    {
      scope: ['markup.deleted', 'punctuation.definition.deleted', 'invalid', 'invalid.illegal'],
      settings: { foreground: 'var(--color-code-deleted)' },
    },
    // Template `${…}` and member access read as plain code.
    {
      scope: ['meta.template.expression', 'keyword.operator.accessor', 'meta.embedded'],
      settings: { foreground: 'var(--color-text)' },
    },
  ],
} satisfies ThemeInput;

// The same theme for "light" and "dark": the tokens switch, not the theme.
// Shiki runs in a worker (highlight.ts): grammars load and code tokenizes
// off the main thread.
const code = createWorkerCodePlugin({ themes: [codeTheme, codeTheme] });
const plugins = { code };
const controls = { code: { copy: true, download: false }, table: { copy: true, download: false, fullscreen: false }, image: false };

/** Has the code blocks of `texts` (the newest last) highlighted now, ahead of
 * their render (the code plugin's `ahead`). */
export const highlightAhead = (texts: readonly string[]): void => code.ahead(texts);

/** Streamdown's props for chat text, whichever mode (exported for the
 * test that renders blocks both ways). */
export const streamdownProps = {
  className: 'md-body',
  skipHtml: false,
  remarkPlugins,
  rehypePlugins,
  urlTransform: keepUrl,
  components,
  plugins,
  controls,
  lineNumbers: false,
  codeBlockMaxHeight: 0,
  tableMaxHeight: 0,
} satisfies StreamdownProps;

/**
 * A streaming answer's blocks: Streamdown's split of the text as it is, then
 * the incomplete markdown at its end completed (remend: an unclosed fence,
 * `**`, link...) in the text of the last block only. Streamdown's own order
 * (remend over the whole text, then the split) scanned all of it twice per
 * render (remend's fence scan was ~36 of 500 ms of the stream bench's main
 * thread), and the split could not reuse its last result (it does when the
 * text only grew; the completed text does not only grow). Whatever remend
 * does away from the end (escaping `20~25` anywhere, counting a `***` rule's
 * asterisks as emphasis to close) the finished answer, split without it,
 * does not show either.
 */
export function streamingBlocks(text: string): string[] {
  const blocks = parseMarkdownIntoBlocks(text);
  if (blocks.length === 0) return blocks;
  // The last block's text as written: after the others, which the split
  // took from the text as they are (checked; a split that normalised one
  // gets Streamdown's own order).
  let at = 0;
  for (let i = 0; i < blocks.length - 1; i++) {
    if (!text.startsWith(blocks[i]!, at)) return parseMarkdownIntoBlocks(remend(text));
    at += blocks[i]!.length;
  }
  const last = remend(text.slice(at));
  return last === blocks.at(-1) ? blocks : [...blocks.slice(0, -1), last];
}

// A streamed answer's blocks are parsed in a worker (blocks.tsx); those on
// screen in the chat's list (`.messages`, ChatPanel) turn into markdown first.
const WorkerBlock = createWorkerBlock({ scrollRoot: (el) => el.closest('.messages') });

/** Starts the markdown worker (once): Markdown.tsx does as this chunk
 * loads, so that a chat's first fast answer does not wait for the worker's
 * start (in a fresh window its blocks waited ~100 ms, the stream bench's
 * cold catch-up). */
export const startParseWorker = (): void => WorkerBlock.startWorker();

export default function MarkdownImpl({ text, streaming }: { text: string; streaming: boolean }) {
  // An answer seen streaming stays in Streamdown's block mode once it has
  // finished: its blocks are already rendered, and the static mode would
  // parse and render the whole answer again as one block, in one long task
  // (~150–200 ms for 55 kB). Text that arrives whole (history) renders in
  // static mode: one parse per message instead of one per block.
  const [live, setLive] = useState(streaming);
  if (streaming && !live) setLive(true);
  // A streamed answer renders its text deferred: React renders the new
  // blocks in a transition, which yields every few milliseconds, instead of
  // in the store update that brought the deltas, which does not. (Its first
  // render is empty, not the text so far: a resumed answer mounts at once.)
  // A transition, not `useDeferredValue`: while a fast answer streams, the
  // blocks' parse trees keep arriving from the worker, each answer a
  // transition (blocks.tsx), and React did not start the deferred value's
  // render until they stopped: the answer's end showed only once the
  // worker had parsed the whole burst, up to ~450 ms after the last delta.
  // A transition is rendered together with them (docs/benchmarks.md,
  // "Blocks that are not all alike"). Once the answer has finished, its
  // text renders as it is: a finished answer shows all of it (its blocks
  // not parsed yet as written), not the last text a transition rendered.
  const [deferred, setDeferred] = useState('');
  useEffect(() => {
    if (live) startTransition(() => setDeferred(text));
  }, [live, text]);
  return (
    <Streamdown
      {...streamdownProps}
      mode={live ? 'streaming' : 'static'}
      isAnimating={streaming}
      parseIncompleteMarkdown={false}
      parseMarkdownIntoBlocksFn={streaming ? streamingBlocks : parseMarkdownIntoBlocks}
      BlockComponent={WorkerBlock}
    >
      {live && streaming ? deferred : text}
    </Streamdown>
  );
}

/**
 * Renders one code block in a detached root and lets it go. Streamdown loads
 * its code block body with React.lazy, and a lazy component's first render
 * suspends even when its module is loaded (Markdown.tsx loads it with this
 * chunk): the first conversation shown would show its code blocks' fallback
 * and then wait out React's 300 ms Suspense throttle before their
 * highlighted bodies. After this, the lazy component is resolved.
 */
export async function warmUp(): Promise<void> {
  if (typeof document === 'undefined') return;
  const root = createRoot(document.createElement('div'));
  root.render(
    <Streamdown mode="static" controls={false}>
      {'```text\nx\n```\n'}
    </Streamdown>,
  );
  // The lazy import resolves within a few microtasks; two tasks are ample.
  const task = () => new Promise((resolve) => setTimeout(resolve));
  await task();
  await task();
  root.unmount();
}

// Markdown that takes the parsers' common paths: blocks of each kind,
// inline marks, a literal autolink, raw HTML.
const WARM_SAMPLE = [
  '# Heading',
  'Setext heading\n---',
  'A paragraph with **bold**, _emphasis_, `code`, a [link](https://example.com) and www.example.com.',
  '- a list\n- of items\n\n1. ordered',
  '> a quote',
  '| a | b |\n| - | - |\n| 1 | 2 |',
  '<div>html</div>',
  '```ts\nconst x = 1;\n```',
  '***',
].join('\n\n');

/**
 * Runs the main thread's markdown parsers once each, in idle time: Streamdown's
 * block splitter (marked's lexer, on every chat message) and micromark (a
 * small streamed block is parsed here, blocks.tsx). A parser's first run in a
 * page compiles its code and regular expressions, which cost the first answer
 * streamed in a fresh window a 70–170 ms task (a profile of the stream bench:
 * marked's HTML rule, micromark's tokenizer).
 */
export function warmParsers(): void {
  if (typeof window === 'undefined') return;
  whenIdle(() => parseMarkdownIntoBlocks(WARM_SAMPLE), 50);
  whenIdle(() => parseMarkdownBlock(WARM_SAMPLE), 50);
}
