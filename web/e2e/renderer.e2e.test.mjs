// End-to-end: the real renderer (web/dist) in headless Chromium against a
// REAL agent host and the scripted OpenAI-compatible provider, all on
// 127.0.0.1.
//
//   npm --prefix web run e2e
//
// Prerequisites (this test builds nothing):
//   cargo build -p agent-host -p agent-provider --features agent-provider/scripted --bins
//   npm --prefix web run build
//   apt-get install -y chromium          (/usr/bin/chromium, or set E2E_CHROMIUM)
//
// The shell's preload (which goes through a Rust custom scheme) is stood in
// for by an init script that defines the same frozen `window.desktop`
// (fetch + onHostState) over plain fetch, adding the Basic credentials. The
// password is generated here, reaches the host only over its stdin, and is
// never printed.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, WAIT_MS, newSessionByKeyboard, scripted, send, startWorld, useBrowser, withPage, withWorld } from './world.mjs';

useBrowser();

// ---------------------------------------------------------------------------
// Scenarios

test('chat: a streamed answer from the host, and the session in the list', async (t) => {
  const script = [
    {
      kind: 'stream',
      events: [
        { kind: 'text', text: 'Hello ' },
        // Long enough to see the first delta on the page on its own: the
        // answer is streamed through the browser, not delivered at the end.
        { kind: 'delay', ms: 2000 },
        { kind: 'text', text: 'from the host.' },
        { kind: 'finish', reason: 'stop' },
        { kind: 'done' },
      ],
    },
  ];
  await withWorld(t, { name: 'chat', script }, async ({ page, host }) => {
    await page.getByRole('button', { name: 'New session' }).click();
    await send(page, 'Say hello');

    // The first delta on its own (markdown drops its trailing space once the
    // lazy markdown renderer has loaded; the plain fallback keeps it).
    await page.waitForFunction(
      () => document.querySelector('.message.assistant p.text')?.textContent.trim() === 'Hello',
      undefined,
      { timeout: WAIT_MS },
    );
    const answer = page.locator('.message.assistant').getByText('Hello from the host.', { exact: true });
    await answer.waitFor({ timeout: WAIT_MS });
    await page.locator('.message.user').getByText('Say hello', { exact: true }).waitFor();
    // The turn is over: the composer offers Send again, not Stop.
    await page.getByRole('button', { name: 'Send', exact: true }).waitFor();

    // The session the UI created is the host's only session, and the list
    // shows it selected.
    const { sessions, total } = await host.api('GET', '/sessions');
    assert.equal(total, 1);
    const id = sessions[0].id;
    const row = page.locator('.panel li.selected').locator(`button.link[title="${id}"]`);
    await row.waitFor();

    // The host persisted the streamed answer.
    const { messages } = await host.api('GET', `/sessions/${encodeURIComponent(id)}/messages`);
    const text = messages
      .filter((m) => m.role === 'assistant')
      .flatMap((m) => m.parts)
      .filter((p) => p.type === 'text')
      .map((p) => p.text)
      .join('');
    assert.equal(text, 'Hello from the host.');

    await page.screenshot({ path: join(ARTIFACTS, 'chat.png'), fullPage: true });
  });
});

test('chat: no provider configured shows the provider-unavailable banner', async (t) => {
  await withWorld(t, { name: 'provider-down' }, async ({ page, host }) => {
    await page.getByRole('button', { name: 'New session' }).click();
    await send(page, 'Say hello');

    const banner = page.getByRole('alert').filter({ hasText: 'Provider unavailable.' });
    await banner.waitFor();
    await banner.getByRole('button', { name: 'Open provider settings' }).waitFor();

    // Refused before any stream: no assistant message, and the host agrees.
    assert.equal(await page.locator('.message.assistant').count(), 0);
    const { sessions } = await host.api('GET', '/sessions');
    assert.equal(sessions.length, 1);
    await page.screenshot({ path: join(ARTIFACTS, 'provider-down.png'), fullPage: true });
  });
});

