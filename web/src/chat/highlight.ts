// Streamdown's code highlighter, with Shiki in a Web Worker
// (highlight.worker.ts). The same plugin interface as @streamdown/code's
// `createCodePlugin` (language aliases, unknown languages as plain text), but
// the main thread never loads a grammar or tokenizes: it keeps the answers in
// a bounded LRU keyed by (language, themes, code), returns a cached answer at
// once, and otherwise returns null and calls back when the worker answers.
//
// A streaming block asks again on every delta. Those requests are coalesced:
// while one request for a block is with the worker, a newer one that extends
// its code waits in its place (replacing any older waiting one, whose caller
// has moved on), so the worker never works through stale intermediate states.
// Incomplete blocks are not cached.
//
// A conversation that opens has its code blocks highlighted ahead (`ahead`,
// with the texts as soon as they are fetched): the worker highlights them
// while the main thread renders the conversation, and a code block that
// then asks joins the request (or finds the answer cached).
//
// Without Worker, or once the worker fails, code stays plain text (readable
// and copyable; the failure is logged). There is no main-thread highlighter
// to fall back on: it would ship every grammar a second time, in the main
// build, for a worker that both engines the shell and the tests use run.

import { startTransition } from 'react';
import type { CodeHighlighterPlugin, HighlightResult, ThemeInput } from 'streamdown';
import type { ThemeRegistrationAny } from 'shiki/core';
import { languageIds } from 'virtual:shiki-languages';
import type { WorkerRequest, WorkerResponse } from './highlight-core';
import { closedCodeBlocks, highlightWorker } from './highlight-worker';
import { resolveLanguage } from './languages';
import { LazyWorker, type WorkerLike } from './worker-client';

type Callback = (result: HighlightResult) => void;

/** The highlighting worker, as the plugin sees it (tests pass a fake). */
export type HighlightWorkerLike = WorkerLike<WorkerRequest, WorkerResponse>;

export interface WorkerCodePluginOptions {
  /** [light, dark]; theme objects (a named theme is not highlighted). */
  themes: [ThemeInput, ThemeInput];
  /** Creates the worker; undefined where workers are unavailable. */
  createWorker?: () => HighlightWorkerLike | undefined;
  /** Cache bounds: total cost (tokens + lines) and entries. */
  maxCost?: number;
  maxEntries?: number;
}

/** The plugin, and what asks for highlighting ahead of the render. */
export type WorkerCodePlugin = CodeHighlighterPlugin & {
  /** Has the worker highlight the code blocks of `texts` now (the last
   * text's first, at most AHEAD_BLOCKS blocks and AHEAD_CHARS characters),
   * for the code blocks that will ask for them. */
  ahead(texts: readonly string[]): void;
};

/** What `ahead` asks for at most: about the code of a screenful or two. */
const AHEAD_BLOCKS = 24;
const AHEAD_CHARS = 30_000;

// Shiki's bundled languages, listed at build time (vite.config.ts): the
// list, not the grammars, is all the main thread needs.
const supported = new Set(languageIds);

const themeName = (theme: ThemeInput) => (typeof theme === 'string' ? theme : (theme.name ?? 'custom'));

const defaultCreateWorker = () => highlightWorker() as HighlightWorkerLike | undefined;

/** The cost of keeping a result: about one per token and per 64 characters. */
function cost(code: string, result: HighlightResult): number {
  let n = result.tokens.length + Math.ceil(code.length / 64);
  for (const row of result.tokens) n += row.length;
  return n;
}

interface Job {
  id: number;
  key: string;
  lang: string;
  code: string;
  light: string;
  dark: string;
  incomplete: boolean;
  callbacks: Callback[];
  /** A newer request for the same (streaming) block, waiting for this one. */
  next?: Job;
  /** Asked for by `ahead`. */
  ahead?: boolean;
}

