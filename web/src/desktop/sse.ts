// Server-Sent Events, as the renderer reads the host's streams: the chat
// transport (transport.ts, which needs each frame's `id:` to resume a turn
// with `Last-Event-ID`, and so cannot use the `ai` package's parser, which
// drops it) and the document event stream (events.ts). The parsing is
// eventsource-parser's (WHATWG rules: `\n`, `\r\n` or `\r` line ends, `:`
// comments, one optional space after the colon, multi-line data, a frame
// without its final blank line dropped); it scans lines with `indexOf`, which
// matters for an answer of 10,000 frames arriving in a few reads.

import { createParser } from 'eventsource-parser';

export interface SseEvent {
  /** The frame's `id:` field (the host's `<turn_id>:<seq>`), if it had one. */
  id?: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The `event:` field, if any (the host never sends one). */
  event?: string;
}

/** The JSON object a frame's data holds; undefined for malformed JSON or
 * any other JSON value (an array, a string, null...). */
export function jsonObject(data: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Incremental SSE parser: text in, the frames it completed out. */
export class SseSplitter {
  private out: SseEvent[] = [];
  private readonly parser = createParser({
    onEvent: ({ id, event, data }) => {
      const ev: SseEvent = { data };
      if (id !== undefined) ev.id = id;
      if (event !== undefined) ev.event = event;
      this.out.push(ev);
    },
  });

  /** Feeds text; returns the frames it completed. */
  push(text: string): SseEvent[] {
    this.parser.feed(text);
    const out = this.out;
    this.out = [];
    return out;
  }

  /** Ends the input; an unterminated last frame is dropped. */
  end(): void {
    this.parser.reset();
    this.out = [];
  }
}

/** Splits a byte stream into SSE frames. */
export function sseEvents(stream: ReadableStream<Uint8Array>): ReadableStream<SseEvent> {
  const splitter = new SseSplitter();
  const decoder = new TextDecoder();
  return stream.pipeThrough(
    new TransformStream<Uint8Array, SseEvent>({
      transform(chunk, controller) {
        for (const ev of splitter.push(decoder.decode(chunk, { stream: true }))) controller.enqueue(ev);
      },
      flush(controller) {
        for (const ev of splitter.push(decoder.decode())) controller.enqueue(ev);
        splitter.end();
      },
    }),
  );
}
