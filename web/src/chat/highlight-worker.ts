// The highlighting worker (highlight.worker.ts), one per page, started by
// whichever asks first: the code plugin (highlight.ts, in the markdown
// chunk), or a chat that has just fetched its messages and warms the
// grammars its code blocks name (`warmHighlighting`), so that loading and
// compiling them overlaps with loading and rendering the markdown instead
// of following it.

import type { WorkerRequest } from './highlight-core';

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

const FENCE = /^ {0,3}(?:`{3,}|~{3,})[ \t]*([\w+#.-]+)/gm;

/** The languages the code fences in `texts` name, the last text's first,
 * at most `max`, as written (lower-cased). */
export function fenceLanguages(texts: readonly string[], max = 6): string[] {
  const found: string[] = [];
  for (let i = texts.length - 1; i >= 0 && found.length < max; i--) {
    for (const m of texts[i]!.matchAll(FENCE)) {
      const lang = m[1]!.toLowerCase();
      if (!found.includes(lang)) found.push(lang);
      if (found.length === max) break;
    }
  }
  return found;
}

/** Has the worker load and compile the grammars `texts`' code fences name. */
export function warmHighlighting(texts: readonly string[]): void {
  const langs = fenceLanguages(texts);
  if (langs.length > 0) highlightWorker()?.postMessage({ type: 'warm', langs } satisfies WorkerRequest);
}
