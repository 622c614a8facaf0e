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
//
// Near blocks wait until blocks stop coming (QUIET_MS): during a burst the
// blocks near the list's end are scrolled away a frame or two later, and
// parsing them (the worker's thread) and showing them (the main thread's
// renders and layout) took CPU from what the burst itself needs, on a
// machine whose cores it keeps busy: the catch-up after an unpaced
// answer's last delta, median 134/124 ms cold/warm, became 71/86
// (docs/benchmarks.md, "Near blocks wait for the burst to end"). A model's
// pace brings a block or two per render, which blocks.tsx parses itself.

import { startTransition } from 'react';
import { whenIdle } from '../hooks';

/** "Near": within one list height above or below what is visible. */
const NEAR_MARGIN = '100% 0px';
/** Near blocks start once no block has been scheduled for this long (ms):
 * while a burst streams in, blocks keep coming at each render. */
const QUIET_MS = 100;
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
  el: Element;
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
  /** Each watched element's scrolling list (null: the viewport). */
  private readonly roots = new Map<Element, Element | null>();
  /** What waits to start, by the element shown as written meanwhile, in
   * the order it was scheduled. */
  private readonly waiting = new Map<Element, Job>();
  private idle: 'off' | 'scheduled' | 'running' = 'off';
  /** When a block was last scheduled, and the timer that starts the near
   * ones once blocks stop coming. */
  private lastScheduled = -Infinity;
  private quietTimer: ReturnType<typeof setTimeout> | null = null;

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
    const root = this.opts.scrollRoot?.(el) ?? null;
    this.roots.set(el, root);
    const observer = this.observerFor(root);
    observer.observe(el);
    return () => {
      observer.unobserve(el);
      this.near.delete(el);
      this.roots.delete(el);
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
   * Calls `start` now when nothing can tell; otherwise once `el` (watched)
   * is near and no block has been scheduled for QUIET_MS, or once the page
   * is idle, whichever is first; then `show` once `start`'s promise
   * settles. Those started together are shown together, in one
   * transition: one render and one layout for all, not one each. An idle
   * batch waits for the one before it. Returns what cancels it.
   */
  schedule(el: Element, start: () => Promise<void>, show: () => void): () => void {
    const job = { el, start, show };
    if (!NearFirst.available()) {
      void this.run([job]);
      return () => {};
    }
    this.waiting.delete(el); // newest last
    this.waiting.set(el, job);
    this.lastScheduled = performance.now();
    if (this.near.get(el)) this.whenQuiet();
    this.wake();
    return () => {
      if (this.waiting.get(el) === job) this.waiting.delete(el);
    };
  }

  private async run(jobs: Job[]): Promise<void> {
    await Promise.all(jobs.map((j) => j.start()));
    this.keepAtBottom(jobs);
    startTransition(() => jobs.forEach((j) => j.show()));
  }

  /**
   * A list at its bottom stays there while these blocks turn into markdown
   * above it, taller or shorter than their text as written was. WebKitGTK
   * has no scroll anchoring, and the chat's stick-to-bottom scrolls a frame
   * after a resize: the end of the answer jumped down by up to a screen and
   * back as blocks out of sight were shown in idle time (the shell's window,
   * sampled after each frame). After the commit that shows them (a
   * MutationObserver's callback runs before the next paint), the list is
   * scrolled to its bottom again.
   */
  private keepAtBottom(jobs: Job[]) {
    const roots = new Set<Element>();
    for (const { el } of jobs) {
      const root = this.roots.get(el);
      if (root && root.scrollHeight - root.clientHeight - root.scrollTop < 2) roots.add(root);
    }
    for (const root of roots) {
      const shown = jobs.filter((j) => this.roots.get(j.el) === root).map((j) => j.el);
      const armedAt = root.scrollTop;
      const watch = new MutationObserver(() => {
        if (root.scrollTop < armedAt - 1) {
          watch.disconnect(); // the user has scrolled up since: theirs
          return;
        }
        root.scrollTop = root.scrollHeight;
        if (shown.every((el) => !el.isConnected)) watch.disconnect();
      });
      watch.observe(root, { childList: true, subtree: true });
      // Not left behind when a block never turns (its answer unmounted).
      setTimeout(() => watch.disconnect(), 2000);
    }
  }

  private onEntries(entries: IntersectionObserverEntry[]) {
    let someNear = false;
    for (const entry of entries) {
      this.near.set(entry.target, entry.isIntersecting);
      if (entry.isIntersecting && this.waiting.has(entry.target)) someNear = true;
    }
    if (someNear) this.whenQuiet();
  }

  /** Starts the waiting blocks that are near now if no block has been
   * scheduled for QUIET_MS, or else once none has been for that long. */
  private whenQuiet() {
    if (this.quietTimer !== null) return;
    const wait = this.lastScheduled + QUIET_MS - performance.now();
    if (wait > 0) {
      this.quietTimer = setTimeout(() => {
        this.quietTimer = null;
        this.whenQuiet();
      }, wait);
      return;
    }
    const near: Job[] = [];
    for (const [el, job] of this.waiting) {
      if (this.near.get(el)) near.push(job);
    }
    for (const job of near) this.waiting.delete(job.el);
    if (near.length > 0) void this.run(near);
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
    await this.run(batch.map(([, job]) => job));
    this.idle = 'off';
    this.wake();
  }
}
