// A stand-in for `Worker` under jsdom (which has none) that runs the app's
// worker modules in this process: highlight-core.ts for highlight.worker.ts,
// markdown-parse.ts for markdown.worker.ts, picked by the script's URL.
// Messages go through structuredClone and a macrotask each way, as across a
// real worker boundary; the code that runs is the workers' own.

import { createHighlightHandler, type WorkerRequest } from '../src/chat/highlight-core';
import { parseMarkdownBlock } from '../src/chat/markdown-parse';
import type { ParseRequest, ParseResponse } from '../src/chat/markdown.worker';

type Listener = (event: MessageEvent) => void;

export class InProcessWorker {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly handle: (data: unknown) => void;
  private terminated = false;

  constructor(url: string | URL) {
    const path = String(url);
    const reply = (data: unknown) =>
      setTimeout(() => {
        if (this.terminated) return;
        const event = new MessageEvent('message', { data: structuredClone(data) });
        this.listeners.get('message')?.forEach((l) => l(event));
      }, 0);
    if (path.includes('highlight.worker')) {
      const handle = createHighlightHandler(reply);
      this.handle = (data) => handle(data as WorkerRequest);
    } else if (path.includes('markdown.worker')) {
      this.handle = (data) => {
        const { id, text } = data as ParseRequest;
        const answer: ParseResponse = { id, tree: parseMarkdownBlock(text) };
        reply(answer);
      };
    } else {
      throw new Error(`InProcessWorker: no module for ${path}`);
    }
  }

  postMessage(data: unknown): void {
    const copy = structuredClone(data);
    setTimeout(() => !this.terminated && this.handle(copy), 0);
  }

  addEventListener(type: string, listener: Listener): void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.listeners.get(type)?.delete(listener);
  }

  terminate(): void {
    this.terminated = true;
  }
}
