// Streamdown's block component, with the parsing done in a Web Worker
// (markdown.worker.ts). In streaming mode Streamdown splits an answer into
// blocks (paragraphs, lists, code fences...) and renders each with its
// `BlockComponent`, memoised on the block's text; its own `Block` parses the
// block on the main thread. A fast stream brings tens of new blocks per
// render, and parsing them is most of the render: 100–200 ms tasks for an
// unpaced 55 kB answer. Here the worker parses, and the main thread does what
// Streamdown's Block does after parsing, with the same plugins it is handed:
// the remark transforms (raw HTML as text, code meta), remark-rehype,
// rehype-sanitize, the URL transform, then React elements with the same
// components. test/markdown-blocks.test.ts renders both ways and compares.
//
// A small block (up to 1,000 characters, within a budget of 2,000 characters
// per 50 ms) is parsed here instead, with the same parser, before the
// browser paints (the growing last block in its render, the newest two new
// blocks right after the commit that adds them): a stream at a model's pace
// brings a few small blocks per render, which then wait no round trip.
//
// A block whose tree has not arrived shows what it showed before (the
// growing last block keeps its previous text for one round trip) or its
// text as written (a new block). A new block is asked of the worker when it
// comes near the visible part of its list, or when the page is idle, the
// newest first (near-first.ts): of a burst's hundreds of blocks the list
// shows the last few. Parsed trees are cached by text in a bounded LRU. An
// incomplete code fence (Streamdown tells its code block through a context
// this component cannot reach), options this path does not implement, no
// Worker (jsdom) or a failed worker: Streamdown's own Block.

import type { Element as HastElement, Nodes as HastNodes, Root as HastRoot } from 'hast';
import { toJsxRuntime } from 'hast-util-to-jsx-runtime';
import { urlAttributes } from 'html-url-attributes';
import type { Nodes as MdastNodes, Root as MdastRoot } from 'mdast';
import { memo, startTransition, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ComponentType } from 'react';
import { flushSync } from 'react-dom';
import { Fragment, jsx, jsxs } from 'react/jsx-runtime';
import remarkParse from 'remark-parse';
import remarkRehype from 'remark-rehype';
import { Block, defaultRehypePlugins, type BlockProps } from 'streamdown';
import { unified, type PluggableList, type Processor } from 'unified';
import type { ParseRequest, ParseResponse } from './markdown.worker';
import { parseMarkdownBlock } from './markdown-parse';
import { NearFirst, type NearFirstOptions } from './near-first';
import { LazyWorker, type WorkerLike } from './worker-client';

/** The markdown worker, as the client sees it (tests pass a fake). */
export type ParseWorkerLike = WorkerLike<ParseRequest, ParseResponse>;

export interface WorkerBlockOptions extends NearFirstOptions {
  /** Creates the worker; undefined where workers are unavailable. */
  createWorker?: () => ParseWorkerLike | undefined;
  /** Characters of block text whose trees are kept (LRU). */
  maxChars?: number;
  /** The longest block parsed on the main thread (0: none). */
  hereMaxChars?: number;
  /** Characters parsed on the main thread per HERE_WINDOW_MS at most. */
  hereBudget?: number;
}

// Parsing here costs ~3 µs a character (micromark with GFM, in V8):
// at most ~6 ms of parsing per 50 ms, the stream's render interval.
const HERE_MAX_CHARS = 1_000;
const HERE_BUDGET = 2_000;
const HERE_WINDOW_MS = 50;
/** New blocks parsed here per commit at most, the newest: a model's pace
 * brings one or two; a burst brings tens, of which the list shows the last
 * few for a frame before the next commit scrolls them away. */
const HERE_PER_COMMIT = 2;

function defaultCreateWorker(): ParseWorkerLike | undefined {
  if (typeof Worker === 'undefined') return undefined;
  return new Worker(new URL('./markdown.worker.ts', import.meta.url), { type: 'module', name: 'markdown' }) as unknown as ParseWorkerLike;
}

/** The worker, its answers by block text, and who waits for them. */
class ParseClient {
  private readonly worker: LazyWorker<ParseRequest, ParseResponse>;
  private nextId = 1;
  private readonly inFlight = new Map<number, string>();
  private readonly pending = new Set<string>();
  private readonly trees = new Map<string, MdastRoot>();
  private chars = 0;
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly maxChars: number;
  private readonly hereMaxChars: number;
  private readonly hereBudget: number;
  private windowStart = -Infinity;
  private usedHere = 0;

