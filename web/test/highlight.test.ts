// The worker code plugin's main-thread side (src/chat/highlight.ts) against a
// fake worker: cached answers come back synchronously, streaming requests for
// one block are coalesced, incomplete blocks are not cached, aliases resolve
// as @streamdown/code's do, and without a worker (or once it fails) code
// stays plain, and a conversation's code is highlighted ahead of its
// render; then the worker's own module run in-process. Its warm-up is in
// highlight-warm.test.ts.

import type { HighlightOptions, HighlightResult } from 'streamdown';
import { describe, expect, it, vi } from 'vitest';
import { createWorkerCodePlugin, type HighlightWorkerLike } from '../src/chat/highlight';
import { createHighlightHandler, type WorkerRequest, type WorkerResponse } from '../src/chat/highlight-core';
import { codeTheme } from '../src/chat/MarkdownImpl';

// Which answers reach the code blocks in a transition.
const transitions = vi.hoisted(() => ({ count: 0 }));
vi.mock('react', async (importOriginal) => {
  const react = await importOriginal<typeof import('react')>();
  return {
    ...react,
    startTransition: (fn: () => void) => {
      transitions.count += 1;
      fn();
    },
  };
});

type HighlightMsg = Extract<WorkerRequest, { type: 'highlight' }>;

class FakeWorker implements HighlightWorkerLike {
  sent: WorkerRequest[] = [];
  private listeners: Record<string, ((e: never) => void)[]> = {};
  postMessage(message: WorkerRequest) {
    this.sent.push(message);
  }
  addEventListener(type: string, listener: (e: never) => void) {
    (this.listeners[type] ??= []).push(listener);
  }
  terminate = vi.fn();
  get requests(): HighlightMsg[] {
    return this.sent.filter((m): m is HighlightMsg => m.type === 'highlight');
  }
  /** Answers request `id` with one token holding its code. */
  answer(id: number) {
    const req = this.requests.find((r) => r.id === id)!;
    const result = { tokens: [[{ content: req.code, offset: 0 }]], fg: '', bg: '' } as unknown as Extract<WorkerResponse, { result: unknown }>['result'];
    for (const l of this.listeners.message ?? []) l({ data: { id, result } satisfies WorkerResponse } as never);
  }
  fail() {
    for (const l of this.listeners.error ?? []) l(new Event('error') as never);
  }
}

const themes: HighlightOptions['themes'] = [codeTheme, codeTheme];
const opts = (code: string, language = 'ts', isIncomplete = false) =>
  ({ code, language, themes, isIncomplete }) as HighlightOptions;
const text = (r: HighlightResult) => r.tokens[0]![0]!.content;

function setup(extra: Partial<Parameters<typeof createWorkerCodePlugin>[0]> = {}) {
  const worker = new FakeWorker();
  const plugin = createWorkerCodePlugin({ themes, createWorker: () => worker, ...extra });
  return { worker, plugin };
}

