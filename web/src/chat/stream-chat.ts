// The AI SDK's React `Chat`, with a throttle that also flushes when the
// stream pauses.
//
// `useChat({ experimental_throttle })` applies every chunk to its store but
// tells React at most once per interval (ChatPanel's STREAM_THROTTLE_MS), so
// a fast answer costs one render per interval, not one per delta. Its
// throttle (throttleit) holds the last change until the interval is over:
// the end of every answer, and the words before every pause (a tool call,
// a slow model), reached the page up to one interval late, and later still
// when the page was busy (the stream bench's catch-up: the last text waited
// 50–70 ms for the timer). Here the held change is also told as soon as no
// chunk has come for QUIET_MS: a burst still renders once per interval, and
// what arrives before a pause shows at once.

import { Chat } from '@ai-sdk/react';
import type { ChatInit, UIMessage } from 'ai';

/** No chunk for this long (ms) is a pause: what the store holds is shown. */
export const QUIET_MS = 8;

/**
 * `fn` at most once per `waitMs` while calls keep coming: the first call at
 * once, later ones held until `waitMs` after the last run of `fn` or until
 * `quietMs` without a call, whichever is sooner.
 */
export function throttleUntilQuiet(fn: () => void, waitMs: number, quietMs: number): () => void {
  let last = -Infinity;
  let due: ReturnType<typeof setTimeout> | undefined;
  let quiet: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    clearTimeout(due);
    clearTimeout(quiet);
    due = quiet = undefined;
    last = performance.now();
    fn();
  };
  return () => {
    const now = performance.now();
    if (due === undefined && now - last >= waitMs) {
      run();
      return;
    }
    due ??= setTimeout(run, waitMs - (now - last));
    clearTimeout(quiet);
    quiet = setTimeout(run, quietMs);
  };
}

/** `Chat` whose throttled message updates flush when the stream pauses. */
export class StreamChat<M extends UIMessage> extends Chat<M> {
  constructor(init: ChatInit<M>) {
    super(init);
    // An instance property of Chat (the store useChat subscribes through).
    const register = this['~registerMessagesCallback'];
    this['~registerMessagesCallback'] = (onChange, throttleWaitMs) =>
      register(throttleWaitMs ? throttleUntilQuiet(onChange, throttleWaitMs, QUIET_MS) : onChange);
  }
}
