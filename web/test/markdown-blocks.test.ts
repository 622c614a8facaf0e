// @vitest-environment jsdom
//
// Streamed answers' blocks parsed in a worker (src/chat/blocks.tsx): the
// same DOM as Streamdown's own Block for every kind of block (model output is
// untrusted, so the hostile ones too), what a block shows while its tree is
// on its way, one request per block text, small blocks parsed on the main
// thread within a budget, and Streamdown's Block when the worker fails. The "worker" here runs the real parser (markdown-parse.ts,
// the module markdown.worker.ts runs) in this process, answering after a
// macrotask as a worker's message would.

import { act, createElement, type ComponentType } from 'react';
import remarkGfm from 'remark-gfm';
import { Block, defaultRemarkPlugins, Streamdown, type BlockProps } from 'streamdown';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createWorkerBlock, type ParseWorkerLike } from '../src/chat/blocks';
import { ExternalLinkContext } from '../src/chat/links';
import { parseMarkdownBlock } from '../src/chat/markdown-parse';
import type { ParseRequest, ParseResponse } from '../src/chat/markdown.worker';
import { streamdownProps } from '../src/chat/MarkdownImpl';
import { mountPerTest } from './dom';

declare global {
  interface Window {
    __pwned?: number;
  }
}

const mount = mountPerTest();

class InProcessWorker implements ParseWorkerLike {
  sent: ParseRequest[] = [];
  /** Answers only when told to (`flush`), not on its own. */
  manual = false;
  private queue: ParseRequest[] = [];
  private listeners: Record<string, ((e: never) => void)[]> = {};
  postMessage(message: ParseRequest) {
    this.sent.push(message);
    this.queue.push(message);
    if (!this.manual) setTimeout(() => this.flush(), 0);
  }
  addEventListener(type: string, listener: (e: never) => void) {
    (this.listeners[type] ??= []).push(listener);
  }
  terminate = vi.fn();
  /** Texts whose trees it cannot send back (as the real worker answers a
   * tree too deep for structured cloning). */
  unsendable = new Set<string>();
  flush() {
    for (const { id, text } of this.queue.splice(0)) {
      const data: ParseResponse = this.unsendable.has(text)
        ? { id, unsent: 'RangeError: Maximum call stack size exceeded' }
        : { id, tree: structuredClone(parseMarkdownBlock(text)) };
      for (const l of this.listeners.message ?? []) l({ data } as never);
    }
  }
  fail() {
    for (const l of this.listeners.error ?? []) l(new Event('error') as never);
  }
}

/** An IntersectionObserver the test drives: `report` says which of the
 * watched elements are near (by their text), as a real one would after a
 * layout. */
class FakeIntersectionObserver {
  static last: FakeIntersectionObserver | undefined;
  readonly targets = new Set<Element>();
  constructor(private readonly callback: (entries: { target: Element; isIntersecting: boolean }[]) => void) {
    FakeIntersectionObserver.last = this;
  }
  observe(el: Element) {
    this.targets.add(el);
  }
  unobserve(el: Element) {
    this.targets.delete(el);
  }
  disconnect() {
    this.targets.clear();
  }
  report(near: (text: string) => boolean) {
    this.callback([...this.targets].map((target) => ({ target, isIntersecting: near(target.textContent?.trim() ?? '') })));
  }
}

/** The page's IntersectionObserver, idle callbacks and clock (timers), and a
 * worker that answers, all when the test says. */
function nearAndIdleDrivenByTheTest() {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  onTestFinished(() => void vi.useRealTimers());
  vi.stubGlobal('IntersectionObserver', FakeIntersectionObserver);
  const idle: (() => void)[] = [];
  vi.stubGlobal('requestIdleCallback', (fn: () => void) => idle.push(fn));
  vi.stubGlobal('cancelIdleCallback', () => {});
  const worker = new InProcessWorker();
  worker.manual = true;
  return { idle, worker };
}

function render(text: string, BlockComponent: ComponentType<BlockProps>, streaming = false) {
  const open = vi.fn(() => true);
  act(() => {
    mount.root.render(
      createElement(
        ExternalLinkContext.Provider,
        { value: open },
        createElement(Streamdown, {
          ...streamdownProps,
          mode: 'streaming',
          isAnimating: streaming,
          parseIncompleteMarkdown: streaming,
          BlockComponent,
          children: text,
        }),
      ),
    );
  });
}

/** Waits until the container has not changed for three ticks (answers,
 * highlighting). */