test('chat: a write_file tool call approved in the UI writes the file', async (t) => {
  const script = [
    {
      kind: 'stream',
      events: [
        {
          kind: 'tool_call',
          index: 0,
          id: 'c1',
          name: 'write_file',
          arguments: JSON.stringify({ path: 'out.txt', content: 'hi' }),
          pieces: 3,
        },
        { kind: 'finish', reason: 'tool_calls' },
        { kind: 'done' },
      ],
    },
    {
      kind: 'stream',
      events: [
        { kind: 'text', text: 'Wrote out.txt ' },
        { kind: 'text', text: 'for you.' },
        { kind: 'finish', reason: 'stop' },
        { kind: 'done' },
      ],
    },
  ];
  await withWorld(t, { name: 'approval', script }, async ({ page, dir }) => {
    const workspace = join(dir, 'workspace');
    mkdirSync(workspace);

    // Open the workspace through the UI; new sessions then belong to it.
    const picker = page.locator('section.panel').filter({ has: page.getByRole('heading', { name: 'Workspaces' }) });
    await picker.getByPlaceholder('/absolute/path/to/folder').fill(workspace);
    await picker.getByRole('button', { name: 'Open', exact: true }).click();
    await page.locator('.topbar').getByText('workspace: workspace').waitFor();

    await page.getByRole('button', { name: 'New session' }).click();
    await send(page, 'Write hi to out.txt');

    // The default policy asks before writing: nothing happens until Approve.
    const out = join(workspace, 'out.txt');
    const tool = page.locator('.tool').filter({ hasText: 'write_file' });
    await tool.locator('[data-state="approval-requested"]').waitFor();
    assert.equal(existsSync(out), false, 'nothing written before the approval');
    await tool.getByRole('button', { name: 'Approve' }).click();

    await page.locator('.message.assistant').getByText('Wrote out.txt for you.', { exact: true }).waitFor();
    await tool.locator('[data-state="output-available"]').waitFor();

    assert.ok(existsSync(out), 'out.txt was written');
    assert.equal(readFileSync(out, 'utf8'), 'hi');
    await page.screenshot({ path: join(ARTIFACTS, 'approval.png'), fullPage: true });
  });
});

// ---------------------------------------------------------------------------
// Stop: Esc in the chat (the shortcut) and the Stop button

/** An answer of 60 words, one every 200 ms: ~12 s unless it is stopped. */
const WORDS = Array.from({ length: 60 }, (_, i) => `word${i + 1} `);
const SLOW_ANSWER = WORDS.join('');
const slowAnswer = () =>
  scripted.stream([...WORDS.flatMap((text) => [{ kind: 'text', text }, { kind: 'delay', ms: 200 }]), { kind: 'finish', reason: 'stop' }]);

/** The newest answer's text as the page shows it (without its buttons'). */
const shownAnswer = (page) =>
  page.evaluate(() => {
    const answer = [...document.querySelectorAll('.message.assistant')].pop()?.cloneNode(true);
    answer?.querySelectorAll('button, .answer-stopped').forEach((b) => b.remove());
    return answer?.textContent ?? '';
  });

/** The host's newest answer in `sessionId` once its turn has ended (its
 * status no longer `streaming`): its status and text. */