  constructor(opts: WorkerBlockOptions) {
    this.maxChars = opts.maxChars ?? 1_000_000;
    this.hereMaxChars = opts.hereMaxChars ?? HERE_MAX_CHARS;
    this.hereBudget = opts.hereBudget ?? HERE_BUDGET;
    this.worker = new LazyWorker({
      tag: '[markdown]',
      without: 'parsing on the main thread',
      create: opts.createWorker ?? defaultCreateWorker,
      onMessage: (msg) => this.onMessage(msg),
      onFail: () => {
        this.inFlight.clear();
        this.pending.clear();
        for (const set of [...this.listeners.values()]) set.forEach((l) => l());
      },
    });
  }

  /** Whether blocks can be parsed in the worker (starting it on first use). */
  usable(): boolean {
    return this.worker.get() !== undefined;
  }

  peek(text: string): MdastRoot | undefined {
    return this.trees.get(text);
  }

  /** Sends `text` to the worker unless its tree is known or on its way;
   * settles when it is known (or the worker has failed). */
  requested(text: string): Promise<void> {
    const worker = this.worker.get();
    if (!worker || this.trees.has(text)) return Promise.resolve();
    if (!this.pending.has(text)) {
      const id = this.nextId++;
      this.inFlight.set(id, text);
      this.pending.add(text);
      worker.postMessage({ id, text });
    }
    return new Promise((resolve) => {
      const unsubscribe = this.subscribe(text, () => {
        unsubscribe();
        resolve();
      });
    });
  }

  /**
   * Parses `text` on this thread, now, when it is small and this window's
   * budget allows; its tree is kept as the worker's answer would be. A
   * stream's blocks usually come a few small ones per render, which wait no
   * round trip this way; a burst's go on to the worker.
   */
  parseHere(text: string): MdastRoot | undefined {
    if (text.length > this.hereMaxChars) return undefined;
    const now = performance.now();
    if (now - this.windowStart >= HERE_WINDOW_MS) {
      this.windowStart = now;
      this.usedHere = 0;
    }
    if (this.usedHere + text.length > this.hereBudget) return undefined;
    this.usedHere += text.length;
    const tree = parseMarkdownBlock(text);
    this.keep(text, tree);
    return tree;
  }

  private keep(text: string, tree: MdastRoot) {
    if (!this.trees.has(text)) this.chars += text.length;
    this.trees.set(text, tree);
    for (const old of this.trees.keys()) {
      if (this.chars <= this.maxChars || this.trees.size <= 1) break;
      if (this.listeners.has(old)) continue; // shown now: kept
      this.trees.delete(old);
      this.chars -= old.length;
    }
  }

  subscribe(text: string, listener: () => void): () => void {
    let set = this.listeners.get(text);
    if (!set) this.listeners.set(text, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(text) === set) this.listeners.delete(text);
    };
  }

  private onMessage(msg: ParseResponse) {
    const text = this.inFlight.get(msg.id);
    if (text === undefined) return;
    this.inFlight.delete(msg.id);
    this.pending.delete(text);
    if ('error' in msg) {
      // Not expected (micromark parses any text); Streamdown's Block shows it.
      console.error('[markdown] the worker could not parse a block:', msg.error);
      this.worker.fail(msg.error);
      return;
    }
    // Too deep to send back (markdown.worker.ts): this one block is parsed
    // here; the worker goes on with the others.
    const tree = 'unsent' in msg ? parseMarkdownBlock(text) : msg.tree;
    this.keep(text, tree);
    this.listeners.get(text)?.forEach((l) => l());
  }

  failed(): boolean {
    return this.worker.failed();
  }
}

// Streamdown's processor for a block, without the parser (the worker's):
// remark plugins, raw HTML as text unless rehype-raw is there (Streamdown
// adds the same), remark-rehype keeping raw nodes for rehype, rehype plugins.
const rehypeRaw = defaultRehypePlugins.raw;
const usesRaw = (list: PluggableList) => list.some((p) => (Array.isArray(p) ? p[0] === rehypeRaw : p === rehypeRaw));

function htmlAsText(node: MdastNodes): void {
  if (!('children' in node)) return;
  node.children.forEach((child, i) => {
    if (child.type === 'html') node.children[i] = { type: 'text', value: child.value };
    else htmlAsText(child);
  });
}
/** remark plugin: every raw HTML node becomes a text node. */
export const remarkHtmlAsText = () => (tree: MdastRoot) => htmlAsText(tree);

type BlockProcessor = Processor<MdastRoot, MdastRoot, HastRoot, undefined, undefined>;
const processors = new WeakMap<PluggableList, WeakMap<PluggableList, BlockProcessor>>();
const EMPTY: PluggableList = [];