async function settle(): Promise<string> {
  let last = '';
  let same = 0;
  for (let i = 0; i < 200 && same < 3; i++) {
    await act(async () => {
      await new Promise((r) => setTimeout(r, 30));
    });
    const now = mount.container.innerHTML;
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

const corpus: Record<string, string> = {
  paragraphs: 'One **bold**, _em_, ~~struck~~, `code` and a\nsoft break.\n\nSecond paragraph.',
  headings: '# One\n\n## Two\n\n### Three\n\nSetext\n======',
  lists: '- a\n- b\n  - nested\n\n1. first\n2. second\n\n- [ ] todo\n- [x] done',
  quote: '> quoted **text**\n> more\n\n---\n\nAfter a rule.',
  table: '| left | right |\n| :--- | ---: |\n| `a` | **b** |\n| c | d |',
  code: '```ts title="x.ts"\nconst a: number = 1;\n```\n\n```\nplain\n```\n\n    indented code',
  links: '[site](https://example.com "T") <https://example.org> www.example.net and a@b.co\n\n[bad](javascript:alert(1)) [data](data:text/html,x) [file](file:///etc/passwd)',
  images: '![alt text](https://example.com/a.png) ![](http://x/y.gif)',
  footnotes: 'A note[^1].\n\n[^1]: The note.',
  references: 'See [the ref][r].\n\n[r]: https://example.com/ref',
  html: '<script>window.__pwned = 1</script>\n\n<img src=x onerror="window.__pwned = 2">\n\nText <iframe src="https://evil"></iframe> <b onclick="x()">b</b>',
  entities: '&amp; &copy; &#x27; \\*not em\\*',
};

describe('blocks parsed in a worker', () => {
  it('parse with the parser of Streamdown’s default remark plugins', () => {
    // remark-gfm is the only default plugin that adds syntax; the worker's
    // copy must be the same module with the same options.
    expect(defaultRemarkPlugins.gfm).toEqual([remarkGfm, {}]);
  });

  for (const [name, text] of Object.entries(corpus)) {
    it(`render ${name} as Streamdown's Block does`, async () => {
      render(text, Block);
      const expected = await settle();
      mount.remount();
      const worker = new InProcessWorker();
      render(text, createWorkerBlock({ createWorker: () => worker, hereMaxChars: 0 }));
      const actual = await settle();
      expect(worker.sent.length).toBeGreaterThan(0);
      expect(actual).toBe(expected);
      // Small blocks parsed on this thread instead (the newest two of a
      // commit; the others in the worker): the same again.
      mount.remount();
      const idle = new InProcessWorker();
      render(text, createWorkerBlock({ createWorker: () => idle }));
      expect(await settle()).toBe(expected);
      expect(idle.sent.length).toBe(Math.max(0, worker.sent.length - 2));
      expect(actual.length).toBeGreaterThan(20);
      // Hostile HTML stays text.
      expect(window.__pwned).toBeUndefined();
      expect(mount.container.querySelectorAll('script, iframe, img').length).toBe(0);
      for (const el of mount.container.querySelectorAll('*')) {
        for (const attr of el.getAttributeNames()) expect(attr.startsWith('on')).toBe(false);
      }
    });
  }

  it('show a block as written until its tree arrives, then as markdown, and a grown block’s last rendering until then', async () => {
    const worker = new InProcessWorker();
    worker.manual = true;
    const WorkerBlock = createWorkerBlock({ createWorker: () => worker, hereMaxChars: 0 });
    render('First **paragraph**.\n\nSecond', WorkerBlock, true);
    await settle();
    // Nothing parsed yet: each block's text as written, both asked for.
    expect(mount.container.querySelectorAll('p')).toHaveLength(0);
    const pending = () => [...mount.container.querySelectorAll('.md-pending')].map((p) => p.textContent?.trim());
    expect(pending()).toEqual(['First **paragraph**.', 'Second']);
    // (With no IntersectionObserver here, both at once: see the tests of
    // blocks near and far below.)
    expect(worker.sent.map((r) => r.text.trim())).toEqual(['First **paragraph**.', 'Second']);
    await act(async () => worker.flush());
    expect([...mount.container.querySelectorAll('p')].map((p) => p.textContent)).toEqual(['First paragraph.', 'Second']);
    expect(mount.container.querySelector('p strong')?.textContent).toBe('paragraph');
    expect(pending()).toEqual([]);

    // The last block grows: it keeps "Second" until "Second block" is parsed;
    // the first block is not asked for again.
    render('First **paragraph**.\n\nSecond block', WorkerBlock, true);
    await settle();
    expect([...mount.container.querySelectorAll('p')].map((p) => p.textContent)).toEqual(['First paragraph.', 'Second']);
    expect(worker.sent.map((r) => r.text.trim())).toEqual(['First **paragraph**.', 'Second', 'Second block']);
    act(() => worker.flush());
    expect([...mount.container.querySelectorAll('p')].map((p) => p.textContent)).toEqual(['First paragraph.', 'Second block']);
  });

  it('parse a block here whose tree the worker could not send back, and keep the worker for the others', async () => {
    const worker = new InProcessWorker();
    worker.manual = true;
    const WorkerBlock = createWorkerBlock({ createWorker: () => worker, hereMaxChars: 0 });
    const deep = '- - - - deep';
    worker.unsendable.add(deep);
    render(`${deep}\n\nAfter **it**.`, WorkerBlock, true);
    await settle();
    await act(async () => worker.flush());
    await settle();
    expect(mount.container.querySelectorAll('ul').length).toBe(4);
    expect(mount.container.querySelector('p strong')?.textContent).toBe('it');
    expect(worker.terminate).not.toHaveBeenCalled();
    // The next block still goes to the worker.
    render(`${deep}\n\nAfter **it**.\n\nMore.`, WorkerBlock, true);
    await settle();
    expect(worker.sent.at(-1)?.text.trim()).toBe('More.');
  });

  it('parse small blocks here at once, up to a budget; longer ones and the rest in the worker', async () => {
    const worker = new InProcessWorker();
    worker.manual = true;
    const long = 'A paragraph longer than the forty characters parsed here.';
    render(`Short one.\n\n${long}`, createWorkerBlock({ createWorker: () => worker, hereMaxChars: 40 }), true);
    await settle();
    expect([...mount.container.querySelectorAll('p')].map((p) => p.textContent)).toEqual(['Short one.']);
    expect(worker.sent.map((r) => r.text.trim())).toEqual([long]);
    act(() => worker.flush());
    await settle();
    expect([...mount.container.querySelectorAll('p')].map((p) => p.textContent)).toEqual(['Short one.', long]);

    // A budget of 24 characters (per 50 ms): two of the three blocks, the
    // newest (the answer's end, what the list shows), in the render's own
    // task: a microtask after its commit.
    mount.remount();
    const second = new InProcessWorker();
    second.manual = true;
    render('Short one.\n\nShort two.\n\nShort three.', createWorkerBlock({ createWorker: () => second, hereBudget: 24 }), true);
    await act(() => Promise.resolve());
    expect([...mount.container.querySelectorAll('p')].map((p) => p.textContent)).toEqual(['Short two.', 'Short three.']);
    expect(second.sent.map((r) => r.text.trim())).toEqual(['Short one.']);
  });

  it('parse the blocks near what the list shows first, and the others newest first, a few at a time, when the page is idle', async () => {
    const { idle, worker } = nearAndIdleDrivenByTheTest();
    const texts = Array.from({ length: 9 }, (_, i) => `Block ${i + 1}.`);
    render(texts.join('\n\n'), createWorkerBlock({ createWorker: () => worker, hereMaxChars: 0 }), true);
    await act(() => Promise.resolve());
    const sent = () => worker.sent.map((r) => r.text.trim());
    const shown = () => [...mount.container.querySelectorAll('p')].map((p) => p.textContent);
    const pending = () => mount.container.querySelectorAll('.md-pending').length;
    // Nothing said near yet: all as written, none asked for.
    expect(pending()).toBe(9);
    expect(sent()).toEqual([]);

    // The last two near (the list at the answer's end): asked for once no
    // block has come for 100 ms (in a burst, blocks come at each render and
    // those near now are scrolled away by the next), and shown when back.
    const observer = FakeIntersectionObserver.last!;
    expect(observer.targets.size).toBe(9);
    act(() => observer.report((t) => t === 'Block 8.' || t === 'Block 9.'));
    act(() => vi.advanceTimersByTime(99));
    expect(sent()).toEqual([]);
    act(() => vi.advanceTimersByTime(1));
    expect(sent()).toEqual(['Block 8.', 'Block 9.']);
    await act(async () => worker.flush());
    expect(shown()).toEqual(['Block 8.', 'Block 9.']);
    // Shown as markdown, they are no longer watched.
    expect(observer.targets.size).toBe(7);

    // Idle: the newest six of the others; the next batch only once they are
    // back and shown.
    expect(idle).toHaveLength(1);
    act(() => idle.shift()!());
    expect(sent().slice(2)).toEqual(['Block 7.', 'Block 6.', 'Block 5.', 'Block 4.', 'Block 3.', 'Block 2.']);
    expect(idle).toHaveLength(0);
    await act(async () => worker.flush());
    expect(shown()).toEqual(texts.slice(1));
    expect(idle).toHaveLength(1);
    act(() => idle.shift()!());
    await act(async () => worker.flush());
    expect(shown()).toEqual(texts);
    expect(pending()).toBe(0);
    expect(idle).toHaveLength(0);
    expect(observer.targets.size).toBe(0);
  });

  it('keep the near blocks waiting while new blocks keep coming (a burst), and start them 100 ms after the last', async () => {
    const { worker } = nearAndIdleDrivenByTheTest();
    const WorkerBlock = createWorkerBlock({ createWorker: () => worker, hereMaxChars: 0 });
    const sent = () => worker.sent.map((r) => r.text.trim());
    render('One.\n\nTwo.', WorkerBlock, true);
    await act(() => Promise.resolve());
    const observer = FakeIntersectionObserver.last!;
    act(() => observer.report(() => true));
    act(() => vi.advanceTimersByTime(60));
    // The next render brings another block: the wait starts again.
    render('One.\n\nTwo.\n\nThree.', WorkerBlock, true);
    await act(() => Promise.resolve());
    act(() => observer.report(() => true));
    act(() => vi.advanceTimersByTime(99));
    expect(sent()).toEqual([]);
    act(() => vi.advanceTimersByTime(1));
    expect(sent()).toEqual(['One.', 'Two.', 'Three.']);
    await act(async () => worker.flush());
    expect([...mount.container.querySelectorAll('p')].map((p) => p.textContent)).toEqual(['One.', 'Two.', 'Three.']);
  });

  it('parse a block that comes near while it waits for idle time at once', async () => {
    const { idle, worker } = nearAndIdleDrivenByTheTest();
    render('Far above.\n\nScrolled to.\n\nAt the end.', createWorkerBlock({ createWorker: () => worker, hereMaxChars: 0 }), true);
    await act(() => Promise.resolve());
    const observer = FakeIntersectionObserver.last!;
    act(() => observer.report((t) => t === 'At the end.'));
    act(() => vi.advanceTimersByTime(100));
    await act(async () => worker.flush());
    // The user scrolls up: the block now near is asked for at once (no
    // block has come for 100 ms), not the one still far, though the page
    // has not been idle.
    act(() => observer.report((t) => t === 'Scrolled to.'));
    expect(worker.sent.map((r) => r.text.trim())).toEqual(['At the end.', 'Scrolled to.']);
    expect(idle).toHaveLength(1); // asked for, not run
    await act(async () => worker.flush());
    expect([...mount.container.querySelectorAll('p')].map((p) => p.textContent)).toEqual(['Scrolled to.', 'At the end.']);
    expect(mount.container.querySelector('.md-pending')?.textContent?.trim()).toBe('Far above.');
  });

  it('start their worker ahead of the first block when asked, once, and use that worker', async () => {
    const worker = new InProcessWorker();
    const createWorker = vi.fn(() => worker);
    const WorkerBlock = createWorkerBlock({ createWorker, hereMaxChars: 0 });
    expect(createWorker).not.toHaveBeenCalled();
    WorkerBlock.startWorker();
    WorkerBlock.startWorker();
    expect(createWorker).toHaveBeenCalledOnce();
    expect(worker.sent).toHaveLength(0);
    render('Parsed by the started worker.', WorkerBlock, true);
    await settle();
    expect(createWorker).toHaveBeenCalledOnce();
    expect(worker.sent.map((r) => r.text.trim())).toEqual(['Parsed by the started worker.']);
    expect(mount.container.querySelector('p')?.textContent).toBe('Parsed by the started worker.');
  });

  it('render an incomplete code fence with Streamdown’s Block, at once', async () => {
    const worker = new InProcessWorker();
    worker.manual = true;
    render('```js\nconst x = 1;\n', createWorkerBlock({ createWorker: () => worker, hereMaxChars: 0 }), true);
    await settle();
    expect(mount.container.querySelector('pre code')?.textContent).toContain('const x = 1;');
    expect(worker.sent).toHaveLength(0);
  });

  it('fall back to Streamdown’s Block when the worker fails, and without Worker', async () => {
    const worker = new InProcessWorker();
    worker.manual = true;
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    render('Waiting **here**.', createWorkerBlock({ createWorker: () => worker, hereMaxChars: 0 }), true);
    await settle();
    expect(mount.container.querySelector('strong')).toBeNull();
    act(() => worker.fail());
    await settle();
    expect(mount.container.querySelector('strong')?.textContent).toBe('here');
    expect(worker.terminate).toHaveBeenCalled();

    mount.remount();
    render('No **worker**.', createWorkerBlock({ createWorker: () => undefined }), true);
    await settle();
    expect(mount.container.querySelector('strong')?.textContent).toBe('worker');
    errors.mockRestore();
  });
});
