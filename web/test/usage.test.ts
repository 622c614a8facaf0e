// @vitest-environment jsdom
//
// Tokens and cost: under each finished answer its turn's usage (stored
// answers and the live stream spell it differently), and the session's
// summed cost in the session bar, partial sums marked, read again when the
// host says the session changed.

import type { UIMessage } from 'ai';
import { act, createElement, type ReactElement } from 'react';
import { beforeEach, describe, expect, it } from 'vitest';
import { MessageActions, usageOf } from '../src/chat/MessageActions';
import type { DesktopFetchInit } from '../src/desktop/types';
import { DesktopProvider } from '../src/desktop-context';
import { formatCost, SessionBar } from '../src/pages/SessionBar';
import { mountPerTest, until } from './dom';
import { fakeBridge } from './fake-bridge';
import { errorResponse } from './fixtures/turn';

const dom = mountPerTest();
beforeEach(() => localStorage.clear());

const answer = (metadata: unknown, role: UIMessage['role'] = 'assistant'): UIMessage => ({
  id: 'm1',
  role,
  parts: [{ type: 'text', text: 'Done.' }],
  metadata,
});

function line(message: UIMessage): HTMLElement | null {
  act(() => dom.root.render(createElement(MessageActions, { message })));
  return dom.container.querySelector<HTMLElement>('.turn-usage');
}

describe('formatCost', () => {
  it.each([
    [0, '$0.00'],
    [0.0031, '$0.0031'],
    [0.0042, '$0.0042'],
    [0.003, '$0.003'],
    [0.00312345, '$0.003123'],
    [0.000125, '$0.000125'],
    [0.0000001, '$0.0000001'],
    [0.009999, '$0.009999'],
    [0.0099999, '$0.01'], // rounds up to a cent: shown in cents
    [0.01, '$0.01'],
    [0.0156, '$0.02'],
    [0.42, '$0.42'],
    [12.5, '$12.50'],
    [1234.5, '$1,234.50'],
    [-1, ''],
    [Number.NaN, ''],
    [Number.POSITIVE_INFINITY, ''],
  ])('%s → %j', (usd, shown) => {
    expect(formatCost(usd)).toBe(shown);
  });
});

describe('a turn’s usage under its answer', () => {
  it('tokens and cost, in and out in the title and for screen readers', () => {
    const el = line(answer({ status: 'complete', usage: { input_tokens: 1180, output_tokens: 64, cost: 0.0031 } }))!;
    expect(el).not.toBeNull();
    expect(el.title).toBe('1180 input + 64 output tokens');
    expect(el.querySelector('.sr-only')!.textContent).toBe(' (1180 in, 64 out)');
    expect(el.querySelector('.turn-cost')!.textContent).toBe('$0.0031');
    // What is seen, screen-reader text aside.
    const seen = [...el.childNodes]
      .filter((n) => !(n instanceof HTMLElement && n.classList.contains('sr-only')))
      .map((n) => n.textContent)
      .join('');
    expect(seen).toBe('1.2k tokens · $0.0031');
  });

  it('without a cost: tokens only', () => {
    const el = line(answer({ status: 'complete', usage: { input_tokens: 10, output_tokens: 2 } }))!;
    expect(el.textContent).toBe('12 tokens (10 in, 2 out)');
    expect(el.querySelector('.turn-cost')).toBeNull();
  });

  it('the live stream’s finish metadata (sessionId, turnId, usage) is read the same way', () => {
    const message = answer({ sessionId: 's', turnId: 't', usage: { input_tokens: 900, output_tokens: 100, cost: 0.02 } });
    expect(usageOf(message)).toEqual({ input_tokens: 900, output_tokens: 100, cost: 0.02 });
    expect(line(message)!.querySelector('.turn-cost')!.textContent).toBe('$0.02');
  });

  it('nothing for a user message, a turn not ended or a malformed usage', () => {
    expect(line(answer({ status: 'complete', usage: { input_tokens: 1, output_tokens: 1 } }, 'user'))).toBeNull();
    expect(line(answer({ status: 'streaming' }))).toBeNull();
    expect(line(answer(undefined))).toBeNull();
    // A turn that failed before any usage: no "0 tokens" line.
    expect(line(answer({ status: 'error', usage: { input_tokens: 0, output_tokens: 0 } }))).toBeNull();
    for (const usage of [null, 'x', { input_tokens: '10', output_tokens: 2 }, { input_tokens: -1, output_tokens: 2 }, { output_tokens: 2 }]) {
      expect(usageOf(answer({ usage }))).toBeNull();
    }
    // A cost that is not a dollar amount is left out, the tokens kept.
    expect(usageOf(answer({ usage: { input_tokens: 1, output_tokens: 2, cost: 'free' } }))).toEqual({
      input_tokens: 1,
      output_tokens: 2,
      cost: null,
    });
  });
});

