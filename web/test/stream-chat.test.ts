import type { UIMessage } from 'ai';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { QUIET_MS, StreamChat, throttleUntilQuiet } from '../src/chat/stream-chat';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Calls `f` at each of `times` (ms from now), then lets the clock run
 * to `until`. */
function drive(f: () => void, times: number[], until: number): void {
  const start = performance.now();
  for (const t of times) {
    vi.advanceTimersByTime(t - (performance.now() - start));
    f();
  }
  vi.advanceTimersByTime(until - (performance.now() - start));
}

describe('throttleUntilQuiet', () => {
  test('each case: when the function runs for calls at these times', () => {
    const cases: { name: string; calls: number[]; runs: number[] }[] = [
      { name: 'one call runs at once', calls: [0], runs: [0] },
      { name: 'a call during the interval waits for the pause, not the interval', calls: [0, 10], runs: [0, 10 + QUIET_MS] },
      {
        name: 'a burst (a call every 2 ms) runs once per interval, then once after its last call',
        calls: Array.from({ length: 60 }, (_, i) => i * 2),
        runs: [0, 50, 100, 118 + QUIET_MS],
      },
      { name: 'a call long after the last run runs at once', calls: [0, 200], runs: [0, 200] },
    ];
    for (const { name, calls, runs } of cases) {
      const seen: number[] = [];
      const start = performance.now();
      const throttled = throttleUntilQuiet(() => seen.push(performance.now() - start), 50, QUIET_MS);
      drive(throttled, calls, 400);
      expect(seen, name).toEqual(runs);
    }
  });
});

describe('StreamChat', () => {
  test("the store useChat subscribes to flushes its throttled update when the stream pauses", () => {
    const chat = new StreamChat<UIMessage>({ id: 's', messages: [] });
    const start = performance.now();
    const told: number[] = [];
    const unsubscribe = chat['~registerMessagesCallback'](() => told.push(performance.now() - start), 50);
    const message = (text: string): UIMessage => ({ id: 'm', role: 'assistant', parts: [{ type: 'text', text }] });
    chat.messages = [message('a')]; // at once
    vi.advanceTimersByTime(5);
    chat.messages = [message('ab')]; // held: shown after QUIET_MS, not at 50
    vi.advanceTimersByTime(100);
    expect(told).toEqual([0, 5 + QUIET_MS]);
    unsubscribe();
    // Unthrottled when useChat asks for no throttle.
    const direct: number[] = [];
    chat['~registerMessagesCallback'](() => direct.push(1));
    chat.messages = [message('abc')];
    chat.messages = [message('abcd')];
    expect(direct).toEqual([1, 1]);
  });
});
