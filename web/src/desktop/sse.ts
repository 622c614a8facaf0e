// A small Server-Sent Events splitter.
//
// `parseJsonEventStream` from the `ai` package parses the host's stream but
// drops the `id:` of each frame, which the renderer needs to resume a turn
// with `Last-Event-ID`. `trackEventIds` sits in front of it: it splits the
// byte stream into frames (whatever the chunking), records each frame's id,
// and hands on only the data, re-framed as `data: ...\n\n`, so that the `ai`
// package still does the parsing and validation it does for DefaultChatTransport.

export interface SseEvent {
  /** The frame's `id:` field (the host's `<turn_id>:<seq>`), if it had one. */
  id?: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The `event:` field, if any (the host never sends one). */
  event?: string;
}

/** Incremental SSE parser (WHATWG rules: `\n`, `\r\n` or `\r` line ends,
 * `:` comments, one optional space after the colon, multi-line data). */
export class SseSplitter {
  private buffer = '';
  private pendingCr = false;
  private data: string[] = [];
  private id: string | undefined;
  private event: string | undefined;
  private hasField = false;

  /** Feeds text; returns the frames it completed. */
  push(text: string): SseEvent[] {
    const out: SseEvent[] = [];
    let start = 0;
    let i = 0;
    if (this.pendingCr && text.startsWith('\n')) {
      // second half of a \r\n split across chunks
      start = i = 1;
    }
    this.pendingCr = false;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === '\n' || c === '\r') {
        const line = this.buffer + text.slice(start, i);
        this.buffer = '';
        this.line(line, out);
        if (c === '\r') {
          if (i + 1 < text.length) {
            if (text[i + 1] === '\n') i++;
          } else {
            this.pendingCr = true;
          }
        }
        start = i + 1;
      }
    }
    this.buffer += text.slice(start);
    return out;
  }

  /** Ends the input. A frame without its final blank line is dropped, as
   * the SSE rules say (the host always terminates its frames). */
  end(): SseEvent[] {
    this.buffer = '';
    this.reset();
    return [];
  }

  private reset(): void {
    this.data = [];
    this.id = undefined;
    this.event = undefined;
    this.hasField = false;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.hasField && this.data.length > 0) {
        const ev: SseEvent = { data: this.data.join('\n') };
        if (this.id !== undefined) ev.id = this.id;
        if (this.event !== undefined) ev.event = this.event;
        out.push(ev);
      }
      this.reset();
      return;
    }
    if (line.startsWith(':')) return; // comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    this.hasField = true;
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      case 'event':
        this.event = value;
        break;
      default:
        // `retry` and unknown fields are ignored
        break;
    }
  }
}

/** Splits a byte stream into SSE frames. */
export function sseEvents(stream: ReadableStream<Uint8Array>): ReadableStream<SseEvent> {
  const splitter = new SseSplitter();
  const decoder = new TextDecoder();
  return stream.pipeThrough(
    new TransformStream<Uint8Array, SseEvent>({
      transform(chunk, controller) {
        for (const ev of splitter.push(decoder.decode(chunk, { stream: true }))) {
          controller.enqueue(ev);
        }
      },
      flush(controller) {
        for (const ev of splitter.push(decoder.decode())) controller.enqueue(ev);
        splitter.end();
      },
    }),
  );
}

/**
 * Records the id of every frame (`onEvent` sees each one, `[DONE]` included)
 * and re-emits the frames' data as `data: <data>\n\n` bytes, ready for
 * `parseJsonEventStream`.
 */
export function trackEventIds(
  stream: ReadableStream<Uint8Array>,
  onEvent: (event: SseEvent) => void,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return sseEvents(stream).pipeThrough(
    new TransformStream<SseEvent, Uint8Array>({
      transform(ev, controller) {
        onEvent(ev);
        // One data line per frame: the host's JSON never spans lines, and a
        // multi-line payload is re-joined the way an SSE client would.
        const lines = ev.data.split('\n').map((l) => `data: ${l}\n`).join('');
        controller.enqueue(encoder.encode(`${lines}\n`));
      },
    }),
  );
}
