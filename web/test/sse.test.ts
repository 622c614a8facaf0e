import { describe, expect, it } from 'vitest';
import { SseSplitter, sseEvents, type SseEvent } from '../src/desktop/sse';
import { collect } from './fake-bridge';
import { CHUNKS, TURN, chunkedStream, recordedBody } from './fixtures/turn';

describe('SseSplitter', () => {
  it('tracks ids and data of every frame, [DONE] included', async () => {
    const events = await collect(sseEvents(chunkedStream(recordedBody(), 5)));
    expect(events).toHaveLength(CHUNKS.length + 1);
    events.slice(0, -1).forEach((ev, seq) => {
      expect(ev.id).toBe(`${TURN}:${seq}`);
      expect(JSON.parse(ev.data)).toEqual(CHUNKS[seq]);
    });
    expect(events.at(-1)).toEqual({ id: `${TURN}:${CHUNKS.length}`, data: '[DONE]' });
  });

  it('gives the same frames whatever the chunking (1 byte … whole body)', async () => {
    const whole = await collect(sseEvents(chunkedStream(recordedBody(), 1 << 20)));
    for (const size of [1, 2, 3, 13, 64]) {
      expect(await collect(sseEvents(chunkedStream(recordedBody(), size)))).toEqual(whole);
    }
  });

  it('splits frames across pushes, CRLF split between pushes, comments, multi-line data', () => {
    const s = new SseSplitter();
    const out: SseEvent[] = [];
    out.push(...s.push('id: t:1\r'));
    out.push(...s.push('\ndata: {"a"'));
    expect(out).toEqual([]);
    out.push(...s.push(':1}\r\n\r\n: a comment\n\nid:t:2\ndata:x\ndata: y\n'));
    expect(out).toEqual([{ id: 't:1', data: '{"a":1}' }]);
    out.push(...s.push('\n'));
    expect(out[1]).toEqual({ id: 't:2', data: 'x\ny' });
  });

  it('keeps multi-byte characters split across chunks intact', async () => {
    const body = `id: t:0\ndata: ${JSON.stringify({ type: 'text-delta', id: 'x', delta: 'héllo — ✓ 😀' })}\n\n`;
    const events = await collect(sseEvents(chunkedStream(body, 1)));
    expect(JSON.parse(events[0]!.data).delta).toBe('héllo — ✓ 😀');
  });

  it('drops an unterminated last frame', async () => {
    const events = await collect(sseEvents(chunkedStream('id: t:0\ndata: {"type":"start-step"}\n\nid: t:1\ndata: {"ty')));
    expect(events).toEqual([{ id: 't:0', data: '{"type":"start-step"}' }]);
  });
});
