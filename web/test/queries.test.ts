import { describe, expect, it, vi } from 'vitest';
import { QueryCache } from '../src/queries';

/** A loader whose answers the test gives, one per call. */
function deferred<T>() {
  const calls: { resolve: (v: T) => void; reject: (e: unknown) => void }[] = [];
  const load = () => new Promise<T>((resolve, reject) => calls.push({ resolve, reject }));
  return { load, calls };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
/** Lets settled loads land (where setTimeout is the test's). */
const microtasks = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('QueryCache', () => {
  it('loads on the first subscriber, shares the entry and drops it with the last', async () => {
    const cache = new QueryCache();
    const { load, calls } = deferred<string>();
    let changes = 0;
    const stopA = cache.subscribe(['recent'], load, () => changes++);
    const stopB = cache.subscribe(['recent'], load, () => changes++);
    expect(calls).toHaveLength(1);
    calls[0]!.resolve('a');
    await tick();
    expect(cache.state(['recent'])).toEqual({ data: 'a', error: undefined, version: 1 });
    expect(changes).toBe(2);
    stopA();
    expect(cache.state(['recent']).data).toBe('a');
    stopB();
    expect(cache.state(['recent'])).toEqual({ version: 0 });
  });

  it('loads a key ahead once, for the first subscriber within ten seconds; drops it after that', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const cache = new QueryCache();
      const { load, calls } = deferred<string>();
      cache.prefetch(['messages', 's1'], load);
      cache.prefetch(['messages', 's1'], load); // pressed twice: one load
      expect(calls).toHaveLength(1);
      // The subscriber takes the load in flight: no second one.
      let changes = 0;
      const stop = cache.subscribe(['messages', 's1'], load, () => changes++);
      expect(calls).toHaveLength(1);
      calls[0]!.resolve('ahead');
      await microtasks();
      expect(cache.state(['messages', 's1']).data).toBe('ahead');
      expect(changes).toBe(1);
      vi.advanceTimersByTime(10_000); // shown: kept
      expect(cache.state(['messages', 's1']).data).toBe('ahead');
      stop();

      // Nobody comes within ten seconds: dropped, and the next subscriber
      // loads afresh.
      cache.prefetch(['messages', 's2'], load);
      calls[1]!.resolve('stale');
      await microtasks();
      expect(cache.state(['messages', 's2']).data).toBe('stale');
      vi.advanceTimersByTime(9_999);
      expect(cache.state(['messages', 's2']).data).toBe('stale');
      vi.advanceTimersByTime(1);
      expect(cache.state(['messages', 's2'])).toEqual({ version: 0 });
      cache.subscribe(['messages', 's2'], load, () => {});
      expect(calls).toHaveLength(3);

      // A key shown already is not loaded again.
      cache.prefetch(['messages', 's2'], load);
      expect(calls).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('invalidates by prefix, and only the latest load counts', async () => {
    const cache = new QueryCache();
    const sessions = deferred<number>();
    const recent = deferred<string>();
    cache.subscribe(['sessions', 'q', 0], sessions.load, () => {});
    cache.subscribe(['recent'], recent.load, () => {});
    cache.invalidate(['sessions']);
    expect(sessions.calls).toHaveLength(2);
    expect(recent.calls).toHaveLength(1);
    sessions.calls[1]!.resolve(2);
    sessions.calls[0]!.resolve(1); // late: an older load
    await tick();
    expect(cache.state(['sessions', 'q', 0])).toMatchObject({ data: 2, version: 1 });
    cache.invalidate();
    expect(sessions.calls).toHaveLength(3);
    expect(recent.calls).toHaveLength(2);
  });

  it('keeps the data on an error and clears the error on the next load', async () => {
    const cache = new QueryCache();
    const { load, calls } = deferred<string>();
    cache.subscribe(['providers'], load, () => {});
    calls[0]!.resolve('ok');
    await tick();
    cache.invalidate(['providers']);
    calls[1]!.reject(new Error('down'));
    await tick();
    expect(cache.state(['providers'])).toMatchObject({ data: 'ok', version: 1, error: new Error('down') });
    cache.invalidate(['providers']);
    expect(cache.state(['providers']).error).toBeUndefined();
  });

  it('ignores an answer for an entry nobody shows any more', async () => {
    const cache = new QueryCache();
    const { load, calls } = deferred<string>();
    const stop = cache.subscribe(['tree', 'ws', ''], load, () => {});
    stop();
    calls[0]!.resolve('late');
    await tick();
    expect(cache.state(['tree', 'ws', ''])).toEqual({ version: 0 });
  });
});