function processorFor(remark: PluggableList = EMPTY, rehype: PluggableList = EMPTY, remarkRehypeOptions?: object): BlockProcessor {
  const make = () =>
    unified()
      .use(remarkParse)
      .use(usesRaw(rehype) ? remark : [...remark, remarkHtmlAsText])
      .use(remarkRehype, { allowDangerousHtml: true, ...remarkRehypeOptions })
      .use(rehype)
      .freeze() as unknown as BlockProcessor;
  if (remarkRehypeOptions) return make();
  let inner = processors.get(remark);
  if (!inner) processors.set(remark, (inner = new WeakMap()));
  let p = inner.get(rehype);
  if (!p) inner.set(rehype, (p = make()));
  return p;
}

type UrlTransform = BlockProps['urlTransform'];

// Each tree's finished hast, per processor and URL transform (a tree is
// transformed once; a block re-rendered with new components reuses it).
const hasts = new WeakMap<MdastRoot, { processor: BlockProcessor; urlTransform: UrlTransform; hast: HastRoot }>();

function hastOf(tree: MdastRoot, text: string, processor: BlockProcessor, urlTransform: UrlTransform): HastRoot {
  const known = hasts.get(tree);
  if (known?.processor === processor && known.urlTransform === urlTransform) return known.hast;
  // The transforms change the tree in place: a copy, so the cached tree stays
  // as the worker parsed it.
  const hast = processor.runSync(structuredClone(tree), text);
  finish(hast, urlTransform);
  hasts.set(tree, { processor, urlTransform, hast });
  return hast;
}

/** What Streamdown does to the hast before React: raw nodes become text
 * (skipHtml is off), URL attributes go through `urlTransform`. */
function finish(node: HastNodes, urlTransform: UrlTransform): void {
  if (!('children' in node)) return;
  node.children.forEach((child, i) => {
    if (child.type === 'raw') {
      (node.children as HastNodes[])[i] = { type: 'text', value: child.value };
      return;
    }
    if (child.type === 'element') {
      if (urlTransform) transformUrls(child, urlTransform);
      finish(child, urlTransform);
    }
  });
}

function transformUrls(el: HastElement, urlTransform: NonNullable<UrlTransform>) {
  for (const [key, tags] of Object.entries(urlAttributes)) {
    if (!Object.hasOwn(el.properties, key)) continue;
    if (tags !== null && !tags.includes(el.tagName)) continue;
    el.properties[key] = urlTransform(String(el.properties[key] ?? ''), key, el) ?? undefined;
  }
}

/** A `BlockComponent` that parses in a worker, and what starts that worker
 * ahead of its first use. */
export type WorkerBlockComponent = ComponentType<BlockProps> & {
  /** Starts the worker now if it has not started: a worker's start (a new
   * isolate, its module fetched, compiled and run) took ~100 ms of wall
   * time in a fresh window, and the blocks of the first fast answer waited
   * for it (the stream bench's cold catch-up). */
  startWorker(): void;
};

/** A new block shown as written, waiting for its first tree. */
interface Fresh {
  text: string;
  el: Element;
  show: (tree: MdastRoot) => void;
  cancelled: boolean;
  cancel: () => void;
}

/**
 * Streamdown's `BlockComponent` with parsing in a worker; one worker and cache
 * per call (MarkdownImpl makes one for the app).
 */
