// @vitest-environment jsdom
//
// Keyboard: the Stop shortcut (Esc while an answer streams, the focus in
// the chat) in the one table, the handler and the Keyboard Shortcuts view,
// and what it does in the app against a fake host (what the Stop button
// does: the host is told, then the reading stops); and the deep-link
// question's focus (kept inside it, given back when it is answered).

import { createElement, useState } from 'react';
import { flushSync } from 'react-dom';
import { describe, expect, it, vi } from 'vitest';
import { App } from '../src/App';
import { ARM_DELAY_MS, LinkConfirm } from '../src/components/LinkConfirm';
import { keysOf, SHORTCUTS, shortcutOf } from '../src/components/shortcuts';
import { ShortcutsDialog } from '../src/components/ShortcutsDialog';
import type { DesktopFetchInit } from '../src/desktop/types';
import { mountPerTest } from './dom';
import { fakeBridge } from './fake-bridge';
import { errorResponse } from './fixtures/turn';

const dom = mountPerTest({ act: false });
const { button } = dom;

const key = (k: string, mods: Partial<KeyboardEvent> & { isComposing?: boolean } = {}) =>
  shortcutOf({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });

/** A keydown as the browser sends it: bubbling, cancelable. */
function press(target: Element, k: string, mods: KeyboardEventInit = {}): KeyboardEvent {
  const e = new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...mods });
  target.dispatchEvent(e);
  return e;
}

describe('the Stop shortcut', () => {
  it('is Esc alone, not Esc with a modifier nor the one that ends an input method’s composition', () => {
    expect(key('Escape')).toBe('stop');
    for (const mods of [{ ctrlKey: true }, { metaKey: true }, { altKey: true }, { shiftKey: true }, { isComposing: true }, { keyCode: 229 }]) {
      expect(key('Escape', mods), JSON.stringify(mods)).toBeNull();
    }
    expect(keysOf('stop')).toBe('Esc');
  });

  it('every shortcut the table lists with an action is the one the handler maps its keys to', () => {
    const handled = SHORTCUTS.filter((s) => s.action !== null);
    expect(handled.map((s) => s.action)).toContain('stop');
    for (const s of handled) {
      const last = s.keys[s.keys.length - 1]!;
      const k = last === 'Esc' ? 'Escape' : last.length === 1 ? last.toLowerCase() : last;
      expect(
        key(k, { ctrlKey: s.keys.includes('Ctrl'), altKey: s.keys.includes('Alt'), shiftKey: s.keys.includes('Shift') }),
        s.keys.join('+'),
      ).toBe(s.action);
    }
  });

  it('the Keyboard Shortcuts view lists it', () => {
    flushSync(() => dom.root.render(createElement(ShortcutsDialog, { onClose: () => {} })));
    const rows = [...dom.container.querySelectorAll('.shortcut-table tbody tr')].map((tr) => ({
      keys: [...tr.querySelectorAll('kbd')].map((k) => k.textContent),
      does: tr.querySelectorAll('td')[1]?.textContent,
    }));
    expect(rows).toContainEqual({ keys: ['Esc'], does: 'Stop the answer (while it streams, in the chat)' });
    expect(rows).toHaveLength(SHORTCUTS.length);
  });
});

// ---------------------------------------------------------------------------
// The app against a fake host whose turns stream until they are stopped.

const json = (v: unknown) => new Response(JSON.stringify(v), { headers: { 'content-type': 'application/json' } });

const session = (id: string) => ({
  id,
  title: '',
  created_at_ms: 1,
  updated_at_ms: 1,
  archived: false,
  usage: { input_tokens: 0, output_tokens: 0 },
  code_languages: [],
  doc_id: null,
});