describe('the worker code plugin', () => {
  it('has the plugin interface, resolves aliases and treats unknown languages as text', () => {
    const { worker, plugin } = setup();
    expect(plugin.name).toBe('shiki');
    expect(plugin.type).toBe('code-highlighter');
    expect(plugin.getThemes()).toBe(themes);
    expect(plugin.supportsLanguage('TS' as never)).toBe(true);
    expect(plugin.supportsLanguage('no-such-lang' as never)).toBe(false);
    expect(plugin.getSupportedLanguages()).toContain('typescript');
    plugin.highlight(opts('a', 'ts'));
    plugin.highlight(opts('b', 'no-such-lang'));
    expect(worker.requests.map((r) => r.lang)).toEqual(['typescript', 'text']);
    // The theme objects go once, before the first request.
    expect(worker.sent[0]).toMatchObject({ type: 'themes', themes: [{ name: 'agent-tokens' }, { name: 'agent-tokens' }] });
    expect(worker.requests[0]).toMatchObject({ light: 'agent-tokens', dark: 'agent-tokens' });
  });

  it('calls back with the worker answer, then answers the same code synchronously from the cache', () => {
    const { worker, plugin } = setup();
    const cb = vi.fn();
    expect(plugin.highlight(opts('const x = 1;'), cb)).toBeNull();
    // A second caller with the same code joins the request.
    const cb2 = vi.fn();
    expect(plugin.highlight(opts('const x = 1;'), cb2)).toBeNull();
    expect(worker.requests).toHaveLength(1);
    worker.answer(worker.requests[0]!.id);
    expect(cb).toHaveBeenCalledOnce();
    expect(cb2).toHaveBeenCalledOnce();
    const again = plugin.highlight(opts('const x = 1;'), vi.fn());
    expect(again && text(again)).toBe('const x = 1;');
    expect(worker.requests).toHaveLength(1);
  });

  it('coalesces a streaming block: one request with the worker, only the newest waits', () => {
    const { worker, plugin } = setup();
    const cbs = ['a', 'ab', 'abc', 'abcd'].map((code) => {
      const cb = vi.fn();
      plugin.highlight(opts(code, 'ts', true), cb);
      return cb;
    });
    expect(worker.requests.map((r) => r.code)).toEqual(['a']);
    worker.answer(worker.requests[0]!.id);
    // 'ab' and 'abc' were superseded and never sent.
    expect(worker.requests.map((r) => r.code)).toEqual(['a', 'abcd']);
    worker.answer(worker.requests[1]!.id);
    expect(cbs[1]).not.toHaveBeenCalled();
    expect(cbs[2]).not.toHaveBeenCalled();
    expect(text(cbs[3]!.mock.calls[0]![0] as HighlightResult)).toBe('abcd');
    // Incomplete answers are not cached.
    expect(plugin.highlight(opts('abcd', 'ts', true))).toBeNull();
    // Another block (not an extension) is not held back.
    plugin.highlight(opts('zzz', 'ts', true));
    expect(worker.requests.map((r) => r.code)).toEqual(['a', 'abcd', 'abcd', 'zzz']);
  });

  it('highlights a conversation’s code ahead, the newest first, and a block that asks joins it, shown at once', () => {
    const { worker, plugin } = setup();
    const older = 'Old:\n```python\nx = 1\n```';
    const newer = 'New:\n```TS\nconst a = 1;\n\n```\n\n~~~bash\nls\n~~~\n\nstill streaming:\n```rust\nfn';
    plugin.ahead([older, newer]);
    // Closed blocks only, as the code block will ask for them (no trailing
    // newline); the newest text's first.
    expect(worker.requests.map((r) => [r.lang, r.code])).toEqual([
      ['typescript', 'const a = 1;'],
      ['shellscript', 'ls'],
      ['python', 'x = 1'],
    ]);
    // Asked again (the chat opening again): nothing new is sent.
    plugin.ahead([older, newer]);
    expect(worker.requests).toHaveLength(3);
    // The code block asks while the worker works: it joins the request.
    const cb = vi.fn();
    expect(plugin.highlight(opts('const a = 1;', 'ts'), cb)).toBeNull();
    expect(worker.requests).toHaveLength(3);
    const before = transitions.count;
    worker.answer(worker.requests[0]!.id);
    expect(text(cb.mock.calls[0]![0] as HighlightResult)).toBe('const a = 1;');
    // Not in a transition, where it would wait for every other one.
    expect(transitions.count).toBe(before);
    // Answered before any block asked: cached, and given at once.
    worker.answer(worker.requests[1]!.id);
    const ls = plugin.highlight(opts('ls', 'sh'), vi.fn());
    expect(ls && text(ls)).toBe('ls');
    // An answer to a block's own request comes in a transition.
    plugin.highlight(opts('other', 'ts'), vi.fn());
    worker.answer(worker.requests.at(-1)!.id);
    expect(transitions.count).toBe(before + 1);
  });

  it('asks ahead for a bounded amount of code', () => {
    const { worker, plugin } = setup();
    const block = (i: number, size = 10) => '```ts\n' + String(i).padEnd(size, 'x') + '\n```';
    plugin.ahead(Array.from({ length: 40 }, (_, i) => block(i)));
    expect(worker.requests).toHaveLength(24);
    expect(worker.requests[0]!.code).toBe('39xxxxxxxx');
    const { worker: w2, plugin: p2 } = setup();
    p2.ahead([block(1, 20_000), block(2, 20_000)]);
    expect(w2.requests.map((r) => r.code[0])).toEqual(['2']);
  });

  it('keeps a bounded LRU', () => {
    const { worker, plugin } = setup({ maxEntries: 2 });
    for (const code of ['one', 'two', 'three']) {
      plugin.highlight(opts(code));
      worker.answer(worker.requests.at(-1)!.id);
    }
    expect(plugin.highlight(opts('one'))).toBeNull();
    expect(plugin.highlight(opts('three'))).not.toBeNull();
  });

  it('leaves code plain without a worker, and once the worker fails', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const none = createWorkerCodePlugin({ themes, createWorker: () => undefined });
    const cb = vi.fn();
    expect(none.highlight(opts('x'), cb)).toBeNull();

    const { worker, plugin } = setup();
    const cb2 = vi.fn();
    plugin.highlight(opts('y'), cb2);
    worker.fail();
    expect(worker.terminate).toHaveBeenCalled();
    worker.answer(worker.requests[0]!.id); // too late: nobody listens
    const cb3 = vi.fn();
    expect(plugin.highlight(opts('z'), cb3)).toBeNull();
    expect(worker.requests).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(cb).not.toHaveBeenCalled();
    expect(cb2).not.toHaveBeenCalled();
    expect(cb3).not.toHaveBeenCalled();
    expect(errors).toHaveBeenCalledWith('[highlight] worker failed, code stays plain:', expect.anything());
    errors.mockRestore();
  });
});

describe('the worker’s handler (highlight-core.ts, in-process)', () => {
  it('highlights with the precompiled grammar on the JavaScript engine, in order, unknown languages as text', async () => {
    const answers: WorkerResponse[] = [];
    const handle = createHighlightHandler((msg) => answers.push(msg));
    handle({ type: 'themes', themes: [codeTheme] });
    const ask = (id: number, code: string, lang: string) =>
      handle({ type: 'highlight', id, code, lang, light: codeTheme.name, dark: codeTheme.name, incomplete: false });
    ask(1, 'const answer: number = 42; // the answer\n', 'typescript');
    ask(2, 'fn main() {}\n', 'rust');
    ask(3, 'plain words\n', 'no-such-language');
    await vi.waitFor(() => expect(answers).toHaveLength(3), { timeout: 10_000 });
    expect(answers.map((a) => a.id)).toEqual([1, 2, 3]);
    const colours = (a: WorkerResponse) =>
      'result' in a ? new Set(a.result.tokens.flat().map((t) => t.htmlStyle?.color ?? t.color)) : new Set();
    const ts = answers[0]!;
    if (!('result' in ts)) throw new Error(`no tokens: ${JSON.stringify(ts)}`);
    expect(ts.result.tokens.flat().map((t) => t.content).join('')).toBe('const answer: number = 42; // the answer');
    expect(colours(ts).size).toBeGreaterThan(2);
    expect([...colours(ts)].some((c) => String(c).includes('--color-code-keyword'))).toBe(true);
    expect(colours(answers[1]!).size).toBeGreaterThan(1);
    expect(colours(answers[2]!).size).toBe(1);
  });
});
