/// <reference lib="webworker" />
// Markdown parsing off the main thread. Parsing is most of what rendering a
// streamed answer costs (micromark: ~1–2 ms per paragraph on this hardware,
// ~200 kB/s), and a fast stream brings tens of new blocks per render. This
// worker parses each block it is sent into an mdast tree and sends the tree
// back; blocks.tsx is its only client and does everything after parsing
// (the plugins, sanitising, React elements) on the main thread.

import { parseMarkdownBlock } from './markdown-parse';

export interface ParseRequest {
  id: number;
  text: string;
}

export type ParseResponse =
  | { id: number; tree: ReturnType<typeof parseMarkdownBlock> }
  | { id: number; error: string }
  /** The tree could not be sent back: the client parses this block itself. */
  | { id: number; unsent: string };

self.addEventListener('message', (event: MessageEvent<ParseRequest>) => {
  const { id, text } = event.data;
  let answer: ParseResponse;
  try {
    answer = { id, tree: parseMarkdownBlock(text) };
  } catch (e) {
    answer = { id, error: String(e) };
  }
  try {
    self.postMessage(answer);
  } catch (e) {
    // A tree too deep to copy: structured cloning recurses, and a line of
    // 500 nested list markers (model output is anyone's) overflows its
    // stack. Uncaught, this killed the worker, and every later block of the
    // page was parsed on the main thread.
    self.postMessage({ id, unsent: String(e) } satisfies ParseResponse);
  }
});