export function createWorkerBlock(opts: WorkerBlockOptions = {}): WorkerBlockComponent {
  const client = new ParseClient(opts);
  const nearFirst = new NearFirst(opts);

  // New blocks shown as written by the commit just made, in render order:
  // after it (a microtask, before the browser paints) the newest small ones
  // are parsed here, and the others wait for near-first.ts's turn.
  let fresh: Fresh[] = [];
  const settleFresh = () => {
    const list = fresh;
    fresh = [];
    // The newest (the answer's end) parsed here, within the budget.
    const here = new Map<Fresh, MdastRoot>();
    for (const f of list.filter((f) => !f.cancelled).slice(-HERE_PER_COMMIT)) {
      const tree = client.peek(f.text) ?? client.parseHere(f.text);
      if (tree) here.set(f, tree);
    }
    for (const f of list) {
      if (!f.cancelled && !here.has(f))
        f.cancel = nearFirst.schedule(
          f.el,
          () => client.requested(f.text),
          () => {
            const known = client.peek(f.text);
            if (known && !f.cancelled) f.show(known);
          },
        );
    }
    // Shown in the same frame, as a block parsed during its render would be.
    if (here.size > 0) flushSync(() => here.forEach((tree, f) => f.show(tree)));
  };

  function WorkerBlock(props: BlockProps) {
    const { content, isIncomplete, components, remarkPlugins, rehypePlugins, remarkRehypeOptions, urlTransform, dir } = props;
    // Options Streamdown's Block implements and this path does not.
    const plain =
      !props.allowElement &&
      !props.allowedElements &&
      !props.disallowedElements &&
      !props.skipHtml &&
      !props.unwrapDisallowed &&
      !props.animatePlugin;
    const viaWorker = plain && !isIncomplete && client.usable();
    // The last tree that arrived for this block, shown until the current
    // text's arrives. State set from the worker's answer, in a transition,
    // not an external store: a store read by a render that React time-slices
    // (a streamed answer's text is deferred) and changed before it commits
    // makes React redo that render in one blocking task; a transition is
    // batched with the others and yields.
    const [arrived, setArrived] = useState<{ tree: MdastRoot; text: string } | undefined>(undefined);
    // The tree, when the cache has it (a cache fill: reading it here shows
    // no older text than the state would). A block that has shown markdown
    // and grown (the answer's last) is parsed here, now, when it is small:
    // it is what the user is reading. A new block is not: most of a burst's
    // are out of sight (settleFresh above).
    const known = viaWorker ? (client.peek(content) ?? (arrived ? client.parseHere(content) : undefined)) : undefined;
    const [, setFailed] = useState(false);
    // The block's text as written, while it is shown so (near-first.ts).
    const asWritten = useRef<HTMLDivElement | null>(null);
    const watch = useCallback((el: HTMLDivElement | null) => {
      asWritten.current = el;
      if (!el) return;
      const unwatch = nearFirst.watch(el);
      return () => {
        unwatch();
        if (asWritten.current === el) asWritten.current = null;
      };
    }, []);
    // Not known: parsed here after the commit, or asked of the worker.
    const needed = viaWorker && !known;
    useLayoutEffect(() => {
      if (!needed) return;
      const el = asWritten.current;
      if (!el) {
        // Grown, and showing its last markdown meanwhile: at once.
        void client.requested(content);
        return;
      }
      const f: Fresh = { text: content, el, show: (tree) => setArrived({ tree, text: content }), cancelled: false, cancel: () => {} };
      if (fresh.length === 0) queueMicrotask(settleFresh);
      fresh.push(f);
      return () => {
        f.cancelled = true;
        f.cancel();
      };
    }, [needed, content]);
    useEffect(() => {
      if (!viaWorker) return;
      const update = () => {
        if (client.failed()) {
          setFailed(true); // every block: Streamdown's Block
          return;
        }
        // A new block shown as written: near-first.ts shows it, with others.
        if (asWritten.current) return;
        const tree = client.peek(content);
        if (tree) startTransition(() => setArrived((a) => (a?.tree === tree ? a : { tree, text: content })));
      };
      const unsubscribe = client.subscribe(content, update);
      update(); // it may have arrived between the render and now
      return unsubscribe;
    }, [content, viaWorker]);
    const shown = known ? { tree: known, text: content } : arrived;
    const processor = processorFor(remarkPlugins, rehypePlugins, remarkRehypeOptions);
    const shownTree = shown?.tree;
    const shownText = shown?.text;
    const element = useMemo(() => {
      if (!viaWorker || !shownTree || shownText === undefined) return null;
      return toJsxRuntime(hastOf(shownTree, shownText, processor, urlTransform), {
        Fragment,
        components,
        ignoreInvalidStyle: true,
        jsx,
        jsxs,
        passKeys: true,
        passNode: true,
      });
    }, [viaWorker, shownTree, shownText, processor, components, urlTransform]);
    if (!viaWorker) return <Block {...props} />;
    // Not parsed yet: the text as written, so that no part of an answer is
    // ever missing from the page. A fast answer's blocks come back from the
    // worker ~0.5–1 s after its last delta (the stream bench), and a
    // finished answer showed holes until then.
    const body = element ?? (
      <div className="md-pending" ref={watch}>
        {content}
      </div>
    );
    return dir ? (
      <div dir={dir} style={{ display: 'contents' }}>
        {body}
      </div>
    ) : (
      body
    );
  }

  // Streamdown's Block is memoised on its text and options; so is this.
  const component = memo(
    WorkerBlock,
    (a, b) =>
      a.content === b.content &&
      a.isIncomplete === b.isIncomplete &&
      a.components === b.components &&
      a.remarkPlugins === b.remarkPlugins &&
      a.rehypePlugins === b.rehypePlugins &&
      a.urlTransform === b.urlTransform &&
      a.dir === b.dir,
  );
  return Object.assign(component, { startWorker: () => void client.usable() });
}