/** A turn that has begun its answer and goes on until its reader stops. */
function streamingTurn(n: number, init: DesktopFetchInit): Response {
  const frames = [
    { type: 'start', messageId: `msg_${n}`, messageMetadata: { sessionId: 'ses_new', turnId: `turn_${n}` } },
    { type: 'start-step' },
    { type: 'text-start', id: 't0' },
    { type: 'text-delta', id: 't0', delta: `Answer ${n} begins` },
  ];
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      frames.forEach((f, seq) => c.enqueue(enc.encode(`id: turn_${n}:${seq}\ndata: ${JSON.stringify(f)}\n\n`)));
      init.signal?.addEventListener('abort', () => c.error(new DOMException('stopped', 'AbortError')));
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream', 'x-vercel-ai-ui-message-stream': 'v1' } });
}

function fakeHost() {
  let turns = 0;
  return fakeBridge((path, init) => {
    const method = init.method ?? 'GET';
    if (path === '/events') return new Response(new ReadableStream<Uint8Array>());
    if (path === '/recent') return json({ entries: [] });
    if (path === '/workspaces') return json({ workspaces: [] });
    if (path.startsWith('/sessions?')) return json({ sessions: [], total: 0 });
    if (path === '/sessions' && method === 'POST') return json(session('ses_new'));
    if (path === '/sessions/ses_new') return json(session('ses_new'));
    if (path === '/sessions/ses_new/messages') return json({ messages: [] });
    if (path === '/sessions/ses_new/turns' && method === 'POST') return streamingTurn(++turns, init);
    if (path === '/sessions/ses_new/abort' && method === 'POST') return json({ aborted: true });
    return errorResponse(404, 'no_route', path);
  });
}

function typeMessage(text: string) {
  const area = dom.container.querySelector('textarea')!;
  Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!.call(area, text);
  area.dispatchEvent(new Event('input', { bubbles: true }));
}

const hasButton = (name: string) => [...dom.container.querySelectorAll('button')].some((b) => b.textContent?.trim() === name);

describe('Esc in the app', () => {
  it('stops a streaming answer as the Stop button does, only with the focus in the chat, never through a dialog', async () => {
    const host = fakeHost();
    Object.defineProperty(window, 'desktop', { value: host.bridge, configurable: true });
    flushSync(() => dom.root.render(createElement(App)));
    await vi.waitFor(() => button('New session'));
    button('New session').click();
    await vi.waitFor(() => expect(dom.container.querySelector('#pane-chat textarea')).not.toBeNull());
    const aborts = () => host.calls.filter((c) => c.path === '/sessions/ses_new/abort' && c.init.method === 'POST').length;
    const textarea = () => dom.container.querySelector('textarea')!;

    textarea().focus();
    typeMessage('Count slowly');
    button('Send').click();
    await vi.waitFor(() => expect(dom.container.querySelector('.message.assistant')?.textContent).toContain('Answer 1 begins'));
    expect(button('Stop').title).toBe('Stop the answer (Esc)');

    // Not in the chat: the sidebar's Esc is not a Stop.
    const sidebar = document.getElementById('pane-sidebar')!;
    sidebar.focus();
    expect(press(sidebar, 'Escape').defaultPrevented).toBe(false);
    // A dialog's Esc closes the dialog, and only that.
    textarea().focus();
    press(textarea(), '/', { ctrlKey: true });
    await vi.waitFor(() => expect(document.activeElement?.closest('[role="dialog"]')).not.toBeNull());
    press(document.activeElement!, 'Escape');
    await vi.waitFor(() => expect(dom.container.querySelector('[role="dialog"]')).toBeNull());
    expect(document.activeElement).toBe(textarea());
    await new Promise((r) => setTimeout(r, 50));
    expect(aborts()).toBe(0);
    expect(hasButton('Stop')).toBe(true);

    // In the chat's input: Stop. The host is told, the reading stops.
    const esc = press(textarea(), 'Escape');
    expect(esc.defaultPrevented).toBe(true);
    await vi.waitFor(() => expect(hasButton('Send')).toBe(true));
    expect(aborts()).toBe(1);
    expect(hasButton('Stop')).toBe(false);
    // Nothing streams now: Esc is nobody's.
    expect(press(textarea(), 'Escape').defaultPrevented).toBe(false);
    expect(aborts()).toBe(1);

    // The next answer, stopped by the button: the same.
    typeMessage('Again');
    button('Send').click();
    await vi.waitFor(() => expect(dom.container.textContent).toContain('Answer 2 begins'));
    button('Stop').click();
    await vi.waitFor(() => expect(hasButton('Send')).toBe(true));
    expect(aborts()).toBe(2);
  });
});

