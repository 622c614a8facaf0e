import { afterEach, describe, expect, it } from 'vitest';
import { HostEvents, parseHostEvent, type HostEvent, type HostEventsState } from '../src/desktop/events';
import { fakeBridge } from './fake-bridge';
import { chunkedStream, errorResponse } from './fixtures/turn';

/** A response body the test writes into, frame by frame or byte by byte. */
function liveStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const enc = new TextEncoder();
  return {
    response: new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
    write: (text: string) => controller.enqueue(enc.encode(text)),
    end: () => controller.close(),
    fail: () => controller.error(new TypeError('connection reset')),
  };
}

const frame = (id: string, event: object) => `id: ${id}\ndata: ${JSON.stringify(event)}\n\n`;

/** Waits until `check` holds (each try lets the streams move on). */
async function until(check: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A clock for the reconnect delays: each wait is recorded and ends on
 * the next turn of the event loop. */
function instantSleep() {
  const delays: number[] = [];
  const sleep = (ms: number) => {
    delays.push(ms);
    return new Promise<void>((r) => setTimeout(r, 0));
  };
  return { delays, sleep };
}

let client: HostEvents | null = null;
afterEach(() => {
  client?.close();
  client = null;
});

describe('parseHostEvent', () => {
  it('reads every event type of the contract', () => {
    const events: HostEvent[] = [
      { type: 'resync' },
      { type: 'document.changed', doc_id: 'doc_1', version: '1732900000123456789', source: 'agent' },
      { type: 'document.removed', doc_id: 'doc_1' },
      { type: 'document.moved', doc_id: 'doc_1', path: '/tmp/b.md' },
      { type: 'session.created', session_id: 's' },
      { type: 'session.updated', session_id: 's' },
      { type: 'session.deleted', session_id: 's' },
      { type: 'turn.status', session_id: 's', status: 'busy' },
      { type: 'recent.changed' },
      { type: 'workspace.changed' },
    ];
    for (const e of events) expect(parseHostEvent(JSON.stringify(e))).toEqual(e);
  });

  it('skips what it does not know instead of trusting it', () => {
    for (const data of [
      'not json',
      '[1]',
      'null',
      '{"type":"document.changed","doc_id":"d","version":"1"}',
      '{"type":"document.changed","doc_id":"d","version":1,"source":"agent"}',
      '{"type":"document.changed","doc_id":"d","version":"1","source":"martian"}',
      '{"type":"document.moved","doc_id":"d"}',
      '{"type":"turn.status","session_id":"s","status":"dancing"}',
      '{"type":"something.new","doc_id":"d"}',
    ]) {
      expect(parseHostEvent(data)).toBeNull();
    }
  });

  it('keeps only the fields of the contract', () => {
    expect(parseHostEvent('{"type":"document.removed","doc_id":"d","extra":"<b>x</b>"}')).toEqual({
      type: 'document.removed',
      doc_id: 'd',
    });
  });
});

describe('HostEvents', () => {
  it('parses frames split across chunks anywhere, comments and keep-alives included', async () => {
    const body =
      ': keep-alive\n\n' +
      frame('r-1', { type: 'document.changed', doc_id: 'doc_a', version: '10', source: 'external' }) +
      ': keep-alive\n\n' +
      frame('r-2', { type: 'document.moved', doc_id: 'doc_a', path: '/home/u/é — ✓.md' }) +
      frame('r-3', { type: 'recent.changed' });
    for (const size of [1, 2, 5, 17, 1 << 16]) {
      const { bridge } = fakeBridge(() => new Response(chunkedStream(body, size)));
      // Never reconnects within the test: the wait after the end lasts until close().
      const sleep = (_ms: number, signal: AbortSignal) =>
        new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      client = new HostEvents({ bridge, sleep });
      const seen: HostEvent[] = [];
      client.subscribe((e) => seen.push(e));
      await until(() => seen.length === 3, `three events at chunk size ${size}`);
      expect(seen).toEqual([
        { type: 'document.changed', doc_id: 'doc_a', version: '10', source: 'external' },
        { type: 'document.moved', doc_id: 'doc_a', path: '/home/u/é — ✓.md' },
        { type: 'recent.changed' },
      ]);
      expect(client.lastEventId).toBe('r-3');
      client.close();
    }
  });

  it('connects once per window, whoever listens', async () => {
    const stream = liveStream();
    const { bridge, calls } = fakeBridge(() => stream.response);
    client = new HostEvents({ bridge });
    const a: HostEvent[] = [];
    const b: HostEvent[] = [];
    const stopA = client.subscribe((e) => a.push(e));
    client.subscribe((e) => b.push(e));
    stream.write(frame('r-1', { type: 'workspace.changed' }));
    await until(() => b.length === 1);
    stopA();
    stream.write(frame('r-2', { type: 'recent.changed' }));
    await until(() => b.length === 2);
    expect(a).toEqual([{ type: 'workspace.changed' }]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.path).toBe('/events');
    expect(calls[0]!.init.headers).toEqual({ accept: 'text/event-stream' });
  });

  it('reconnects with Last-Event-ID when the stream ends or fails, and a resync reaches every listener', async () => {
    const streams = [liveStream(), liveStream(), liveStream()];
    let n = 0;
    const { bridge, calls } = fakeBridge(() => streams[n++]!.response);
    const { delays, sleep } = instantSleep();
    client = new HostEvents({ bridge, sleep });
    const a: HostEvent[] = [];
    const b: HostEvent[] = [];
    client.subscribe((e) => a.push(e));
    client.subscribe((e) => b.push(e));

    await until(() => calls.length === 1);
    streams[0]!.write(frame('run1-1', { type: 'document.changed', doc_id: 'd', version: '2', source: 'agent' }));
    streams[0]!.write(frame('run1-2', { type: 'document.removed', doc_id: 'd' }));
    await until(() => a.length === 2);
    streams[0]!.end(); // the host dropped a slow client
    await until(() => calls.length === 2, 'the first reconnect');
    expect(calls[1]!.init.headers).toEqual({ accept: 'text/event-stream', 'last-event-id': 'run1-2' });

    // The host restarted meanwhile: its first frame is a resync.
    streams[1]!.write(frame('run2-7', { type: 'resync' }));
    await until(() => b.length === 3);
    expect(a.at(-1)).toEqual({ type: 'resync' });
    expect(b.at(-1)).toEqual({ type: 'resync' });
    streams[1]!.fail();
    await until(() => calls.length === 3, 'the second reconnect');
    expect(calls[2]!.init.headers).toEqual({ accept: 'text/event-stream', 'last-event-id': 'run2-7' });
    // Both connections delivered events: each wait starts from the minimum.
    expect(delays).toEqual([250, 250]);
  });

  it('backs off up to a cap while the host refuses or cannot be reached, then starts over', async () => {
    let n = 0;
    const stream = liveStream();
    const { bridge, calls } = fakeBridge(() => {
      n++;
      if (n <= 3) return errorResponse(503, 'host_restarting', 'The host is restarting.');
      if (n <= 7) throw new TypeError('Load failed');
      return stream.response;
    });
    const { delays, sleep } = instantSleep();
    const states: HostEventsState[] = [];
    client = new HostEvents({ bridge, sleep, minDelayMs: 100, maxDelayMs: 1000, onState: (s) => states.push(s) });
    client.subscribe(() => {});
    await until(() => calls.length === 8);
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    await until(() => client!.state === 'open');
    stream.write(frame('r-1', { type: 'recent.changed' }));
    stream.end();
    await until(() => delays.length === 8);
    expect(delays.at(-1)).toBe(100);
    expect(states).toContain('waiting');
  });

  it('after a reconnect without a position, tells listeners to refetch', async () => {
    const streams = [liveStream(), liveStream()];
    let n = 0;
    const { bridge, calls } = fakeBridge(() => streams[n++]!.response);
    client = new HostEvents({ bridge, sleep: instantSleep().sleep });
    const seen: HostEvent[] = [];
    client.subscribe((e) => seen.push(e));
    await until(() => calls.length === 1);
    streams[0]!.end(); // nothing received: no id to resume from
    await until(() => seen.length === 1);
    expect(seen).toEqual([{ type: 'resync' }]);
    expect(calls[1]!.init.headers).toEqual({ accept: 'text/event-stream' });
  });

  it('stops when the last listener leaves and resumes from the last id when one comes back', async () => {
    const streams = [liveStream(), liveStream()];
    let n = 0;
    const { bridge, calls } = fakeBridge(() => streams[n++]!.response);
    client = new HostEvents({ bridge, sleep: instantSleep().sleep });
    const seen: HostEvent[] = [];
    const stop = client.subscribe((e) => seen.push(e));
    streams[0]!.write(frame('r-5', { type: 'workspace.changed' }));
    await until(() => seen.length === 1);
    stop();
    expect(calls[0]!.init.signal?.aborted).toBe(true);
    expect(client.state).toBe('idle');
    client.subscribe((e) => seen.push(e));
    await until(() => calls.length === 2);
    expect(calls[1]!.init.headers).toEqual({ accept: 'text/event-stream', 'last-event-id': 'r-5' });
  });

  it('a listener that throws does not stop the others', async () => {
    const stream = liveStream();
    const { bridge } = fakeBridge(() => stream.response);
    client = new HostEvents({ bridge });
    const seen: HostEvent[] = [];
    const error = console.error;
    console.error = () => {};
    try {
      client.subscribe(() => {
        throw new Error('boom');
      });
      client.subscribe((e) => seen.push(e));
      stream.write(frame('r-1', { type: 'recent.changed' }) + frame('r-2', { type: 'workspace.changed' }));
      await until(() => seen.length === 2);
    } finally {
      console.error = error;
    }
  });

  it('reconnectNow skips the wait', async () => {
    const streams = [liveStream(), liveStream()];
    let n = 0;
    const { bridge, calls } = fakeBridge(() => streams[n++]!.response);
    client = new HostEvents({ bridge, minDelayMs: 60_000 });
    client.subscribe(() => {});
    await until(() => calls.length === 1);
    streams[0]!.end();
    await until(() => client!.state === 'waiting');
    client.reconnectNow();
    await until(() => calls.length === 2);
  });
});
