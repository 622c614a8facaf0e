// The highlighting worker (highlight.worker.ts), one per page, started by
// whichever asks first: the code plugin (highlight.ts, in the markdown
// chunk), or a chat that has just fetched its messages and warms the
// grammars its code blocks name on their code (`warmHighlighting`), so that
// loading and compiling them overlaps with loading and rendering the
// markdown instead of following it.

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

// An opening fence with a language (CommonMark: up to three spaces, three or
// more backticks or tildes, the info string's first word), to its line's end.
const FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*([\w+#.-]+)[^\n]*\n/gm;
/** The most of a block's code a grammar is warmed on. */
const WARM_CODE_MAX = 2_000;

/** The newest code block of each language the code fences in `texts` name:
 * the last text's last block first, at most `max` languages, each language
 * as written (lower-cased) with its code (up to its closing fence, or the
 * text's end; at most WARM_CODE_MAX characters). */
export function fenceBlocks(texts: readonly string[], max = 6): WarmBlock[] {
  const found: WarmBlock[] = [];
  for (let i = texts.length - 1; i >= 0 && found.length < max; i--) {
    const text = texts[i]!;
    const fences = [...text.matchAll(FENCE)];
    for (let j = fences.length - 1; j >= 0 && found.length < max; j--) {
      const m = fences[j]!;
      const lang = m[2]!.toLowerCase();
      if (found.some((b) => b.lang === lang)) continue;
      const fence = m[1]!;
      const start = m.index + m[0].length;
      const close = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*$`, 'm');
      const rest = text.slice(start, start + WARM_CODE_MAX + fence.length + 8);
      const end = rest.search(close);
      found.push({ lang, code: (end === -1 ? rest : rest.slice(0, end)).slice(0, WARM_CODE_MAX) });
    }
  }
  return found;
}

/** Has the worker load the grammars `texts`' code fences name and run each
 * on the newest code it will be asked to highlight. */
export function warmHighlighting(texts: readonly string[]): void {
  const blocks = fenceBlocks(texts);
  if (blocks.length > 0) highlightWorker()?.postMessage({ type: 'warm', blocks } satisfies WorkerRequest);
}