export function createWorkerCodePlugin(opts: WorkerCodePluginOptions): WorkerCodePlugin {
  const { themes } = opts;
  const createWorker = opts.createWorker ?? defaultCreateWorker;
  const maxCost = opts.maxCost ?? 300_000;
  const maxEntries = opts.maxEntries ?? 5_000;

  const cache = new Map<string, { cost: number; result: HighlightResult }>();
  let cacheCost = 0;
  const cacheGet = (key: string) => {
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cache.set(key, hit);
    }
    return hit?.result;
  };
  const cacheDelete = (key: string) => {
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cacheCost -= hit.cost;
    }
  };
  const cacheSet = (key: string, code: string, result: HighlightResult) => {
    cacheDelete(key);
    const c = cost(code, result);
    cache.set(key, { cost: c, result });
    cacheCost += c;
    while ((cacheCost > maxCost || cache.size > maxEntries) && cache.size > 1) {
      cacheDelete(cache.keys().next().value!);
    }
  };

  const sentThemes = new Set<string>();
  let nextId = 1;
  /** With the worker, by id. */
  const inFlight = new Map<number, Job>();
  /** Complete requests with the worker, by key: a second caller joins. */
  const byKey = new Map<string, Job>();

  const onMessage = (msg: WorkerResponse) => {
    const job = inFlight.get(msg.id);
    if (!job) return;
    inFlight.delete(msg.id);
    if (byKey.get(job.key) === job) byKey.delete(job.key);
    if ('error' in msg) {
      console.error('[highlight] failed to highlight code:', msg.error);
    } else {
      if (!job.incomplete) cacheSet(job.key, job.code, msg.result);
      const show = () => {
        for (const cb of job.callbacks) cb(msg.result);
      };
      // The code blocks re-render with their tokens in a transition: many
      // answers arrive together (a burst of a stream, blocks scrolled
      // into view), and a transition yields while it renders them. Not
      // those asked for ahead: the code a conversation opens with, on
      // screen. In a transition they waited for every other transition in
      // flight, the messages near the view rendering in full among them
      // (~20–40 ms more to the open bench's highlighted code,
      // docs/benchmarks.md); each is a small render of its own.
      if (job.ahead) show();
      else startTransition(show);
    }
    if (job.next) send(job.next);
  };

  const worker = new LazyWorker<WorkerRequest, WorkerResponse>({
    tag: '[highlight]',
    without: 'code stays plain',
    create: createWorker,
    onMessage,
    onFail: () => {
      inFlight.clear();
      byKey.clear();
    },
  });
  const getWorker = () => worker.get();

  const send = (job: Job) => {
    const w = getWorker();
    if (!w) return;
    // A cached answer may have arrived meanwhile (the same code elsewhere).
    const cached = cacheGet(job.key);
    if (cached) {
      for (const cb of job.callbacks) cb(cached);
      return;
    }
    const pairKey = `${job.light}\n${job.dark}`;
    if (!sentThemes.has(pairKey)) {
      sentThemes.add(pairKey);
      w.postMessage({ type: 'themes', themes: themes.filter((t) => typeof t !== 'string') as ThemeRegistrationAny[] });
    }
    inFlight.set(job.id, job);
    if (!job.incomplete) byKey.set(job.key, job);
    w.postMessage({ type: 'highlight', id: job.id, code: job.code, lang: job.lang, light: job.light, dark: job.dark, incomplete: job.incomplete });
  };

  /** The request with the worker, or waiting, that this one extends. */
  const streamOf = (job: Job): Job | undefined => {
    for (const other of inFlight.values()) {
      if (!other.incomplete || other.lang !== job.lang || other.light !== job.light || other.dark !== job.dark) continue;
      if (job.code.startsWith(other.code)) return other;
    }
    return undefined;
  };

  const [light, dark] = [themeName(themes[0]), themeName(themes[1])];
  const languageOf = (language: string) => {
    const resolved = resolveLanguage(language);
    return supported.has(resolved) ? resolved : 'text';
  };
  const keyOf = (lang: string, code: string, themeNames: [string, string]) => `${lang}:${themeNames[0]}:${themeNames[1]}\n${code}`;

  return {
    name: 'shiki',
    type: 'code-highlighter',
    supportsLanguage: (language) => supported.has(resolveLanguage(language)),
    getSupportedLanguages: () => [...supported] as ReturnType<CodeHighlighterPlugin['getSupportedLanguages']>,
    getThemes: () => themes,
    highlight(options, callback) {
      const lang = languageOf(options.language);
      const [light, dark] = [themeName(options.themes[0]), themeName(options.themes[1])];
      const key = keyOf(lang, options.code, [light, dark]);
      const cached = cacheGet(key);
      if (cached) return cached;
      const callbacks = callback ? [callback] : [];
      // Only theme objects can be sent to the worker (this app's are).
      if (typeof options.themes[0] === 'string' || typeof options.themes[1] === 'string' || !getWorker()) return null;
      const incomplete = options.isIncomplete ?? false;
      const same = byKey.get(key);
      if (same && !incomplete) {
        same.callbacks.push(...callbacks);
        return null;
      }
      const job: Job = { id: nextId++, key, lang, code: options.code, light, dark, incomplete, callbacks };
      const stream = streamOf(job);
      if (stream) {
        // Waits for the one with the worker; an older waiting one is dropped.
        stream.next = job;
        return null;
      }
      send(job);
      return null;
    },
    ahead(texts) {
      if (typeof themes[0] === 'string' || typeof themes[1] === 'string') return;
      let blocks = 0;
      let chars = 0;
      for (let i = texts.length - 1; i >= 0; i--) {
        for (const { language, code } of closedCodeBlocks(texts[i]!)) {
          if (blocks >= AHEAD_BLOCKS || chars + code.length > AHEAD_CHARS) return;
          blocks += 1;
          chars += code.length;
          const lang = languageOf(language);
          const key = keyOf(lang, code, [light, dark]);
          if (cache.has(key) || byKey.has(key)) continue;
          if (!getWorker()) return;
          send({ id: nextId++, key, lang, code, light, dark, incomplete: false, callbacks: [], ahead: true });
        }
      }
    },
  };
}
