// @vitest-environment jsdom
//
// A finished answer's changes against a fake host: the summary, the diff as
// text lines, the tool card's link to it, and Undo / Undo anyway / Redo
// with the host's refusals (409 changed_since, 410 checkpoint_pruned).

import type { UIMessage } from 'ai';
import { createElement } from 'react';
import { flushSync } from 'react-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useChangesFollowSession } from '../src/changes/hooks';
import { ChatMessage } from '../src/components/ChatMessage';
import type { DesktopFetchInit, TurnChanges } from '../src/desktop/types';
import { DesktopProvider } from '../src/desktop-context';
import { mountPerTest } from './dom';
import { fakeBridge } from './fake-bridge';
import { errorResponse } from './fixtures/turn';

const S = 'ses_1';
const T = 'turn_1';
const PATH = '/home/u/plan.md';
const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = '<script>window.__pwned=1</script>';

declare global {
  interface Window {
    __pwned?: number;
  }
}

const CHANGES: TurnChanges = {
  turn_id: T,
  files: [
    {
      path: PATH,
      status: 'modified',
      untracked: false,
      additions: 2,
      deletions: 1,
      diff: `--- a${PATH}\n+++ b${PATH}\n@@ -1,2 +1,3 @@\n # Plan\n-Second section.\n+Second section, tightened.\n+${IMG}${SCRIPT}\n`,
    },
  ],
};

const ANSWER: UIMessage = {
  id: 'msg_1',
  role: 'assistant',
  metadata: { sessionId: S, turnId: T },
  parts: [
    {
      type: 'tool-edit_document',
      toolCallId: 'c1',
      state: 'output-available',
      input: { edits: [{ old: 'Second section.', new: 'Second section, tightened.' }] },
      output: { ok: true },
    } as UIMessage['parts'][number],
    { type: 'text', text: 'Done.' },
  ],
};

type Answer = (init: DesktopFetchInit) => Response;

function json(v: unknown, status = 200) {
  return new Response(JSON.stringify(v), { status, headers: { 'content-type': 'application/json' } });
}

/** A host that answers the changes and the reverts from queues. */
function fakeHost(opts: { changes?: () => Response; reverts?: Answer[]; redos?: Answer[] } = {}) {
  const reverts = [...(opts.reverts ?? [])];
  const redos = [...(opts.redos ?? [])];
  const streams: ReadableStreamDefaultController<Uint8Array>[] = [];
  const fake = fakeBridge((path, init) => {
    if (path === '/events') return new Response(new ReadableStream<Uint8Array>({ start: (c) => void streams.push(c) }));
    if (path === `/sessions/${S}/turns/${T}/changes`) return opts.changes ? opts.changes() : json(CHANGES);
    if (path === `/sessions/${S}/turns/${T}/revert`) return reverts.shift()?.(init) ?? errorResponse(500, 'internal', 'x');
    if (path.startsWith(`/sessions/${S}/changes/`)) return redos.shift()?.(init) ?? errorResponse(500, 'internal', 'x');
    return errorResponse(404, 'no_route', path);
  });
  let seq = 0;
  return {
    ...fake,
    /** Sends a host event to every open /events stream. */
    send(event: object) {
      seq++;
      for (const c of streams) c.enqueue(new TextEncoder().encode(`id: run-${seq}\ndata: ${JSON.stringify(event)}\n\n`));
    },
    streams: () => streams.length,
  };
}

const dom = mountPerTest({ act: false });
afterEach(() => {
  delete window.__pwned;
});

/** The message as the chat shows it (the chat follows its session's
 * events once for all its messages). */
function Followed(props: Parameters<typeof ChatMessage>[0]) {
  useChangesFollowSession(props.sessionId);
  return createElement(ChatMessage, props);
}

function render(host: ReturnType<typeof fakeHost>, message = ANSWER, finished = true) {
  flushSync(() =>
    dom.root.render(
      createElement(DesktopProvider, {
        bridge: host.bridge,
        children: createElement(Followed, { sessionId: S, message, finished, answered: {}, onAnswer: () => {} }),
      }),
    ),
  );
}

const { button } = dom;

const text = () => dom.container.textContent ?? '';
const bodies = (calls: { path: string; init: DesktopFetchInit }[], part: string) =>
  calls.filter((c) => c.path.includes(part)).map((c) => JSON.parse(c.init.body ?? 'null'));