async function storedAnswer(host, sessionId) {
  const end = Date.now() + 8_000;
  for (;;) {
    const { messages } = await host.api('GET', `/sessions/${encodeURIComponent(sessionId)}/messages`);
    const last = messages.filter((m) => m.role === 'assistant').pop();
    const status = last?.metadata?.status;
    if (status && status !== 'streaming') {
      const text = last.parts.filter((p) => p.type === 'text').map((p) => p.text).join('');
      return { status, text };
    }
    if (Date.now() > end) throw new Error(`the host's answer is still ${status ?? 'missing'} 8 s after Stop`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends `question` from the keyboard (Ctrl+Enter in the chat input), waits
 * for the answer to be streaming (its third word shown), stops it with
 * `stop`, and checks: the composer offers Send again at once, the answer
 * shown stops growing, and the host stored the turn as aborted with part of
 * the answer. */
async function stopsTheAnswer(page, host, question, how, stop) {
  const input = page.getByPlaceholder('Ask the agent…');
  await input.fill(question);
  await input.press('Control+Enter');
  await page.waitForFunction(
    () => /word3\b/.test([...document.querySelectorAll('.message.assistant')].pop()?.textContent ?? ''),
    undefined,
    { timeout: WAIT_MS },
  );
  const sendButton = page.getByRole('button', { name: 'Send', exact: true });
  assert.equal(await sendButton.count(), 0, `${how}: the composer offers Stop while the answer streams`);

  const started = Date.now();
  await stop();
  // The answer would stream for ~10 s more: Send back within 3 s is the
  // stop, not the answer's end.
  await sendButton.waitFor({ timeout: 3_000 }).catch((err) => {
    throw new Error(`${how}: the composer still offers Stop ${Date.now() - started} ms after it`, { cause: err });
  });
  const stoppedAt = await shownAnswer(page);
  // Six more words' time: the answer shown does not grow.
  await page.waitForTimeout(1_200);
  const later = await shownAnswer(page);
  assert.equal(later, stoppedAt, `${how}: the answer shown stopped growing`);
  assert.ok(!later.includes('word60'), `${how}: stopped before its end: ${later}`);
  // And says so.
  await page.locator('.message.assistant').last().locator('.answer-stopped', { hasText: 'Stopped.' }).waitFor();

  // The host was told (not only the page's reading stopped): the turn
  // ended as aborted, with the part of the answer written before it.
  const { sessions } = await host.api('GET', '/sessions');
  const stored = await storedAnswer(host, sessions[0].id);
  assert.equal(stored.status, 'aborted', `${how}: the host's turn`);
  assert.ok(SLOW_ANSWER.startsWith(stored.text), `${how}: stored a part of the answer: ${JSON.stringify(stored.text)}`);
  assert.ok(stored.text.length < SLOW_ANSWER.length, `${how}: stored less than the whole answer`);
  assert.ok(stored.text.startsWith(later.trim()), `${how}: what the page shows was stored: ${JSON.stringify(later)}`);
}

test('chat: Esc in the chat input stops a streaming answer, as the Stop button does; both stop it in the host', async (t) => {
  await withWorld(t, { name: 'stop', script: [slowAnswer(), slowAnswer()] }, async ({ page, host }) => {
    await newSessionByKeyboard(page);

    // (a) The shortcut, with the focus in the chat's input.
    await stopsTheAnswer(page, host, 'Count slowly', 'Esc', async () => {
      assert.equal(await page.evaluate(() => document.activeElement?.matches('#pane-chat textarea')), true);
      await page.keyboard.press('Escape');
    });
    await page.screenshot({ path: join(ARTIFACTS, 'stop-esc.png'), fullPage: true });

    // (b) The Stop button.
    await stopsTheAnswer(page, host, 'Count slowly again', 'the Stop button', () =>
      page.getByRole('button', { name: 'Stop', exact: true }).click(),
    );

    // Two turns, both aborted in the host.
    const { sessions } = await host.api('GET', '/sessions');
    const { messages } = await host.api('GET', `/sessions/${encodeURIComponent(sessions[0].id)}/messages`);
    assert.deepEqual(
      messages.filter((m) => m.role === 'assistant').map((m) => m.metadata?.status),
      ['aborted', 'aborted'],
    );

    // After a reload, both say they were stopped (the host's status).
    await page.reload();
    await page.locator(`.panel button.link[title="${sessions[0].id}"]`).click();
    await page.locator('.message.assistant').nth(1).locator('.answer-stopped').waitFor();
    assert.equal(await page.locator('.message.assistant .answer-stopped').count(), 2);

    // The Keyboard Shortcuts view lists it.
    await page.getByPlaceholder('Ask the agent…').focus();
    await page.keyboard.press('Control+/');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    const row = dialog.getByRole('row').filter({ hasText: 'Stop the answer (while it streams, in the chat)' });
    await row.waitFor();
    assert.equal(await row.locator('kbd').innerText(), 'Esc');
    await page.screenshot({ path: join(ARTIFACTS, 'shortcuts-stop.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.matches('#pane-chat textarea')), true);
  });
});

// ---------------------------------------------------------------------------
// The deep-link question, by keyboard

/** What the shell runs in the home window for a deep link (shell/src/app.rs,
 * link_script): queued on window.__desktopLinks, then `desktop:link`. */
function deepLink(page, request) {
  return page.evaluate((r) => {
    (window.__desktopLinks = window.__desktopLinks || []).push(r);
    window.dispatchEvent(new Event('desktop:link'));
  }, request);
}

/** The focused element: its text and whether it shows its focus. */
const focused = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    const style = el ? getComputedStyle(el) : null;
    return {
      text: el?.textContent?.trim() ?? null,
      inQuestion: el?.closest('[role="alertdialog"]') !== null,
      ring: el?.matches(':focus-visible') === true && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    };
  });

test('a deep link’s question by keyboard: Cancel focused, Tab kept inside, Esc cancels and gives the focus back, Enter on Open opens', async (t) => {
  await withWorld(t, { name: 'link-keyboard' }, async ({ page, host }) => {
    const { id } = await host.api('POST', '/sessions', {});
    const newSession = page.getByRole('button', { name: 'New session' });
    await newSession.focus();

    await deepLink(page, { kind: 'session', session: id });
    const question = page.getByRole('alertdialog', { name: 'Open a session?' });
    await question.waitFor();
    const first = await focused(page);
    assert.deepEqual([first.text, first.inQuestion], ['Cancel', true], 'Cancel, the safe answer, has the focus');
    // Open is armed after a moment; then Tab goes round the two buttons.
    await question.locator('.link-open:not([disabled])').waitFor();
    await page.keyboard.press('Tab'); // Cancel, the last: round to Open
    assert.deepEqual(await focused(page), { text: 'Open', inQuestion: true, ring: true });
    await page.keyboard.press('Tab');
    assert.deepEqual(await focused(page), { text: 'Cancel', inQuestion: true, ring: true });
    await page.keyboard.press('Tab');
    assert.deepEqual(await focused(page), { text: 'Open', inQuestion: true, ring: true });
    await page.keyboard.press('Shift+Tab'); // Open, the first: round to Cancel
    assert.deepEqual(await focused(page), { text: 'Cancel', inQuestion: true, ring: true });
    await page.keyboard.press('Shift+Tab');
    assert.deepEqual(await focused(page), { text: 'Open', inQuestion: true, ring: true });
    await page.screenshot({ path: join(ARTIFACTS, 'link-keyboard.png') });

    // Esc: cancelled, nothing opened, the focus where it was.
    await page.keyboard.press('Escape');
    await question.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'New session');
    assert.equal(await page.locator('#pane-chat').count(), 0, 'no session opened');

    // Again, answered Open with Enter: the session opens.
    await deepLink(page, { kind: 'session', session: id });
    await question.waitFor();
    await question.locator('.link-open:not([disabled])').waitFor();
    await page.keyboard.press('Shift+Tab');
    assert.equal((await focused(page)).text, 'Open');
    await page.keyboard.press('Enter');
    await question.waitFor({ state: 'detached' });
    await page.locator('#pane-chat').waitFor();
    await page.locator('.panel li.selected').locator(`button.link[title="${id}"]`).waitFor();
  });
});

// ---------------------------------------------------------------------------
// Documents and the agent: one host and one provider for every scenario
// below (they run in order; the script holds the turns of the two that ask
// the agent). Each scenario opens its own document in a document window
// (`/desktop/?doc=<doc_id>`), as the shell does.

const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = '<script>window.__pwned=1</script>';

/** A scripted turn that calls edit_document with `args`, then answers `text`. */
function editTurn(id, args, text) {
  return [
    {
      kind: 'stream',
      events: [
        { kind: 'tool_call', index: 0, id, name: 'edit_document', arguments: JSON.stringify(args), pieces: 2 },
        { kind: 'finish', reason: 'tool_calls' },
        { kind: 'done' },
      ],
    },
    {
      kind: 'stream',
      events: [{ kind: 'text', text }, { kind: 'finish', reason: 'stop' }, { kind: 'done' }],
    },
  ];
}

const PLAN = '# Plan\n\nFirst section.\n\nSecond section.\n';
const TIGHTENED = 'Second section, tightened.';

/** The editor's text, line by line as CodeMirror shows it. */
function editorText(page) {
  return page.evaluate(() => [...document.querySelectorAll('.cm-content .cm-line')].map((l) => l.textContent).join('\n'));
}

/** Waits until the editor shows exactly `text`. */
async function editorShows(page, text, what) {
  try {
    await page.waitForFunction(
      (want) => [...document.querySelectorAll('.cm-content .cm-line')].map((l) => l.textContent).join('\n') === want,
      text,
      { timeout: WAIT_MS },
    );
  } catch (err) {
    throw new Error(`${what}: the editor shows ${JSON.stringify(await editorText(page))}, not ${JSON.stringify(text)}`, {
      cause: err,
    });
  }
}

/** The editor's status line (`saved`, `dirty`, …) reaching `status`. */
function statusIs(page, status) {
  return page.locator('.editor-bar .status', { hasText: new RegExp(`^${status}$`) }).waitFor();
}

/** Types at the very start of the document (a user edit: the editor is dirty). */
async function typeAtStart(page, text) {
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.type(text);
  await statusIs(page, 'dirty');
}

/** Nothing the documents hold became an element or ran. */
async function assertInert(page, where) {
  const found = await page.evaluate(() => ({
    pwned: window.__pwned,
    imgs: document.querySelectorAll('img').length,
    scripts: [...document.scripts].filter((s) => s.textContent.includes('__pwned')).length,
  }));
  assert.deepEqual(found, { pwned: undefined, imgs: 0, scripts: 0 }, `inert in ${where}`);
}

describe('documents and the agent (one host)', () => {
  let world;

  before(async () => {
    world = await startWorld({
      name: 'documents',
      script: [
        ...editTurn('e1', { edits: [{ old: 'Second section.', new: TIGHTENED }] }, 'Tightened the second section.'),
        ...editTurn('e2', { edits: [{ old: 'End.', new: `End. ${IMG} ${SCRIPT}` }] }, 'Added markup.'),
      ],
    });
  });
  after(() => world?.stop());

  /** Writes `name` with `content` in the world's directory, registers it
   * with the host and opens its document window; `body` gets the page. */
  async function withDocument(name, content, body) {
    const path = join(world.dir, name);
    writeFileSync(path, content);
    const { doc_id: docId } = await world.host.api('POST', '/documents', { path });
    await withPage(
      world,
      {
        name: name.replace(/\W/g, '-'),
        path: `/desktop/?doc=${encodeURIComponent(docId)}`,
        ready: async (page) => {
          await page.getByRole('heading', { name: 'Chats about this document' }).waitFor();
          await editorShows(page, content, 'the document opens');
        },
      },
      (w) => body({ ...w, path, docId }),
    );
  }

  /** Starts a chat about the window's document and sends `text`; approves
   * the edit_document the agent then asks for, and waits for `answer`. */
  async function askAndApprove(page, text, answer) {
    await page.locator('.document-sessions').getByRole('button', { name: 'New session' }).click();
    await send(page, text);
    const tool = page.locator('.tool').filter({ hasText: 'edit_document' });
    await tool.getByRole('button', { name: 'Approve' }).click();
    await page.locator('.message.assistant').getByText(answer, { exact: true }).waitFor();
    return tool;
  }

  test('the agent edits the open document: shown live, "1 file changed" with its diff, Undo, Redo, Undo anyway', async () => {
    await withDocument('plan.md', PLAN, async ({ page, host, path, docId }) => {
      // No reload happens from here on: this mark would be gone.
      await page.evaluate(() => (window.__sameLoad = true));
      // A selection goes with the turn (the host quotes it for the model).
      await page.locator('.cm-content').click();
      await page.keyboard.press('Control+A');
      const tool = await askAndApprove(page, 'Tighten the second section', 'Tightened the second section.');

      const edited = PLAN.replace('Second section.', TIGHTENED);
      await editorShows(page, edited, 'the agent’s edit reaches the editor');
      assert.equal(readFileSync(path, 'utf8'), edited);
      await statusIs(page, 'saved');

      const changes = page.locator('.turn-changes');
      await changes.locator('.changes-summary', { hasText: '1 file changed +1 −1' }).waitFor();
      await changes.locator('.unified-diff .diff-del', { hasText: 'Second section.' }).waitFor();
      await changes.locator('.unified-diff .diff-add', { hasText: TIGHTENED }).waitFor();
      await tool.getByRole('button', { name: 'Show the diff of plan.md' }).waitFor();

      // The session is the document's, and the turn saw the document.
      const { sessions } = await host.api('GET', `/sessions?doc_id=${encodeURIComponent(docId)}`);
      assert.equal(sessions.length, 1);
      await page.screenshot({ path: join(ARTIFACTS, 'document-agent-edit.png'), fullPage: true });

      await changes.getByRole('button', { name: 'Undo this turn’s changes' }).click();
      await changes.getByRole('status').filter({ hasText: 'Undone.' }).waitFor();
      await editorShows(page, PLAN, 'Undo reaches the editor');
      assert.ok(readFileSync(path).equals(Buffer.from(PLAN)), 'Undo restores the file byte for byte');

      await changes.getByRole('button', { name: 'Redo' }).click();
      await changes.getByRole('status').filter({ hasText: 'Redone' }).waitFor();
      await editorShows(page, edited, 'Redo reaches the editor');
      assert.equal(readFileSync(path, 'utf8'), edited);

      // Changed since the turn: the undo is refused and says which file;
      // Undo anyway overwrites it.
      appendFileSync(path, 'written later\n');
      await editorShows(page, `${edited}written later\n`, 'the later change reaches the editor');
      await changes.getByRole('button', { name: 'Undo this turn’s changes' }).click();
      await changes.getByRole('alert').filter({ hasText: 'Not undone' }).waitFor();
      await changes.locator('.undo-files li', { hasText: path }).waitFor();
      assert.equal(readFileSync(path, 'utf8'), `${edited}written later\n`, 'a refused undo writes nothing');
      await changes.getByRole('button', { name: 'Undo anyway' }).click();
      await changes.getByRole('status').filter({ hasText: 'Undone.' }).waitFor();
      await editorShows(page, PLAN, 'Undo anyway reaches the editor');
      assert.ok(readFileSync(path).equals(Buffer.from(PLAN)), 'Undo anyway restores the file byte for byte');
      assert.equal(await page.evaluate(() => window.__sameLoad), true, 'the page was never reloaded');
    });
  });

  test('an external append reaches a clean editor', async () => {
    await withDocument('notes.md', '# Notes\n', async ({ page, path }) => {
      appendFileSync(path, 'appended by another program\n');
      await editorShows(page, '# Notes\nappended by another program\n', 'the append reaches the editor');
      await statusIs(page, 'saved');
      assert.equal(await page.locator('.disk-change').count(), 0, 'a clean editor is not asked');
    });
  });

  test('a dirty editor is asked: Take theirs, Keep mine and Merge each do what they say', async () => {
    const base = 'alpha\nbeta\ngamma\n';
    await withDocument('three.md', base, async ({ page, path }) => {
      const banner = page.locator('.disk-change');
      const save = page.locator('.editor-bar').getByRole('button', { name: 'Save', exact: true });

      // Take theirs: my edit is dropped, the editor holds the disk's text.
      await typeAtStart(page, 'mine ');
      writeFileSync(path, 'alpha\nbeta\ngamma\ntheirs 1\n');
      await banner.getByRole('alert').filter({ hasText: 'Changed on disk by another program.' }).waitFor();
      await banner.getByRole('button', { name: 'Take theirs (drop my changes)' }).click();
      await editorShows(page, 'alpha\nbeta\ngamma\ntheirs 1\n', 'Take theirs');
      await statusIs(page, 'saved');
      await save.click();
      await statusIs(page, 'saved');
      assert.equal(readFileSync(path, 'utf8'), 'alpha\nbeta\ngamma\ntheirs 1\n', 'Take theirs');

      // Keep mine: the Save overwrites theirs.
      await typeAtStart(page, 'mine ');
      writeFileSync(path, 'alpha\nbeta\ngamma\ntheirs 2\n');
      await banner.getByRole('button', { name: 'Keep mine (Save will overwrite theirs)' }).click();
      await editorShows(page, 'mine alpha\nbeta\ngamma\ntheirs 1\n', 'Keep mine');
      await save.click();
      await statusIs(page, 'saved');
      assert.equal(readFileSync(path, 'utf8'), 'mine alpha\nbeta\ngamma\ntheirs 1\n', 'Keep mine');

      // Merge: both changes, in different places, are kept.
      await typeAtStart(page, 'both ');
      writeFileSync(path, 'mine alpha\nbeta\ngamma\ntheirs 1\ntheirs 3\n');
      await banner.getByRole('button', { name: 'Merge both' }).click();
      const merged = 'both mine alpha\nbeta\ngamma\ntheirs 1\ntheirs 3\n';
      await editorShows(page, merged, 'Merge');
      await save.click();
      await statusIs(page, 'saved');
      assert.equal(readFileSync(path, 'utf8'), merged, 'Merge');
      assert.equal(await banner.count(), 0);
    });
  });

  test('markup in a document stays text: the editor, the conflict view and the diff viewer', async () => {
    const evil = `# Evil\n\n${IMG}\n${SCRIPT}\nEnd.\n`;
    await withDocument('evil.md', evil, async ({ page, path }) => {
      await assertInert(page, 'the editor');
      assert.ok((await editorText(page)).includes(SCRIPT), 'the editor shows the markup as text');

      // The conflict view: my text and theirs, both with markup.
      await typeAtStart(page, `${IMG} `);
      writeFileSync(path, `${evil}${SCRIPT} ${IMG}\n`);
      const banner = page.locator('.disk-change');
      await banner.locator('.text-diff .diff-theirs', { hasText: `${SCRIPT} ${IMG}` }).waitFor();
      await banner.locator('.text-diff .diff-mine', { hasText: IMG }).waitFor();
      await assertInert(page, 'the conflict view');
      await banner.getByRole('button', { name: 'Take theirs (drop my changes)' }).click();
      await editorShows(page, `${evil}${SCRIPT} ${IMG}\n`, 'Take theirs');

      // The diff viewer of an agent turn that writes markup.
      await askAndApprove(page, 'Add some markup', 'Added markup.');
      const diff = page.locator('.turn-changes .unified-diff');
      await diff.locator('.diff-add', { hasText: `End. ${IMG} ${SCRIPT}` }).waitFor();
      await diff.locator('.diff-del', { hasText: 'End.' }).waitFor();
      await assertInert(page, 'the diff viewer');
      await page.screenshot({ path: join(ARTIFACTS, 'document-inert.png'), fullPage: true });
    });
  });
});