// ---------------------------------------------------------------------------
// The deep-link question

/** The question until it is answered, as App shows it. */
function Question({ onAnswer }: { onAnswer: (open: boolean) => void }) {
  const [asked, setAsked] = useState(true);
  const answer = (open: boolean) => {
    setAsked(false);
    onAnswer(open);
  };
  return asked
    ? createElement(LinkConfirm, {
        request: { kind: 'workspace', path: '/home/u/src' },
        waiting: 0,
        onOpen: () => answer(true),
        onCancel: () => answer(false),
      })
    : null;
}

/** A button of the page focused, then the question appears. */
function ask(onAnswer: (open: boolean) => void) {
  const before = document.body.appendChild(document.createElement('button'));
  before.textContent = 'Elsewhere';
  before.focus();
  flushSync(() => dom.root.render(createElement(Question, { onAnswer })));
  const dialog = dom.container.querySelector<HTMLElement>('[role="alertdialog"]')!;
  const open = dialog.querySelector<HTMLButtonElement>('.link-open')!;
  const cancel = dialog.querySelector<HTMLButtonElement>('.link-cancel')!;
  return { before, dialog, open, cancel };
}

describe('the deep-link question', () => {
  it('Cancel has the focus; Tab and Shift+Tab go round its buttons; Esc cancels and the focus goes back', async () => {
    const answers: boolean[] = [];
    const { before, dialog, open, cancel } = ask((a) => answers.push(a));
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    await vi.waitFor(() => expect(document.activeElement).toBe(cancel));
    // Before it is armed, Cancel is all there is to Tab to.
    expect(press(cancel, 'Tab').defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(cancel);
    await vi.waitFor(() => expect(open.disabled).toBe(false), { timeout: ARM_DELAY_MS + 2000 });
    // Tab from the last button goes to the first, Shift+Tab from the first
    // to the last: never out of the question.
    expect(press(cancel, 'Tab').defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(open);
    expect(press(open, 'Tab', { shiftKey: true }).defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(cancel);
    // Shift+Tab from the question itself (a click on its text) too.
    dialog.focus();
    press(dialog, 'Tab', { shiftKey: true });
    expect(document.activeElement).toBe(cancel);

    // Esc cancels, and is not the app's too (the chat's Stop).
    const outside = vi.fn();
    window.addEventListener('keydown', outside);
    press(cancel, 'Escape');
    window.removeEventListener('keydown', outside);
    expect(outside).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(dom.container.querySelector('[role="alertdialog"]')).toBeNull());
    expect(answers).toEqual([false]);
    expect(document.activeElement).toBe(before);
    before.remove();
  });

  it('Open by keyboard answers it, and the focus goes back where it was', async () => {
    const answers: boolean[] = [];
    const { before, open, cancel } = ask((a) => answers.push(a));
    await vi.waitFor(() => expect(open.disabled).toBe(false), { timeout: ARM_DELAY_MS + 2000 });
    press(cancel, 'Tab');
    expect(document.activeElement).toBe(open);
    open.click();
    await vi.waitFor(() => expect(dom.container.querySelector('[role="alertdialog"]')).toBeNull());
    expect(answers).toEqual([true]);
    expect(document.activeElement).toBe(before);
    before.remove();
  });

  it('a click beside the question leaves the focus in it', async () => {
    const { before, cancel } = ask(() => {});
    await vi.waitFor(() => expect(document.activeElement).toBe(cancel));
    const backdrop = dom.container.querySelector('.modal-backdrop')!;
    const down = new MouseEvent('mousedown', { bubbles: true, cancelable: true });
    backdrop.dispatchEvent(down);
    expect(down.defaultPrevented).toBe(true);
    before.remove();
  });
});
