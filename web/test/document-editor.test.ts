// @vitest-environment jsdom
//
// The document window against a fake host: GET/PUT /documents/{id} over a
// file held in memory, and GET /events as a stream the test writes into.
// The editor is the real CodeMirror (lazy-loaded as in the app).

import { EditorSelection } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { createElement } from 'react';
import { flushSync } from 'react-dom';
import { describe, expect, it, vi } from 'vitest';
import type { HostEvent } from '../src/desktop/events';
import type { DesktopFetchInit } from '../src/desktop/types';
import { DesktopProvider } from '../src/desktop-context';
import { MARK_MINE } from '../src/documents/merge';
import { DocumentEditor } from '../src/pages/DocumentEditor';
import { mountPerTest } from './dom';
import { fakeBridge } from './fake-bridge';
import { errorResponse } from './fixtures/turn';

const DOC = 'doc_1';
const PATH = '/home/u/plan.md';

/** A file on a fake disk, and the host's answers about it. */
function fakeHost(initial: string) {
  const file: { content: string; mtime: number; exists: boolean } = { content: initial, mtime: 1, exists: true };
  const streams: ReadableStreamDefaultController<Uint8Array>[] = [];
  let seq = 0;
  const json = (v: unknown) => new Response(JSON.stringify(v), { headers: { 'content-type': 'application/json' } });
  const { bridge, calls } = fakeBridge((path: string, init: DesktopFetchInit) => {
    if (path === '/events') {
      return new Response(new ReadableStream<Uint8Array>({ start: (c) => void streams.push(c) }));
    }
    if (path === `/documents/${DOC}` && (init.method ?? 'GET') === 'GET') {
      if (!file.exists) return errorResponse(404, 'not_found', 'the file no longer exists');
      return json({ doc_id: DOC, path: PATH, content: file.content, mtime: String(file.mtime) });
    }
    if (path === `/documents/${DOC}` && init.method === 'PUT') {
      const body = JSON.parse(init.body ?? '{}') as { content: string; expected_mtime?: string };
      if (body.expected_mtime !== undefined && (!file.exists || body.expected_mtime !== String(file.mtime))) {
        return errorResponse(409, 'conflict', 'the file changed on disk');
      }
      Object.assign(file, { content: body.content, mtime: file.mtime + 1, exists: true });
      return json({ mtime: String(file.mtime) });
    }
    return errorResponse(404, 'not_found', path);
  });
  const enc = new TextEncoder();
  return {
    bridge,
    calls,
    file,
    /** Sends an event to every open /events stream. */
    send(event: HostEvent) {
      seq++;
      for (const c of streams) c.enqueue(enc.encode(`id: run-${seq}\ndata: ${JSON.stringify(event)}\n\n`));
    },
    /** Someone else writes the file. */
    write(content: string) {
      Object.assign(file, { content, mtime: file.mtime + 1, exists: true });
      return String(file.mtime);
    },
    reads: () => calls.filter((c) => c.path === `/documents/${DOC}` && (c.init.method ?? 'GET') === 'GET').length,
    puts: () => calls.filter((c) => c.init.method === 'PUT').map((c) => JSON.parse(c.init.body ?? '{}')),
    streams: () => streams.length,
  };
}

const dom = mountPerTest({ act: false });

// jsdom does no layout; CodeMirror measures text ranges.
const emptyRects = Object.assign([], { item: () => null }) as unknown as DOMRectList;
Range.prototype.getClientRects ??= () => emptyRects;
Range.prototype.getBoundingClientRect ??= () => new DOMRect();

const editorText = () => view().state.doc.toString();
const statusText = () => dom.container.querySelector('.status')?.textContent;

function view(): EditorView {
  const el = dom.container.querySelector<HTMLElement>('.cm-editor');
  const v = el && EditorView.findFromDOM(el);
  if (!v) throw new Error('no editor');
  return v;
}

/** Types as the user would (a user transaction: the editor marks it dirty). */
function type(text: string, at = 0) {
  view().dispatch({ changes: { from: at, insert: text }, userEvent: 'input.type' });
}

const { button } = dom;

async function open(initial: string, onOpenPath?: (path: string) => void) {
  const host = fakeHost(initial);
  flushSync(() =>
    dom.root.render(
      createElement(DesktopProvider, {
        bridge: host.bridge,
        children: createElement(DocumentEditor, { docId: DOC, onOpenPath }),
      }),
    ),
  );
  await vi.waitFor(() => expect(editorText()).toBe(initial));
  await vi.waitFor(() => expect(host.streams()).toBe(1));
  return host;
}