describe('a turn\'s changes in the chat', () => {
  it('shows the summary and the diff as text lines, and nothing runs', async () => {
    const host = fakeHost();
    render(host);
    await vi.waitFor(() => expect(text()).toContain('1 file changed'));
    expect(dom.container.querySelector('.changes-summary')?.textContent).toBe('1 file changed +2 −1');
    const rows = [...dom.container.querySelectorAll('.unified-diff .diff-row')];
    expect(rows.map((r) => r.className.replace('diff-row ', ''))).toEqual([
      'diff-hunk',
      'diff-same',
      'diff-del',
      'diff-add',
      'diff-add',
    ]);
    expect(rows[4]!.textContent).toContain(IMG + SCRIPT);
    expect(dom.container.querySelectorAll('img, script').length).toBe(0);
    expect(window.__pwned).toBeUndefined();
    // The small turn's diff is open at once.
    expect(dom.container.querySelector<HTMLDetailsElement>('details.changed-file')?.open).toBe(true);
  });

  it('asks nothing while the answer streams, or of an answer without writes', async () => {
    const host = fakeHost();
    render(host, ANSWER, false);
    render(host, { ...ANSWER, parts: [{ type: 'text', text: 'hi' }] });
    await new Promise((r) => setTimeout(r, 20));
    expect(host.calls.filter((c) => c.path.includes('/changes'))).toHaveLength(0);
    expect(text()).not.toContain('changed');
  });

  it('the write tool card opens and focuses its file\'s diff', async () => {
    render(fakeHost());
    await vi.waitFor(() => button('Show the diff of plan.md'));
    const details = dom.container.querySelector<HTMLDetailsElement>('details.changed-file')!;
    details.querySelector('summary')!.click(); // the user closes it
    await vi.waitFor(() => expect(details.open).toBe(false));
    button('Show the diff of plan.md').click();
    await vi.waitFor(() => expect(details.open).toBe(true));
    expect(document.activeElement).toBe(details.querySelector('summary'));
  });

  it('Undo, refused for a file changed since; Undo anyway forces it; Redo reverts the revert', async () => {
    const host = fakeHost({
      reverts: [
        () =>
          json({ error: { code: 'changed_since', message: 'changed since the turn' }, files: [`${PATH}${IMG}`] }, 409),
        () => json({ revert_id: 'chg_9', restored: [PATH], skipped: [] }),
        () => json({ revert_id: 'chg_10', restored: [PATH], skipped: [] }),
      ],
      redos: [() => json({ revert_id: 'chg_11', restored: [PATH], skipped: [] })],
    });
    render(host);
    await vi.waitFor(() => button('Undo this turn’s changes'));
    button('Undo this turn’s changes').click();

    await vi.waitFor(() => expect(dom.container.querySelector('[role="alert"]')?.textContent).toContain('Not undone'));
    expect(dom.container.querySelector('.undo-files')?.textContent).toBe(`${PATH}${IMG}`);
    expect(dom.container.querySelectorAll('img').length).toBe(0);
    button('Undo anyway').click();

    await vi.waitFor(() => expect(dom.container.querySelector('[role="status"]')?.textContent).toContain('Undone.'));
    expect(bodies(host.calls, '/revert')).toEqual([{}, { force: true }]);
    button('Redo').click();

    await vi.waitFor(() => expect(text()).toContain('Redone'));
    expect(host.calls.some((c) => c.path === `/sessions/${S}/changes/chg_9/revert` && c.init.method === 'POST')).toBe(true);
    // And it can be undone again.
    button('Undo this turn’s changes').click();
    await vi.waitFor(() => expect(text()).toContain('Undone.'));
  });

  it('a refused redo lists the files and Redo anyway forces it; Cancel keeps the undo', async () => {
    const host = fakeHost({
      reverts: [() => json({ revert_id: 'chg_1', restored: [PATH], skipped: [] })],
      redos: [
        () => json({ error: { code: 'changed_since', message: 'changed since the undo' }, files: [PATH] }, 409),
        () => json({ error: { code: 'changed_since', message: 'changed since the undo' }, files: [PATH] }, 409),
        () => json({ revert_id: 'chg_2', restored: [PATH], skipped: [] }),
      ],
    });
    render(host);
    await vi.waitFor(() => button('Undo this turn’s changes'));
    button('Undo this turn’s changes').click();
    await vi.waitFor(() => button('Redo'));
    button('Redo').click();
    await vi.waitFor(() => expect(dom.container.querySelector('[role="alert"]')?.textContent).toContain('Not redone'));
    button('Cancel').click();
    await vi.waitFor(() => expect(text()).toContain('Undone.'));
    button('Redo').click();
    await vi.waitFor(() => button('Redo anyway'));
    button('Redo anyway').click();
    await vi.waitFor(() => expect(text()).toContain('Redone'));
    expect(bodies(host.calls, '/changes/chg_1/revert')).toEqual([{}, {}, { force: true }]);
  });

  it('reads the changes again when the host says the session changed', async () => {
    const host = fakeHost();
    render(host);
    await vi.waitFor(() => expect(text()).toContain('1 file changed'));
    await vi.waitFor(() => expect(host.streams()).toBe(1));
    const reads = () => host.calls.filter((c) => c.path.endsWith('/changes')).length;
    const before = reads();
    host.send({ type: 'session.updated', session_id: 'ses_other' });
    host.send({ type: 'session.updated', session_id: S });
    await vi.waitFor(() => expect(reads()).toBe(before + 1));
  });

  it('says when the checkpoint was pruned', async () => {
    const host = fakeHost({ reverts: [() => errorResponse(410, 'checkpoint_pruned', 'pruned')] });
    render(host);
    await vi.waitFor(() => button('Undo this turn’s changes'));
    button('Undo this turn’s changes').click();
    await vi.waitFor(() => expect(text()).toContain('checkpoint was pruned'));
    expect(dom.container.querySelector('.undo-turn')).toBeNull();

    dom.remount();
    render(fakeHost({ changes: () => errorResponse(410, 'checkpoint_pruned', 'pruned') }));
    await vi.waitFor(() => expect(text()).toContain('can no longer be shown or undone'));
  });

  it('a failed undo says why and offers it again', async () => {
    const host = fakeHost({
      reverts: [() => errorResponse(503, 'timeout', 'took too long'), () => json({ revert_id: 'c', restored: [], skipped: [{ path: '/w/big.bin', reason: 'untracked' }] })],
    });
    render(host);
    await vi.waitFor(() => button('Undo this turn’s changes'));
    button('Undo this turn’s changes').click();
    await vi.waitFor(() => expect(dom.container.querySelector('[role="alert"]')?.textContent).toBe('Could not undo: took too long'));
    button('Undo this turn’s changes').click();
    await vi.waitFor(() => expect(text()).toContain('Not restored:/w/big.bin (untracked)'));
  });
});
