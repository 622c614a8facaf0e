// @vitest-environment jsdom
//
// A stored answer that failed: it says why from what the host kept
// (`metadata.error {code, message}`), so a reload still tells; Retry is
// offered under it unless its turn changed files (the host refuses that
// retry: it would hide the changes and their Undo).

import type { UIMessage } from 'ai';
import { createElement } from 'react';
import { flushSync } from 'react-dom';
import { describe, expect, it, vi } from 'vitest';
import { ChatMessage, failureOf } from '../src/components/ChatMessage';
import type { TurnChanges } from '../src/desktop/types';
import { DesktopProvider } from '../src/desktop-context';
import { mountPerTest } from './dom';
import { fakeBridge } from './fake-bridge';
import { errorResponse } from './fixtures/turn';

const S = 'ses_1';
const T = 'turn_1';
const IMG = '<img src=x onerror="window.__pwned=1">';

const failed = (error: unknown, parts: UIMessage['parts'] = [{ type: 'text', text: 'Six times seven ' }]): UIMessage => ({
  id: 'msg_2',
  role: 'assistant',
  metadata: { status: 'error', created_at_ms: 1, turnId: T, error },
  parts,
});

const WRITE = {
  type: 'tool-write_file',
  toolCallId: 'c1',
  state: 'output-available',
  input: { path: 'out.txt', content: 'x' },
  output: { ok: true },
} as UIMessage['parts'][number];

const changes = (files: TurnChanges['files']): TurnChanges => ({ turn_id: T, files });

function host(turnChanges: TurnChanges = changes([])) {
  return fakeBridge((path) => {
    if (path === '/events') return new Response(new ReadableStream<Uint8Array>());
    if (path === `/sessions/${S}/turns/${T}/changes`)
      return new Response(JSON.stringify(turnChanges), { headers: { 'content-type': 'application/json' } });
    return errorResponse(404, 'no_route', path);
  });
}

const dom = mountPerTest({ act: false });
const text = () => dom.container.textContent ?? '';
const retryButton = () => [...dom.container.querySelectorAll('button')].find((b) => b.textContent === 'Retry');

function render(bridge: ReturnType<typeof host>['bridge'], message: UIMessage, onRetry?: () => void) {
  flushSync(() =>
    dom.root.render(
      createElement(DesktopProvider, {
        bridge,
        children: createElement(ChatMessage, { sessionId: S, message, finished: true, answered: {}, onAnswer: () => {}, onRetry }),
      }),
    ),
  );
}

describe('a failed answer', () => {
  it('says why it failed, with the code, as text', () => {
    const onRetry = vi.fn();
    render(host().bridge, failed({ code: 'provider_status', message: `the provider answered 502: upstream ${IMG}` }), onRetry);
    const note = dom.container.querySelector('.answer-failed');
    expect(note?.getAttribute('role')).toBe('note');
    expect(note?.textContent).toBe(`The answer failed: the provider answered 502: upstream ${IMG} (provider_status)`);
    expect(dom.container.querySelectorAll('img').length).toBe(0);
    retryButton()!.click();
    expect(onRetry).toHaveBeenCalledOnce();
  });

  it('a crashed turn says so; an answer without a stored reason, or a good one, says nothing', () => {
    render(host().bridge, failed({ code: 'host_stopped', message: 'the host stopped while this turn was running' }));
    expect(text()).toContain('The answer failed: the host stopped while this turn was running (host_stopped)');

    for (const error of [undefined, null, 'boom', { message: 'no code' }, { code: '' }]) {
      render(host().bridge, failed(error));
      expect(dom.container.querySelector('.answer-failed'), JSON.stringify(error)).toBeNull();
    }
    expect(failureOf(failed({ code: 'provider_error' }))).toEqual({ code: 'provider_error', message: '' });
    expect(failureOf({ id: 'u', role: 'user', parts: [], metadata: { error: { code: 'x', message: 'y' } } })).toBeNull();
    expect(failureOf({ id: 'a', role: 'assistant', parts: [] })).toBeNull();
  });

  it('is not shown while the answer is still streaming', () => {
    flushSync(() =>
      dom.root.render(
        createElement(DesktopProvider, {
          bridge: host().bridge,
          children: createElement(ChatMessage, {
            sessionId: S,
            message: failed({ code: 'provider_error', message: 'x' }),
            finished: false,
            answered: {},
            onAnswer: () => {},
          }),
        }),
      ),
    );
    expect(dom.container.querySelector('.answer-failed')).toBeNull();
  });

  it('whose turn changed files offers no Retry, only a new message', async () => {
    const written = changes([
      { path: '/w/out.txt', status: 'added', untracked: false, additions: 1, deletions: 0, diff: '--- /dev/null\n+++ b/w/out.txt\n@@ -0,0 +1 @@\n+x\n' },
    ]);
    render(host(written).bridge, failed({ code: 'provider_error', message: 'upstream overloaded' }, [WRITE]), () => {});
    await vi.waitFor(() => expect(text()).toContain('1 file changed'));
    expect(retryButton()).toBeUndefined();
    expect(dom.container.querySelector('.retry-changed')?.textContent).toContain('send a new message');
  });

  it('whose tools changed nothing keeps its Retry', async () => {
    const { bridge, calls } = host(changes([]));
    render(bridge, failed({ code: 'provider_error', message: 'upstream overloaded' }, [WRITE]), () => {});
    await vi.waitFor(() => expect(calls.some((c) => c.path.endsWith('/changes'))).toBe(true));
    await new Promise((r) => setTimeout(r, 20));
    expect(retryButton()).toBeDefined();
    expect(dom.container.querySelector('.retry-changed')).toBeNull();
  });
});
