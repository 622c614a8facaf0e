// @vitest-environment jsdom
//
// Copy of any message (its text parts) and Retry under a failed answer.

import type { UIMessage } from 'ai';
import { act, createElement } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { MessageActions, messageText } from '../src/chat/MessageActions';
import { deferredAtOpen } from '../src/pages/ChatPanel';
import { mountPerTest } from './dom';

const dom = mountPerTest();

const answer: UIMessage = {
  id: 'm1',
  role: 'assistant',
  parts: [
    { type: 'reasoning', text: 'thinking' },
    { type: 'text', text: 'First **part**.' },
    { type: 'text', text: '<script>x</script>' },
  ],
};

/** The button named `name`, or undefined. */
const button = (name: string) => [...dom.container.querySelectorAll('button')].find((b) => b.textContent === name);

describe('message actions', () => {
  it('the text of a message is its text parts, not its reasoning', () => {
    expect(messageText(answer)).toBe('First **part**.\n\n<script>x</script>');
  });

  it('Copy writes the message to the clipboard and says so', async () => {
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal('navigator', { clipboard: { writeText } });
    act(() => dom.root.render(createElement(MessageActions, { message: answer })));
    await act(async () => button('Copy')!.click());
    expect(writeText).toHaveBeenCalledWith('First **part**.\n\n<script>x</script>');
    expect(button('Copied')).toBeDefined();
  });

  it('a refused clipboard says the copy failed', async () => {
    vi.stubGlobal('navigator', { clipboard: { writeText: () => Promise.reject(new Error('denied')) } });
    act(() => dom.root.render(createElement(MessageActions, { message: answer })));
    await act(async () => button('Copy')!.click());
    expect(button('Copy failed')).toBeDefined();
  });

  it('Retry only when offered, and it calls back', () => {
    act(() => dom.root.render(createElement(MessageActions, { message: answer })));
    expect(button('Retry')).toBeUndefined();
    const onRetry = vi.fn();
    act(() => dom.root.render(createElement(MessageActions, { message: answer, onRetry })));
    act(() => button('Retry')!.click());
    expect(onRetry).toHaveBeenCalledOnce();
  });

  it('no Copy for a message without text', () => {
    act(() => dom.root.render(createElement(MessageActions, { message: { id: 'm2', role: 'assistant', parts: [] } })));
    expect(button('Copy')).toBeUndefined();
  });
});

describe('a long conversation at open', () => {
  const msg = (i: number, chars: number): UIMessage => ({
    id: `m${i}`,
    role: i % 2 ? 'assistant' : 'user',
    parts: [{ type: 'text', text: 'x'.repeat(chars) }],
  });

  it('renders its newest messages in full, about a screenful by text, and defers the rest', () => {
    const short = Array.from({ length: 100 }, (_, i) => msg(i, 300));
    const deferred = deferredAtOpen(short);
    // 4,000 characters of 300: the newest 13 would pass it; at most 12.
    expect(short.filter((m) => !deferred.has(m.id)).map((m) => m.id)).toEqual(
      Array.from({ length: 12 }, (_, i) => `m${88 + i}`),
    );
    const long = Array.from({ length: 100 }, (_, i) => msg(i, 1_500));
    expect(long.filter((m) => !deferredAtOpen(long).has(m.id)).map((m) => m.id)).toEqual(['m98', 'm99']);
    // One huge newest message is still rendered (the list shows it first).
    const huge = [...short.slice(0, 99), msg(99, 100_000)];
    expect(huge.filter((m) => !deferredAtOpen(huge).has(m.id)).map((m) => m.id)).toEqual(['m99']);
  });
});
