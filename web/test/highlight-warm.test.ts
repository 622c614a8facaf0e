// The highlighting worker's warm-up: the main thread finds the newest code
// block of each language a conversation shows (highlight-worker.ts), and the
// worker's handler (highlight-core.ts, in-process) runs each grammar on it
// before any request. In a file of its own: the test that watches the
// grammars run replaces RegExp.prototype.exec, which leaves V8's regular
// expressions slower for the rest of the file.

import { describe, expect, it, vi } from 'vitest';
import { createHighlightHandler, type WorkerResponse } from '../src/chat/highlight-core';
import { fenceBlocks } from '../src/chat/highlight-worker';
import { codeTheme } from '../src/chat/MarkdownImpl';

describe('the code blocks a conversation shows', () => {
  it('are the newest of each language, the newest text first, at most max', () => {
    const texts = [
      '```python\nx = 1\n```',
      'text\n~~~ Rust\nfn x(){}\n~~~\n    ```indented-is-code\n',
      '```ts\nlet a;\n```\n\n```\nno language\n```\n\n```bash\nls\n```\n````ts title\nconst b = "```";\n````\nafter',
    ];
    expect(fenceBlocks(texts)).toEqual([
      { lang: 'ts', code: 'const b = "```";\n' },
      { lang: 'bash', code: 'ls\n' },
      { lang: 'rust', code: 'fn x(){}\n' },
      { lang: 'python', code: 'x = 1\n' },
    ]);
    expect(fenceBlocks(texts, 2).map((b) => b.lang)).toEqual(['ts', 'bash']);
    expect(fenceBlocks(['no code', '```\nplain\n```'])).toEqual([]);
  });

  it('are what a fence holds: a shorter or other fence inside is code, not a block', () => {
    const md = '````md\nAn example:\n```js\nlet x;\n```\n````\n\n~~~\n```go\n~~~';
    expect(fenceBlocks([md])).toEqual([{ lang: 'md', code: 'An example:\n```js\nlet x;\n```\n' }]);
  });

  it('run to the text’s end while streaming, and keep only the start of a long block', () => {
    expect(fenceBlocks(['```go\nfunc f() {\n'])).toEqual([{ lang: 'go', code: 'func f() {\n' }]);
    expect(fenceBlocks(['Here it comes:\n```python'])).toEqual([{ lang: 'python', code: '' }]);
    expect(fenceBlocks(['```sh\r\nls\r\n```\r\n'])).toEqual([{ lang: 'sh', code: 'ls\r\n' }]);
    const long = fenceBlocks(['```c\n' + 'x++;\n'.repeat(1_000) + '```'])[0]!;
    expect(long.code).toHaveLength(2_000);
    expect(long.code.startsWith('x++;\nx++;')).toBe(true);
    // A fence line that never ends: one pass, as long as the line.
    const token = 'a'.repeat(50_000);
    expect(fenceBlocks(['```' + token])).toEqual([{ lang: token, code: '' }]);
  });
});

/** The distinct regular expressions of the grammars (precompiled for the
 * JavaScript engine: the d and v flags, which nothing else here uses both
 * of) that run while `during` is called and until `done` holds. */
async function grammarRegexesRun(during: () => void, done: (run: Set<RegExp>) => boolean): Promise<Set<RegExp>> {
  const exec = RegExp.prototype.exec;
  const run = new Set<RegExp>();
  const spy = vi.spyOn(RegExp.prototype, 'exec').mockImplementation(function (this: RegExp, s: string) {
    if (this.flags.includes('d') && this.flags.includes('v')) run.add(this);
    return exec.call(this, s);
  });
  try {
    during();
    await vi.waitFor(() => expect(done(run)).toBe(true), { timeout: 10_000 });
  } finally {
    spy.mockRestore();
  }
  return run;
}

describe('the worker’s warm-up', () => {
  it('runs each grammar on its block’s own code before any request', { timeout: 20_000 }, async () => {
    const handle = createHighlightHandler(() => {});
    // Without code, the one-line sample; a grammar's tokenizing is one
    // synchronous call, so once a regex has run the warm-up is done.
    const sample = await grammarRegexesRun(
      () => handle({ type: 'warm', blocks: [{ lang: 'py', code: '' }] }),
      (run) => run.size > 0,
    );
    const code = 'class A:\n    @property\n    def f(self, items):\n        return f"{sum(items)!r}"\n';
    const own = await grammarRegexesRun(
      () => handle({ type: 'warm', blocks: [{ lang: 'py', code }] }),
      (run) => run.size > 0,
    );
    // The block's code reaches rules the sample does not: a class, a
    // decorator, a method, an f-string.
    expect(own.size).toBeGreaterThan(sample.size);
  });

  it('loads a language a fence names by an alias (c++, c#) under its own name', { timeout: 20_000 }, async () => {
    const handle = createHighlightHandler(() => {});
    for (const lang of ['c++', 'c#']) {
      // Nothing to run unless the alias found its grammar (there is no
      // `c++.mjs`: the file is cpp's).
      const run = await grammarRegexesRun(
        () => handle({ type: 'warm', blocks: [{ lang, code: 'int main() { return 0; }\n' }] }),
        (r) => r.size > 0,
      );
      expect(run.size).toBeGreaterThan(0);
    }
  });

  it('answers nothing, and what it loaded highlights', { timeout: 20_000 }, async () => {
    const answers: WorkerResponse[] = [];
    const handle = createHighlightHandler((msg) => answers.push(msg));
    handle({
      type: 'warm',
      blocks: [
        { lang: 'py', code: '' },
        { lang: '../../etc/passwd', code: 'x' },
        { lang: 'no-such-language', code: 'x' },
      ],
    });
    handle({ type: 'themes', themes: [codeTheme] });
    handle({ type: 'highlight', id: 7, code: 'def f():\n    return 1\n', lang: 'python', light: codeTheme.name, dark: codeTheme.name, incomplete: false });
    await vi.waitFor(() => expect(answers).toHaveLength(1), { timeout: 10_000 });
    const [answer] = answers;
    if (!answer || !('result' in answer)) throw new Error(`no tokens: ${JSON.stringify(answer)}`);
    expect(answer.id).toBe(7);
    expect(new Set(answer.result.tokens.flat().map((t) => t.htmlStyle?.color)).size).toBeGreaterThan(2);
  });
});
