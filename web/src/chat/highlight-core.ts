// Shiki, as highlight.worker.ts runs it off the main thread: loading a
// grammar and tokenizing cost 50–200 ms on a cold start, which the page must
// not spend in one task. One highlighter (Shiki core, the JavaScript engine
// on precompiled grammars: no WASM, no eval) loads each language on first use
// and answers every request with the tokens, never HTML. highlight.ts is its
// only client; tests run this module in-process as the worker would.

import type {
  GrammarState,
  HighlighterCore,
  LanguageRegistration,
  ThemeRegistrationAny,
  ThemedToken,
  TokensResult,
} from 'shiki/core';
import { createHighlighterCore } from 'shiki/core';
import { createJavaScriptRawEngine } from 'shiki/engine/javascript';
import { resolveLanguage } from './languages';

// Precompiled grammars (@shikijs/langs-precompiled): their Oniguruma
// patterns already translated to JavaScript regular expressions at build
// time, so a grammar's first use does not translate them here (Shiki's
// JavaScript engine did that on every cold start: ~45% of the time to
// highlight a first TypeScript, Rust, Python and Bash block). One chunk per
// language (and per grammar it embeds), loaded on first use.
const GRAMMARS = '../../node_modules/@shikijs/langs-precompiled/dist/';
const grammars = import.meta.glob<{ default: LanguageRegistration[] }>([
  '../../node_modules/@shikijs/langs-precompiled/dist/*.mjs',
  '!**/index.mjs',
]);

/** A code block to warm a grammar on: the code the conversation shows. */
export interface WarmBlock {
  lang: string;
  code: string;
}

export type WorkerRequest =
  | { type: 'themes'; themes: ThemeRegistrationAny[] }
  /** Load these languages' grammars now and run each on its code (names or
   * aliases, as code fences write them; code may be empty); nothing is
   * answered. */
  | { type: 'warm'; blocks: WarmBlock[] }
  | {
      type: 'highlight';
      id: number;
      code: string;
      /** A bundled language id (aliases resolved by the caller), or 'text'. */
      lang: string;
      light: string;
      dark: string;
      /** Still streaming: the next request for this block extends `code`. */
      incomplete: boolean;
    };

export type WorkerResponse = { id: number; result: TokensResult } | { id: number; error: string };

const engine = createJavaScriptRawEngine();
let highlighter: Promise<HighlighterCore> | undefined;
const loading = new Map<string, Promise<boolean>>();

function getHighlighter(): Promise<HighlighterCore> {
  highlighter ??= createHighlighterCore({ themes: [], langs: [], engine });
  return highlighter;
}

/** Loads `lang` once; false when it is unknown or fails to load. */
function ensureLanguage(h: HighlighterCore, lang: string): Promise<boolean> {
  if (lang === 'text' || h.getLoadedLanguages().includes(lang)) return Promise.resolve(true);
  let p = loading.get(lang);
  if (!p) {
    const load = grammars[`${GRAMMARS}${lang}.mjs`];
    p = load
      ? h.loadLanguage(load()).then(
          () => true,
          (e: unknown) => {
            console.error(`[highlight] language ${lang} failed to load:`, e);
            return false;
          },
        )
      : Promise.resolve(false);
    loading.set(lang, p);
  }
  return p;
}

// A streaming block is tokenized incrementally, as @streamdown/code does:
// its complete lines are kept with the grammar state after them, and the
// next request that extends them tokenizes only what follows.
interface Prefix {
  prefix: string;
  rows: ThemedToken[][];
  grammarState: GrammarState | undefined;
}
const prefixes = new Map<string, Prefix[]>();
const PREFIXES_PER_LANG = 4;

function takePrefix(key: string, code: string): Prefix | undefined {
  const list = prefixes.get(key);
  const i = list?.findIndex((p) => code.startsWith(p.prefix)) ?? -1;
  return i === -1 ? undefined : list!.splice(i, 1)[0];
}

function keepPrefix(key: string, p: Prefix) {
  let list = prefixes.get(key);
  if (!list) prefixes.set(key, (list = []));
  list.unshift(p);
  if (list.length > PREFIXES_PER_LANG) list.pop();
}