describe('the session’s cost in the session bar', () => {
  const json = (v: unknown) => new Response(JSON.stringify(v), { headers: { 'content-type': 'application/json' } });
  const session = (usage: Record<string, unknown>) => ({
    id: 'ses_1',
    title: 't',
    provider: 'openrouter',
    model: null,
    model_chosen: false,
    created_at_ms: 0,
    updated_at_ms: 0,
    archived: false,
    // As the host sends it: `cost` and `cost_partial` only when there is one.
    usage: { input_tokens: 1200, output_tokens: 34, ...usage },
    code_languages: [],
  });

  /** A fake host whose session is `current()`; `emit` sends a host event. */
  function host(current: () => unknown) {
    const encoder = new TextEncoder();
    let events: ReadableStreamDefaultController<Uint8Array> | null = null;
    const { bridge } = fakeBridge((path: string, init: DesktopFetchInit) => {
      if (path === '/events')
        return new Response(
          new ReadableStream<Uint8Array>({
            start: (c) => {
              events = c;
            },
          }),
          { headers: { 'content-type': 'text/event-stream' } },
        );
      if (path === '/sessions/ses_1') return json(current());
      if (path === '/providers') return json({ providers: [] });
      return errorResponse(404, 'no_route', `${init.method ?? 'GET'} ${path}`);
    });
    return {
      wrap: (el: ReactElement) => createElement(DesktopProvider, { bridge, children: el }),
      emit: (event: unknown) => events?.enqueue(encoder.encode(`id: 1\ndata: ${JSON.stringify(event)}\n\n`)),
    };
  }

  const bar = () => dom.container.querySelector('.session-bar')?.textContent ?? '';
  const cost = () => dom.container.querySelector<HTMLElement>('.session-cost');

  it('none until a turn reports one, then the sum, after the host says the session changed', async () => {
    let current = session({});
    const h = host(() => current);
    await act(async () => dom.root.render(h.wrap(createElement(SessionBar, { sessionId: 'ses_1' }))));
    await until(() => expect(bar()).toContain('1.2k tokens'));
    expect(cost()).toBeNull();

    // A turn ended: the host stored its usage, then sent session.updated.
    current = session({ input_tokens: 2400, cost: 0.0042 });
    await act(async () => h.emit({ type: 'session.updated', session_id: 'ses_1' }));
    await until(() => expect(cost()?.textContent).toBe('$0.0042'));
    expect(bar()).toContain('2.4k tokens');
    expect(cost()!.title).toBe('Cost reported by the provider');
  });

  it('a partial sum is a lower bound and says so', async () => {
    const h = host(() => session({ cost: 0.0156, cost_partial: true }));
    await act(async () => dom.root.render(h.wrap(createElement(SessionBar, { sessionId: 'ses_1' }))));
    await until(() => expect(cost()).not.toBeNull());
    expect(cost()!.textContent).toBe('≥ $0.02 (at least: some turns reported no cost)');
    expect(cost()!.title).toBe('At least $0.02: some turns reported no cost');
  });

  it('a null cost (or a stray cost_partial without one): tokens only', async () => {
    const h = host(() => ({ ...session({}), usage: { input_tokens: 5, output_tokens: 5, cost: null, cost_partial: true } }));
    await act(async () => dom.root.render(h.wrap(createElement(SessionBar, { sessionId: 'ses_1' }))));
    await until(() => expect(bar()).toContain('10 tokens'));
    expect(cost()).toBeNull();
  });
});