describe('DocumentEditor live changes', () => {
  it('a clean editor takes an agent edit in place: same editor, cursor on the same text', async () => {
    const host = await open('# Plan\n\nSecond section.\n');
    const editor = dom.container.querySelector('.cm-editor');
    const at = editorText().indexOf('section');
    view().dispatch({ selection: EditorSelection.single(at) });

    const version = host.write('# Plan\n\nA new first section.\n\nSecond section.\n');
    host.send({ type: 'document.changed', doc_id: DOC, version, source: 'agent' });
    await vi.waitFor(() => expect(editorText()).toBe('# Plan\n\nA new first section.\n\nSecond section.\n'));

    expect(dom.container.querySelector('.cm-editor')).toBe(editor); // not recreated
    const head = view().state.selection.main.head;
    expect(view().state.sliceDoc(head, head + 'section'.length)).toBe('section');
    expect(view().state.doc.lineAt(head).text).toBe('Second section.');
    expect(statusText()).toBe('saved');
    expect(dom.container.querySelector('.cm-content')?.textContent).toContain('A new first section.');
  });

  it('its own Save coming back as an event reads nothing again; another document’s event is ignored', async () => {
    const host = await open('a\n');
    type('b');
    await vi.waitFor(() => expect(statusText()).toBe('dirty'));
    button('Save').click();
    await vi.waitFor(() => expect(statusText()).toBe('saved'));
    const reads = host.reads();
    host.send({ type: 'document.changed', doc_id: DOC, version: String(host.file.mtime), source: 'window' });
    host.send({ type: 'document.changed', doc_id: 'doc_other', version: '99', source: 'agent' });
    host.send({ type: 'document.removed', doc_id: 'doc_other' });
    await new Promise((r) => setTimeout(r, 30));
    expect(host.reads()).toBe(reads);
    expect(dom.container.querySelector('[role="alert"]')).toBeNull();
    expect(host.puts()).toEqual([{ content: 'ba\n', expected_mtime: '1' }]);
  });

  async function dirtyWithChange(source: 'agent' | 'external') {
    const host = await open('one\ntwo\nthree\n');
    type('mine: ');
    await vi.waitFor(() => expect(statusText()).toBe('dirty'));
    const version = host.write('one\ntwo\nthree, theirs\n');
    host.send({ type: 'document.changed', doc_id: DOC, version, source });
    await vi.waitFor(() => expect(dom.container.querySelector('.disk-change')).not.toBeNull());
    return { host, version };
  }

  it('a dirty editor is asked: the banner names who changed it and shows the diff', async () => {
    await dirtyWithChange('external');
    const banner = dom.container.querySelector('.disk-change')!;
    expect(banner.querySelector('[role="alert"]')?.textContent).toBe(
      'Changed on disk by another program. You have unsaved changes; nothing is lost until you choose.',
    );
    expect(banner.getAttribute('aria-label')).toBe('Changed on disk by another program');
    expect([...banner.querySelectorAll('button')].map((b) => b.textContent)).toEqual([
      'Take theirs (drop my changes)',
      'Keep mine (Save will overwrite theirs)',
      'Merge both',
    ]);
    expect([...banner.querySelectorAll('.diff-mine')].map((r) => r.textContent)).toEqual(['−only in yours: mine: one', '−only in yours: three']);
    expect([...banner.querySelectorAll('.diff-theirs')].map((r) => r.textContent)).toEqual(['+only on disk: one', '+only on disk: three, theirs']);
    expect(editorText()).toBe('mine: one\ntwo\nthree\n'); // untouched until a choice
  });

  it('Take theirs: their text, nothing unsaved', async () => {
    await dirtyWithChange('agent');
    expect(dom.container.querySelector('.disk-change')?.textContent).toContain('Changed on disk by the agent');
    button(/^Take theirs/).click();
    await vi.waitFor(() => expect(editorText()).toBe('one\ntwo\nthree, theirs\n'));
    expect(statusText()).toBe('saved');
    expect(dom.container.querySelector('.disk-change')).toBeNull();
  });

  it('Keep mine: my text stays, and Save overwrites their version knowingly (no 409)', async () => {
    const { host, version } = await dirtyWithChange('agent');
    button(/^Keep mine/).click();
    await vi.waitFor(() => expect(dom.container.querySelector('.disk-change')).toBeNull());
    expect(editorText()).toBe('mine: one\ntwo\nthree\n');
    expect(statusText()).toBe('dirty');
    button('Save').click();
    await vi.waitFor(() => expect(statusText()).toBe('saved'));
    expect(host.puts()).toEqual([{ content: 'mine: one\ntwo\nthree\n', expected_mtime: version }]);
    expect(host.file.content).toBe('mine: one\ntwo\nthree\n');
  });

  it('Merge: both changes in the editor, unsaved, saved over their version', async () => {
    const { host, version } = await dirtyWithChange('agent');
    button('Merge both').click();
    await vi.waitFor(() => expect(editorText()).toBe('mine: one\ntwo\nthree, theirs\n'));
    expect(statusText()).toBe('dirty');
    button('Save').click();
    await vi.waitFor(() => expect(statusText()).toBe('saved'));
    expect(host.puts()).toEqual([{ content: 'mine: one\ntwo\nthree, theirs\n', expected_mtime: version }]);
  });

  it('Merge with a conflict marks it and says so', async () => {
    const host = await open('line\n');
    view().dispatch({ changes: { from: 0, to: 4, insert: 'my line' }, userEvent: 'input.type' });
    const version = host.write('their line\n');
    host.send({ type: 'document.changed', doc_id: DOC, version, source: 'agent' });
    await vi.waitFor(() => expect(dom.container.querySelector('.disk-change')).not.toBeNull());
    button('Merge both').click();
    await vi.waitFor(() => expect(editorText()).toBe(`${MARK_MINE}\nmy line\n=======\ntheir line\n>>>>>>> theirs\n`));
    expect(dom.container.querySelector('.merge-conflicts')?.getAttribute('role')).toBe('status');
    expect(statusText()).toBe('dirty');
  });

  it('a Save refused with 409 shows the change and the same choices', async () => {
    const host = await open('a\n');
    type('mine ');
    host.write('theirs\n'); // no event: the Save finds out
    button('Save').click();
    await vi.waitFor(() => expect(dom.container.querySelector('.disk-change')).not.toBeNull());
    expect(statusText()).toBe('conflict');
    button(/^Take theirs/).click();
    await vi.waitFor(() => expect(editorText()).toBe('theirs\n'));
    expect(statusText()).toBe('saved');
  });

  it('deleted on disk: the text stays, unsaved, and Save writes the file again', async () => {
    const host = await open('keep me\n');
    host.file.exists = false;
    host.send({ type: 'document.removed', doc_id: DOC });
    await vi.waitFor(() => expect(dom.container.querySelector('.disk-gone')).not.toBeNull());
    expect(dom.container.querySelector('.disk-gone')?.textContent).toContain('Deleted on disk');
    expect(statusText()).toBe('dirty');
    expect(editorText()).toBe('keep me\n');
    button('Save (create the file again)').click();
    await vi.waitFor(() => expect(statusText()).toBe('saved'));
    expect(host.puts()).toEqual([{ content: 'keep me\n', recreate: true }]);
    expect(host.file.exists).toBe(true);
    expect(dom.container.querySelector('.disk-gone')).toBeNull();
  });

  it('renamed on disk: says where to, and opens it through the app’s open flow', async () => {
    const opened: string[] = [];
    const host = await open('text\n', (p) => opened.push(p));
    host.send({ type: 'document.moved', doc_id: DOC, path: '/home/u/renamed.md' });
    await vi.waitFor(() => expect(dom.container.querySelector('.disk-gone')).not.toBeNull());
    expect(dom.container.querySelector('.moved-path')?.textContent).toBe('/home/u/renamed.md');
    button('Open /home/u/renamed.md').click();
    expect(opened).toEqual(['/home/u/renamed.md']);
    expect(editorText()).toBe('text\n');
  });

  it('resync: a clean editor reads again and takes the change; a dirty one is asked', async () => {
    const host = await open('v1\n');
    host.write('v2\n');
    host.send({ type: 'resync' });
    await vi.waitFor(() => expect(editorText()).toBe('v2\n'));
    type('mine ');
    host.write('v3\n');
    host.send({ type: 'resync' });
    await vi.waitFor(() => expect(dom.container.querySelector('.disk-change')).not.toBeNull());
    expect(dom.container.querySelector('.disk-change')?.textContent).toContain('Changed on disk.');
    // Nothing changed since: a resync asks nothing.
    button(/^Keep mine/).click();
    const reads = host.reads();
    host.send({ type: 'resync' });
    await vi.waitFor(() => expect(host.reads()).toBe(reads + 1));
    await new Promise((r) => setTimeout(r, 20));
    expect(dom.container.querySelector('.disk-change')).toBeNull();
  });
});