function shift(rows: ThemedToken[][], by: number) {
  if (by !== 0) for (const row of rows) for (const t of row) t.offset += by;
}

function tokenize(h: HighlighterCore, code: string, lang: string, light: string, dark: string): TokensResult {
  const themes = { light, dark };
  const key = `${lang}:${light}:${dark}`;
  const found = takePrefix(key, code);
  let prefix = found?.prefix ?? '';
  let rows = found?.rows ?? [];
  let grammarState = found?.grammarState;
  const lineEnd = code.lastIndexOf('\n') + 1;
  if (lineEnd > prefix.length) {
    const head = h.codeToTokens(code.slice(prefix.length, lineEnd), { lang, themes, grammarState });
    const headRows = head.tokens;
    headRows.pop(); // the empty line after the last newline
    shift(headRows, prefix.length);
    rows = rows.concat(headRows);
    grammarState = head.grammarState;
    prefix = code.slice(0, lineEnd);
    keepPrefix(key, { prefix, rows, grammarState });
  } else if (found) {
    keepPrefix(key, found);
  }
  const tail = h.codeToTokens(code.slice(lineEnd), { lang, themes, grammarState });
  shift(tail.tokens, lineEnd);
  // The grammar state is a class instance and stays here.
  const { grammarState: _state, ...rest } = tail;
  void _state;
  return { ...rest, tokens: rows.concat(tail.tokens) };
}

// Most of a grammar's first-use cost is compiling its regular expressions on
// their first run, and a grammar compiles only the rules its input reaches:
// a block is warmed on the code the conversation shows (in Node, the first
// TypeScript block of the benchmark's session took 92 ms cold, 48 ms after
// a one-line sample, 2–4 ms after its own code). A block without code runs
// this line. The theme only colours: any theme but Shiki's special `none`,
// with which Shiki returns the lines untokenized.
const WARM_SAMPLE = 'a = f("s", 1) // c\n';
const WARM_THEME: ThemeRegistrationAny = { name: 'agent-warm-up', type: 'dark', settings: [] };

async function warm(blocks: WarmBlock[]): Promise<void> {
  const h = await getHighlighter();
  // Every grammar's fetch at once; run one after the other.
  // As code fences write them: an alias (`c++`, `c#`) loads its language.
  const named = blocks
    .filter(({ lang }) => /^[\w+#.-]+$/.test(lang))
    .map((b) => ({ ...b, lang: resolveLanguage(b.lang) }));
  const loads = named.map(({ lang }) => ensureLanguage(h, lang));
  if (!h.getLoadedThemes().includes(WARM_THEME.name!)) await h.loadTheme(WARM_THEME);
  for (const [i, { lang, code }] of named.entries()) {
    if (!(await loads[i])) continue;
    try {
      h.codeToTokensBase(code || WARM_SAMPLE, { lang, theme: WARM_THEME.name });
    } catch (e) {
      console.error(`[highlight] warming ${lang}:`, e);
    }
  }
}

/**
 * The worker's message handler: requests are answered in order (the themes
 * before the first request that names them) through `post`. A language's
 * grammar starts loading when its request arrives, not when the requests
 * before it are done.
 */
export function createHighlightHandler(post: (msg: WorkerResponse) => void): (req: WorkerRequest) => void {
  let queue: Promise<unknown> = Promise.resolve();
  return (req) => {
    if (req.type === 'warm') return void warm(req.blocks).catch((e: unknown) => console.error('[highlight] warm-up:', e));
    if (req.type === 'highlight') void getHighlighter().then((h) => ensureLanguage(h, req.lang));
    queue = queue.then(async () => {
      const h = await getHighlighter();
      if (req.type === 'themes') {
        for (const theme of req.themes) {
          if (!h.getLoadedThemes().includes(theme.name ?? '')) await h.loadTheme(theme);
        }
        return;
      }
      try {
        const lang = (await ensureLanguage(h, req.lang)) ? req.lang : 'text';
        post({ id: req.id, result: tokenize(h, req.code, lang, req.light, req.dark) });
      } catch (e) {
        post({ id: req.id, error: e instanceof Error ? e.message : String(e) });
      }
    });
    queue = queue.catch((e: unknown) => console.error('[highlight worker]', e));
  };
}
