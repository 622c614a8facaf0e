// Which of a streamed answer's blocks are parsed first (blocks.tsx). A new
// block shown as written (its parse tree not known yet) is parsed, in the
// markdown worker, once it comes near the visible part of its list, or when
// the page is idle: the newest first, a few at a time.
//
// Why: an unpaced answer brings ~300 blocks in ~0.2 s, of which the list
// shows about ten (it follows the answer's end). Parsing every one as it
// came, and rendering each as markdown when its tree came back, kept the
// main thread busy for ~1 s (the remark and rehype transforms, React, the
// DOM and layout of 52 kB), and the worker parsed them in the order they
// came, the answer's end, what the user reads, last (docs/benchmarks.md,
// "The blocks on screen first"). A block out of sight costs almost nothing
// as written: it is laid out only on screen (`content-visibility: auto`,
// chat.css).

import { startTransition } from 'react';
import { whenIdle } from '../hooks';

/** "Near": within one list height above or below what is visible. */
const NEAR_MARGIN = '100% 0px';
/** Blocks started per idle callback. */
const IDLE_BATCH = 6;
/** Where there is no requestIdleCallback (WebKitGTK): a batch every… */
const IDLE_FALLBACK_MS = 50;

export interface NearFirstOptions {
  /** The element whose visible part counts: the list that scrolls the
   * block (null: the window's viewport). */
  scrollRoot?: (el: Element) => Element | null;
}

interface Job {
  start: () => Promise<void>;
  show: () => void;
}

export class NearFirst {
  /** One observer per scrolling list (weakly: a closed chat's list goes),
   * and one for the viewport. */
  private readonly observers = new WeakMap<Element, IntersectionObserver>();
  private viewportObserver: IntersectionObserver | null = null;
  /** What the observers last said of each watched element (absent: not
   * said yet, which counts as not near). */
  private readonly near = new Map<Element, boolean>();
  /** What waits to start, by the element shown as written meanwhile, in
   * the order it was scheduled. */
  private readonly waiting = new Map<Element, Job>();
  private idle: 'off' | 'scheduled' | 'running' = 'off';

  constructor(private readonly opts: NearFirstOptions = {}) {}

  /** Whether this page can tell (without IntersectionObserver everything
   * starts at once). */
  private static available(): boolean {
    return typeof IntersectionObserver !== 'undefined';
  }

  /** Watches `el` (a block shown as written) until the returned function
   * is called. */
  watch(el: Element): () => void {
    if (!NearFirst.available()) return () => {};
    const observer = this.observerFor(this.opts.scrollRoot?.(el) ?? null);
    observer.observe(el);
    return () => {
      observer.unobserve(el);
      this.near.delete(el);
      this.waiting.delete(el);
    };
  }

  private observerFor(root: Element | null): IntersectionObserver {
    const known = root ? this.observers.get(root) : this.viewportObserver;
    if (known) return known;
    const observer = new IntersectionObserver((entries) => this.onEntries(entries), { root, rootMargin: NEAR_MARGIN });
    if (root) this.observers.set(root, observer);
    else this.viewportObserver = observer;
    return observer;
  }

  /**
   * Calls `start` now when `el` (watched) is near or nothing can tell;
   * otherwise once it comes near or the page is idle, whichever is first;
   * then `show` once `start`'s promise settles. Those started together are
   * shown together, in one transition: one render and one layout for all,
   * not one each. An idle batch waits for the one before it. Returns what
   * cancels it.
   */
  schedule(el: Element, start: () => Promise<void>, show: () => void): () => void {
    const job = { start, show };
    if (!NearFirst.available() || this.near.get(el)) {
      void NearFirst.run([job]);
      return () => {};
    }
    this.waiting.delete(el); // newest last
    this.waiting.set(el, job);
    this.wake();
    return () => {
      if (this.waiting.get(el) === job) this.waiting.delete(el);
    };
  }

  private static async run(jobs: Job[]): Promise<void> {
    await Promise.all(jobs.map((j) => j.start()));
    startTransition(() => jobs.forEach((j) => j.show()));
  }

  private onEntries(entries: IntersectionObserverEntry[]) {
    const near: Job[] = [];
    for (const entry of entries) {
      const el = entry.target;
      this.near.set(el, entry.isIntersecting);
      const job = entry.isIntersecting ? this.waiting.get(el) : undefined;
      if (job) {
        this.waiting.delete(el);
        near.push(job);
      }
    }
    if (near.length > 0) void NearFirst.run(near);
  }

  private wake() {
    if (this.idle !== 'off' || this.waiting.size === 0) return;
    this.idle = 'scheduled';
    whenIdle(() => void this.startSome(), IDLE_FALLBACK_MS);
  }

  /** In idle time: the newest few of those waiting, then the next few
   * once they are done. */
  private async startSome() {
    this.idle = 'running';
    const batch = [...this.waiting].slice(-IDLE_BATCH).reverse();
    for (const [el] of batch) this.waiting.delete(el);
    await NearFirst.run(batch.map(([, job]) => job));
    this.idle = 'off';
    this.wake();
  }
}
