// The highlighting worker (highlight.worker.ts), one per page, started by
// whichever asks first: the code plugin (highlight.ts, in the markdown
// chunk); a chat that has just fetched its messages before that chunk has
// loaded, which warms the grammars its code blocks name on their code
// (`warmHighlighting`, from Markdown.tsx's `highlightAhead`), so that
// loading and compiling them overlaps with loading the markdown instead of
// following it; or a session's row in a list, pointed at or
// focused, which warms the languages the host says its newest code blocks
// name (`warmLanguages`), before its messages are even asked for.

import type { WarmBlock, WorkerRequest } from './highlight-core';

let worker: Worker | undefined | null = null;

/** The page's highlighting worker; undefined where workers cannot run. */
export function highlightWorker(): Worker | undefined {
  if (worker === null) {
    try {
      worker =
        typeof Worker === 'undefined'
          ? undefined
          : new Worker(new URL('./highlight.worker.ts', import.meta.url), { type: 'module', name: 'highlight' });
    } catch (e) {
      console.error('[highlight] no worker:', e);
      worker = undefined;
    }
  }
  return worker;
}

// A fence line (roughly CommonMark: up to three spaces, three or more
// backticks or tildes, then the info string, whose first run of these
// characters names the language), to its line's end. Every part but the
// last is bounded by the next, so a long line costs one pass.
const FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*(?:\n|$)/gm;
/** The most of a block's code a grammar is warmed on. */
const WARM_CODE_MAX = 2_000;

interface FencedBlock {
  /** The language the fence names, lower-cased ('' for none). */
  lang: string;
  /** Everything between the fence lines. */
  code: string;
  /** Whether a closing fence ends it (not: it runs to the text's end). */
  closed: boolean;
}

/** The fenced code blocks of `text` in order, each with the language its
 * fence names and its code. Scanned forward, so that a fence line inside a
 * block is that block's code, not a block. */
function codeBlocks(text: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  const open = new RegExp(FENCE);
  for (let m = open.exec(text); m !== null; m = open.exec(text)) {
    const fence = m[1]!;
    const start = m.index + m[0].length;
    // Closed by a fence of the same character, at least as long, alone on
    // its line; or by the text's end (a block still streaming).
    const close = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*\\r?$`, 'gm');
    close.lastIndex = start;
    const c = close.exec(text);
    blocks.push({ lang: m[2]!.toLowerCase(), code: text.slice(start, c === null ? text.length : c.index), closed: c !== null });
    if (c === null) break;
    open.lastIndex = c.index + c[0].length;
  }
  return blocks;
}

/** The newest code block of each language the code fences in `texts` name:
 * the last text's last block first, at most `max` languages, each language
 * as written (lower-cased) with its code (at most WARM_CODE_MAX characters). */
export function fenceBlocks(texts: readonly string[], max = 6): WarmBlock[] {
  const found: WarmBlock[] = [];
  for (let i = texts.length - 1; i >= 0 && found.length < max; i--) {
    const blocks = codeBlocks(texts[i]!);
    for (let j = blocks.length - 1; j >= 0 && found.length < max; j--) {
      const block = blocks[j]!;
      if (block.lang !== '' && !found.some((b) => b.lang === block.lang)) {
        found.push({ lang: block.lang, code: block.code.slice(0, WARM_CODE_MAX) });
      }
    }
  }
  return found;
}

/** The closed fenced code blocks of `text` in order, each with the language
 * its fence names as written and its code as Streamdown hands it to the
 * highlighter: the fence's content without its trailing newlines. (A fence
 * indented in a list item has its indent taken off each line by the
 * markdown parser, and is found here with it: its code differs, and a
 * highlighting asked for ahead with it is simply not used.) */
export function closedCodeBlocks(text: string): { language: string; code: string }[] {
  return codeBlocks(text)
    .filter((b) => b.closed)
    .map((b) => ({ language: b.lang, code: b.code.replace(/\n+$/, '') }));
}

/** Has the worker load the grammars `texts`' code fences name and run each
 * on the newest code it will be asked to highlight. */
export function warmHighlighting(texts: readonly string[]): void {
  const blocks = fenceBlocks(texts);
  if (blocks.length > 0) highlightWorker()?.postMessage({ type: 'warm', blocks } satisfies WorkerRequest);
}

/** The languages `warmLanguages` has asked the worker for. */
const warmedLanguages = new Set<string>();

/** Has the worker load these grammars (a session's `code_languages`, as
 * code fences name them) and run each on a line of sample code; each
 * language once per page. */
export function warmLanguages(langs: readonly string[]): void {
  const blocks = langs.filter((lang) => !warmedLanguages.has(lang)).map((lang) => ({ lang, code: '' }));
  if (blocks.length === 0) return;
  const w = highlightWorker();
  if (!w) return;
  for (const { lang } of blocks) warmedLanguages.add(lang);
  w.postMessage({ type: 'warm', blocks } satisfies WorkerRequest);
}
