// End-to-end: model output is untrusted (a prompt-injected model writes
// whatever a web page told it to), checked in Chromium against the real
// renderer build, the real host and the scripted provider, with the page
// served under the shell's strict CSP (see world.mjs). A host each:
//
// - raw HTML in a streamed reply and in tool output (the tool's input and
//   output) stays text: no element of it, nothing run, also when hovered
//   and clicked, and no CSP violation (the sanitising, not the CSP, keeps
//   it inert; a planted element shows the probes and the CSP do work);
// - `javascript:`, `data:` and `file:` links are never followed; an
//   https one only reaches the shell's openExternal;
// - a 1 MB answer and a malformed markdown stream leave the page
//   answering (a keypress's input event within 1.5 s, no task over 2 s),
//   the 1 MB one truncated with "Show all", which shows the rest as text.
//
//   cd web && node --test --test-timeout=180000 e2e/untrusted.e2e.test.mjs

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, scripted, send, shellCsp, startWorld, useBrowser, withConnectSource, withPage, within } from './world.mjs';

useBrowser();

/** What a web page tells the model to write; each would set
 * `window.__pwned` if it ran. */
const EVIL = [
  '<script>window.__pwned=1</script>',
  '<img src=x onerror="window.__pwned=2">',
  '<iframe src="data:text/html,<script>parent.__pwned=3</script>">',
  '<svg onload="window.__pwned=4">',
  '<a href="#" onclick="window.__pwned=5">x</a>',
  '<div onmouseover="window.__pwned=6">hover</div>',
];

/** The reply: each string as a block of its own and all of them inline in
 * a sentence. */
const EVIL_REPLY = ['# Injected', '', ...EVIL.flatMap((s) => [s, '']), `Inline: ${EVIL.join(' and ')} — the end of the evil reply.`].join('\n');

/** `text` as a stream of deltas cut every `size` characters (through tags
 * and constructs), `ms` apart. */
function pieces(text, size, ms) {
  const events = [];
  for (let i = 0; i < text.length; i += size) {
    events.push({ kind: 'text', text: text.slice(i, i + size) });
    if (ms) events.push({ kind: 'delay', ms });
  }
  return events;
}

/** A streamed answer that ends normally. */
const stream = (events) => scripted.stream([...events, { kind: 'finish', reason: 'stop' }]);
const { calls } = scripted;

/** The file the tools read: the same strings, one a line. */
const EVIL_FILE = `${EVIL.join('\n')}\n`;
/** A command that prints them (its stdout) and names one (its input). */
const EVIL_COMMAND = `cat evil.html; echo '<img src=y onerror="window.__pwned=7">'`;
const TOOLS = [
  ['read_file', { path: 'evil.html' }],
  ['grep_files', { pattern: 'pwned' }],
  ['run_command', { command: EVIL_COMMAND }],
];

const LINKS = [
  ['run this', 'javascript:alert(1)'],
  ['a data page', 'data:text/html,hi'],
  ['a local file', 'file:///etc/passwd'],
  ['the example site', 'https://example.com/'],
];
const LINKS_REPLY = `Links: ${LINKS.map(([label, url]) => `[${label}](${url})`).join(', ')}.`;

/** A malformed markdown stream: unbalanced emphasis, a table with broken
 * rows, 500 levels of quotes and of lists, `[`-heavy lines, an unclosed
 * HTML comment's look-alike in a code span, and fences never closed. */
const MALFORMED_END = 'the end of the malformed answer';
const MALFORMED = [
  'Unbalanced: **bold *em __under ~~strike `code and **more',
  '',
  '| a | b |',
  '|---|---|',
  '| 1 | 2 | 3 | 4 |',
  '| only one',
  '|---|--',
  '| | | | | | | |',
  '',
  `${'> '.repeat(500)}a deep quote`,
  '',
  `${'- '.repeat(500)}a deep list`,
  '',
  `${'1. '.repeat(300)}a deep ordered list`,
  '',
  '['.repeat(20_000),
  '',
  `${'[a]('.repeat(2_000)}x`,
  '',
  `${'*a _b '.repeat(1_000)}`,
  '',
  'A comment <!-- never closed, and `<b>` in code.',
  '',
  '```js',
  'const fence = "never closed";',
  '~~~',
  MALFORMED_END,
].join('\n');

/** A megabyte of markdown (just over 2^20 characters), its last line
 * `BIG_END`. */
const BIG_END = 'THE-END-OF-THE-MEGABYTE';
const BIG = (() => {
  const unit = [
    '## Section',
    '',
    'Some **bold**, some `code`, a [link](https://example.com/) and a list:',
    '',
    '- one',
    '- two',
    '',
    '```rust',
    'fn main() { println!("hi"); }',
    '```',
    '',
    '| a | b |',
    '|---|---|',
    '| 1 | 2 |',
    '',
    '',
  ].join('\n');
  // A megabyte: 2^20 characters and a little more.
  const body = unit.repeat(Math.ceil(1_048_576 / unit.length));
  return `${body}${BIG_END}\n`;
})();

// Each test's provider script.
/** The evil reply, streamed: cut through its tags, 150 ms apart. */
const EVIL_SCRIPT = [stream(pieces(EVIL_REPLY, 37, 150))];
/** The evil strings in tool input and output. */
const TOOLS_SCRIPT = [calls(TOOLS), stream([{ kind: 'text', text: 'Read it.' }])];
const LINKS_SCRIPT = [stream(pieces(LINKS_REPLY, 40, 50))];
/** Cut every 997 characters. */
const MALFORMED_SCRIPT = [stream(pieces(MALFORMED, 997, 50))];
/** In 20 pieces. */
const BIG_SCRIPT = [stream(pieces(BIG, Math.ceil(BIG.length / 20), 100))];

const ALLOW_ALL = {
  tools: Object.fromEntries(TOOLS.map(([name]) => [name, 'allow'])),
  commands: [],
  read_only_paths: [],
};

/** In the page: the elements under `root` that could run something or
 * load something: script, iframe/frame/object/embed, img, any element
 * with an `on*` attribute, a link to anything but http(s) or `#`. */
function dangerous(root) {
  const out = [];
  for (const el of root.querySelectorAll('*')) {
    const tag = el.localName;
    const handlers = [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => a.name);
    const href = el.getAttribute('href') ?? el.getAttribute('xlink:href');
    const badHref = href !== null && !/^(https?:|#)/i.test(href.trim());
    if (['script', 'iframe', 'frame', 'object', 'embed', 'img'].includes(tag) || handlers.length || badHref) {
      out.push(`<${tag}${handlers.map((h) => ` ${h}`).join('')}${badHref ? ` href="${href}"` : ''}>`);
    }
  }
  return out;
}

/** Puts the probe into the page as `window.__e2eDangerous` (evaluated by
 * Playwright, which the page's CSP does not apply to: `new Function` in
 * the page would be refused), and from now on notes in `window.__seen`
 * every dangerous element that appears in a message at any moment (while
 * an answer streams too). */
async function watchMessages(page) {
  await installProbe(page);
  await page.evaluate(() => {
    window.__seen = [];
    const look = () => {
      for (const m of document.querySelectorAll('.message')) window.__seen.push(...window.__e2eDangerous(m));
    };
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: false });
  });
}

const installProbe = (page) => page.evaluate(`window.__e2eDangerous = ${dangerous.toString()}`);

/** The probes, run in the page: what `dangerous` finds in the messages
 * now and found while they changed, `window.__pwned`, frames and inline
 * scripts anywhere in the document. */
async function inertness(page) {
  await installProbe(page);
  return page.evaluate(() => ({
    inMessages: [...document.querySelectorAll('.message')].flatMap((m) => window.__e2eDangerous(m)),
    seenWhileStreaming: [...new Set(window.__seen ?? ['(not watched)'])],
    pwned: window.__pwned,
    frames: document.querySelectorAll('iframe, frame, object, embed').length,
    inlineScripts: [...document.scripts].filter((s) => !s.src).length,
  }));
}

const INERT = { inMessages: [], seenWhileStreaming: [], pwned: undefined, frames: 0, inlineScripts: 0 };

/** Hovers and clicks, in `scope`, the innermost element whose text holds
 * each of `texts` (where an element made of it would be). */
async function poke(page, scope, texts) {
  for (const t of texts) {
    const spot = scope.locator('p, li, pre, code, span, div, td, h1').filter({ hasText: t }).last();
    await spot.scrollIntoViewIfNeeded();
    await spot.hover();
    await spot.click({ position: { x: 5, y: 5 } });
  }
  // A handler that ran would have set __pwned by now.
  await page.waitForTimeout(200);
}

/**
 * Checks that the probes do catch what they are there for: an
 * `<img onerror>` planted in the answer is found by `dangerous`, and its
 * handler is refused by the page's CSP (reported, and `__pwned` unset: the
 * page does run under the CSP). Then removes it and its report.
 */
async function plantedIsCaught(page, answer, cspViolations) {
  const before = cspViolations.length;
  await answer.evaluate((el) => {
    const planted = document.createElement('div');
    planted.className = 'planted';
    planted.innerHTML = '<img src="data:," onerror="window.__pwned=99">';
    el.append(planted);
  });
  const deadline = Date.now() + 5_000;
  while (!cspViolations.slice(before).some((v) => v.directive === 'script-src-attr' || /inline event handler/i.test(v.text ?? ''))) {
    assert.ok(Date.now() < deadline, `the planted handler was not reported: ${JSON.stringify(cspViolations.slice(before))}`);
    await page.waitForTimeout(50);
  }
  const found = await inertness(page);
  assert.ok(found.inMessages.includes('<img onerror>'), `the probe finds the planted <img onerror>: ${JSON.stringify(found.inMessages)}`);
  assert.equal(found.pwned, undefined, 'the CSP refused the planted handler');
  await answer.evaluate((el) => el.querySelector('.planted').remove());
  cspViolations.splice(before);
}

describe('untrusted model output (with the shell\u2019s CSP)', () => {
  /** A world of its own on `script` (so that a test that fails leaves
   * the others' replies in place), a workspace with `files`, a session in
   * it, and the page with that session open and the stand-in shell;
   * `body` gets withPage's. */
  async function withSession(t, name, script, files, body) {
    const world = await startWorld({ name, script });
    t.after(world.stop);
    const folder = join(world.dir, name);
    mkdirSync(folder);
    for (const [f, content] of Object.entries(files)) writeFileSync(join(folder, f), content);
    const workspace = await world.host.api('POST', '/workspaces', { path: folder });
    await world.host.api('PUT', `/workspaces/${encodeURIComponent(workspace.id)}/policy`, ALLOW_ALL);
    const session = await world.host.api('POST', '/sessions', { workspace_id: workspace.id });
    await withPage(
      world,
      {
        name,
        shell: true,
        ready: async (page) => {
          await page.locator(`button.link[title="${session.id}"]`).click();
          await page.getByPlaceholder('Ask the agent…').waitFor();
        },
      },
      body,
    );
  }

  test('raw HTML in a streamed reply stays text: no element of it, nothing run (hovered and clicked too), no CSP violation', async (t) => {
    await withSession(t, 'evil-reply', EVIL_SCRIPT, {}, async ({ page, host, cspViolations }) => {
      // The page is served with the shell's policy (plus this host's origin).
      const served = await page.evaluate(() => fetch(location.href).then((r) => r.headers.get('content-security-policy')));
      assert.equal(served, withConnectSource(shellCsp(), host.base));

      await watchMessages(page);
      await send(page, 'Summarise the page');
      const answer = page.locator('.message.assistant').last();
      await answer.getByRole('button', { name: 'Copy the answer' }).waitFor();
      await answer.getByText('the end of the evil reply', { exact: false }).waitFor();
      // Every block as markdown (none left as written).
      await answer.locator('.md-pending').first().waitFor({ state: 'detached' });
      await answer.locator('h1', { hasText: 'Injected' }).waitFor();

      // Each string as the characters it is (as a block and inline), no
      // element of it, nothing run, and no CSP violation: nothing even
      // tried to run (all checked at once, so a failure shows them all).
      const text = await answer.textContent();
      const found = async () => ({
        missing: EVIL.filter((s) => !text.includes(s)),
        inline: text.includes(`Inline: ${EVIL.join(' and ')}`),
        ...(await inertness(page)),
        cspViolations: [...cspViolations],
      });
      const WANTED = { missing: [], inline: true, ...INERT, cspViolations: [] };
      assert.deepEqual(await found(), WANTED);
      await poke(page, answer, ['hover', 'window.__pwned=5', 'window.__pwned=4', 'window.__pwned=2', 'window.__pwned=1']);
      assert.deepEqual(await found(), WANTED, 'still, after hovering and clicking');
      await page.screenshot({ path: join(ARTIFACTS, 'untrusted-reply.png'), fullPage: true });

      await plantedIsCaught(page, answer, cspViolations);
    });
  });

  test('raw HTML in tool input and output (read_file, grep_files, run_command) stays text in the expanded cards', async (t) => {
    await withSession(t, 'evil-tools', TOOLS_SCRIPT, { 'evil.html': EVIL_FILE }, async ({ page, cspViolations }) => {
      await watchMessages(page);
      await send(page, 'Read evil.html');
      const answer = page.locator('.message.assistant').last();
      const card = (tool) => answer.locator(`details.tool-card[data-tool="${tool}"]`);
      // A compound command is asked about: the approval shows it as text.
      const approval = card('run_command').locator('.approval-card');
      await approval.getByRole('button', { name: 'Approve', exact: true }).waitFor();
      const whileAsking = await inertness(page);
      await approval.getByRole('button', { name: 'Approve', exact: true }).click();
      await answer.getByText('Read it.', { exact: true }).waitFor();

      // Expand each card and its raw result.
      for (const tool of ['read_file', 'grep_files']) {
        await card(tool).locator('[data-state="output-available"]').waitFor();
        if (!(await card(tool).evaluate((d) => d.open))) await card(tool).locator(':scope > summary').click();
        await card(tool).locator('details.tool-raw > summary').click();
        await card(tool).locator('details.tool-raw[open] pre.tool-output').waitFor();
      }
      // The command (model input) as text, and its stdout when the
      // sandbox ran it.
      const command = card('run_command');
      const state = await command.locator('[data-state]').first().getAttribute('data-state');
      const ran = state === 'output-available';
      if (!ran) t.diagnostic(`run_command ended ${state} (no sandbox here?): its stdout was not checked`);
      const shown = async (locator) => ((await locator.count()) ? locator.first().textContent() : '(not shown)');
      // read_file's and grep_files' results are their JSON: each string
      // as JSON writes it.
      const asJson = (s) => JSON.stringify(s).slice(1, -1);
      const found = async () => {
        const readOut = await shown(card('read_file').locator('pre.tool-output'));
        const grepOut = await shown(card('grep_files').locator('pre.tool-output'));
        const cmdline = await shown(command.locator('.tool-cmdline'));
        const stdout = ran ? await shown(command.locator('.tool-stdout pre.tool-output')) : '';
        return {
          missing: {
            read_file: EVIL.filter((s) => !readOut.includes(asJson(s))),
            grep_files: EVIL.filter((s) => s.includes('pwned') && !grepOut.includes(asJson(s))),
            command: cmdline.includes(EVIL_COMMAND) ? [] : [EVIL_COMMAND],
            stdout: ran ? [...EVIL, '<img src=y onerror="window.__pwned=7">'].filter((s) => !stdout.includes(s)) : [],
          },
          whileAsking,
          ...(await inertness(page)),
          cspViolations: [...cspViolations],
        };
      };
      const WANTED = { missing: { read_file: [], grep_files: [], command: [], stdout: [] }, whileAsking: INERT, ...INERT, cspViolations: [] };
      assert.deepEqual(await found(), WANTED);
      await poke(page, answer, ['window.__pwned=6', 'window.__pwned=2', 'window.__pwned=7']);
      assert.deepEqual(await found(), WANTED, 'still, after hovering and clicking');
      await page.screenshot({ path: join(ARTIFACTS, 'untrusted-tools.png'), fullPage: true });

      await plantedIsCaught(page, answer, cspViolations);
    });
  });

  test('links: javascript:, data: and file: are never followed; https only reaches the shell\u2019s openExternal, never this window', async (t) => {
    await withSession(t, 'links', LINKS_SCRIPT, {}, async ({ page, shellCalls, cspViolations }) => {
      const context = page.context();
      const popups = [];
      context.on('page', (p) => popups.push(p.url()));
      const dialogs = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss().catch(() => {});
      });
      const navigations = [];
      page.on('framenavigated', (f) => navigations.push(f.url()));
      const requests = [];
      page.on('request', (r) => requests.push(r.url()));

      await watchMessages(page);
      await send(page, 'Give me links');
      const answer = page.locator('.message.assistant').last();
      await answer.getByRole('button', { name: 'Copy the answer' }).waitFor();
      await answer.locator('.md-pending').first().waitFor({ state: 'detached' });
      const url = page.url();
      navigations.length = 0;

      const results = [];
      for (const [label, href] of LINKS) {
        const link = answer.getByText(label, { exact: true });
        await link.waitFor();
        const before = shellCalls.length;
        const element = await link.evaluate((el) => ({ tag: el.localName, href: el.getAttribute('href') }));
        await link.click();
        // Long enough for a navigation, a dialog or a popup to begin.
        await page.waitForTimeout(500);
        results.push({
          href,
          element,
          url: page.url(),
          opened: shellCalls.slice(before).map((c) => `${c.name}(${c.args.join(', ')})`),
        });
      }
      assert.deepEqual(results, [
        { href: 'javascript:alert(1)', element: { tag: 'span', href: null }, url, opened: [] },
        { href: 'data:text/html,hi', element: { tag: 'span', href: null }, url, opened: [] },
        { href: 'file:///etc/passwd', element: { tag: 'span', href: null }, url, opened: [] },
        { href: 'https://example.com/', element: { tag: 'a', href: 'https://example.com/' }, url, opened: ['openExternal(https://example.com/)'] },
      ]);
      assert.deepEqual({ popups, dialogs, navigations }, { popups: [], dialogs: [], navigations: [] }, 'no new page, dialog or navigation');
      assert.deepEqual(requests.filter((u) => !u.startsWith('http://127.0.0.1:')), [], 'nothing fetched from outside');
      assert.deepEqual(await inertness(page), INERT);
      assert.deepEqual(cspViolations, [], 'no CSP violation');
    });
  });

  /** In the page: the longest task the Long Tasks API reports from now on
   * (`window.__longest`, ms), and each key's wait before its keydown ran
   * (`window.__keys`) and the input events (`window.__inputs`). */
  const watchLongTasks = (page) =>
    page.evaluate(() => {
      window.__longest = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
      }).observe({ type: 'longtask' });
      window.__keys = [];
      window.__inputs = 0;
      document.addEventListener('keydown', (e) => window.__keys.push(performance.now() - e.timeStamp), true);
      document.addEventListener('input', () => window.__inputs++, true);
    });

  /** The composer focused, for the keypresses below. */
  async function focusComposer(page) {
    const input = page.getByPlaceholder('Ask the agent…');
    await input.focus();
    return page.evaluate(() => window.__inputs);
  }

  /** A keypress in the composer, its `n`th input event since
   * `focusComposer`; resolves with how long the page took to handle it
   * (ms): the longer of node's wait from the key's dispatch until the page
   * has run its input event, and the page's own wait (its keydown's time
   * since the key's time stamp). Fails after `limit`. */
  async function keypressLatency(page, n, limit = 10_000) {
    const start = Date.now();
    await within(limit, 'a keypress', page.keyboard.press('x'));
    await page.waitForFunction((k) => window.__inputs >= k, n, { timeout: limit });
    const took = Date.now() - start;
    const inPage = await page.evaluate(() => window.__keys.at(-1));
    return Math.round(Math.max(took, inPage));
  }

  /** Presses a key every 250 ms until `done()`, then once more; the
   * latencies (see keypressLatency). A page that does not answer at all
   * fails here, in 10 s, not at the test's timeout. */
  async function pressWhile(page, done) {
    let n = await within(10_000, 'the page focusing its composer', focusComposer(page));
    const latencies = [];
    while (!(await within(10_000, 'the page answering', done()))) {
      latencies.push(await keypressLatency(page, ++n));
      await page.waitForTimeout(250);
    }
    latencies.push(await keypressLatency(page, n + 1));
    return latencies;
  }

  /** Shows that the probes see a frozen page: a 2.5 s task running when
   * the key comes is seen both by the Long Tasks probe and by the
   * keypress. */
  async function plantedFreezeIsCaught(page) {
    const n = await focusComposer(page);
    // A task of the page's own (the Long Tasks API does not count what
    // Playwright evaluates), running by the time the key comes.
    await page.evaluate(() => {
      window.__longest = 0;
      setTimeout(() => {
        const end = performance.now() + 2_500;
        while (performance.now() < end);
      }, 0);
    });
    await new Promise((r) => setTimeout(r, 200));
    const latency = await keypressLatency(page, n + 1);
    await page.waitForFunction(() => window.__longest > 0);
    const longest = await page.evaluate(() => window.__longest);
    assert.ok(latency > KEYPRESS_MS && longest > FREEZE_MS, `a planted 2.5 s freeze is seen: keypress ${latency} ms, longest task ${Math.round(longest)} ms`);
  }

  // A frozen page: a task over 2 s, or a key that waits over 1.5 s. (On
  // this shared 2-core machine under load the malformed answer's longest
  // task took up to ~830 ms, and a key can wait a task and a round trip.)
  const FREEZE_MS = 2_000;
  const KEYPRESS_MS = 1_500;

  test('a malformed markdown stream renders and the page keeps answering (keypress within 1.5 s, no task over 2 s)', async (t) => {
    let workerFailures = [];
    await withSession(t, 'malformed', MALFORMED_SCRIPT, {}, async ({ page, pageErrors, cspViolations }) => {
      await watchLongTasks(page);
      await watchMessages(page);
      await send(page, 'Write badly');
      const answer = page.locator('.message.assistant').last();
      const finished = answer.getByRole('button', { name: 'Copy the answer' });
      const latencies = await pressWhile(page, async () => (await finished.count()) > 0);
      await answer.locator('.md-pending').first().waitFor({ state: 'detached' });
      latencies.push(...(await pressWhile(page, async () => true)));
      const text = await answer.textContent();
      assert.ok(text.includes(MALFORMED_END), 'the text after the broken constructs is there');
      assert.ok(text.includes('a deep quote') && text.includes('a deep list') && text.includes('a deep ordered list'));
      assert.ok(text.includes('['.repeat(20_000)), 'the [-heavy line is there as text');
      const depth = await answer.evaluate((el) => {
        let max = 0;
        for (const q of el.querySelectorAll('blockquote')) {
          let d = 0;
          for (let e = q; e && e !== el; e = e.parentElement) if (e.localName === 'blockquote') d++;
          max = Math.max(max, d);
        }
        return max;
      });
      const longest = await page.evaluate(() => window.__longest);
      t.diagnostic(`malformed: ${latencies.length} keypresses, slowest ${Math.max(...latencies)} ms; longest task ${Math.round(longest)} ms; quotes nested ${depth} deep`);
      await page.screenshot({ path: join(ARTIFACTS, 'untrusted-malformed.png') });
      assert.ok(Math.max(...latencies) < KEYPRESS_MS, `every keypress answered within ${KEYPRESS_MS} ms: ${latencies.join(', ')}`);
      assert.ok(longest < FREEZE_MS, `no task over ${FREEZE_MS} ms (longest ${Math.round(longest)} ms)`);
      assert.deepEqual(await inertness(page), INERT);
      // The markdown worker giving up is checked below, as a known bug.
      workerFailures = pageErrors.filter((e) => e.startsWith('[markdown] worker failed'));
      assert.deepEqual(pageErrors.filter((e) => !workerFailures.includes(e)), [], 'no error in the page');
      assert.deepEqual(cspViolations, []);
      await plantedFreezeIsCaught(page);
    });
    // The worker's tree of the 500-deep list cannot be posted back
    // (structured cloning runs out of stack): that block is parsed on the
    // main thread, and the worker goes on (it used to stop for good).
    assert.deepEqual(workerFailures, [], 'the markdown worker outlives it');
  });

  test('a 1 MB answer streams without freezing the page and shows truncated; "Show all" shows the rest as plain text', async (t) => {
    await withSession(t, 'megabyte', BIG_SCRIPT, {}, async ({ page, pageErrors, cspViolations }) => {
      await watchLongTasks(page);
      await send(page, 'Write a megabyte');
      const answer = page.locator('.message.assistant').last();
      const finished = answer.getByRole('button', { name: 'Copy the answer' });
      const latencies = await pressWhile(page, async () => (await finished.count()) > 0);
      const truncated = answer.locator('.md-truncated');
      await truncated.getByRole('button', { name: 'Show all', exact: true }).waitFor();
      assert.match(await truncated.textContent(), /Showing 59 K characters of 1\.0 M characters\./);
      // The shown part is markdown; the end is not shown yet.
      await answer.locator('.md-pending').first().waitFor({ state: 'detached' });
      assert.ok((await answer.locator('h2').count()) > 10, 'the shown part is markdown');
      assert.ok(!(await answer.textContent()).includes(BIG_END), 'the end waits behind Show all');
      latencies.push(...(await pressWhile(page, async () => true)));
      await page.screenshot({ path: join(ARTIFACTS, 'untrusted-megabyte.png') });

      await truncated.getByRole('button', { name: 'Show all', exact: true }).click();
      const plain = answer.locator('pre.md-long');
      await plain.waitFor();
      const shown = await plain.evaluate((el) => ({ length: el.textContent.length, elements: el.childElementCount, end: el.textContent.slice(-40) }));
      assert.deepEqual(shown, { length: BIG.length, elements: 0, end: BIG.slice(-40) }, 'the whole text, as plain text');
      latencies.push(...(await pressWhile(page, async () => true)));
      await answer.getByRole('button', { name: 'Show less', exact: true }).waitFor();

      const longest = await page.evaluate(() => window.__longest);
      t.diagnostic(`1 MB: ${latencies.length} keypresses, slowest ${Math.max(...latencies)} ms; longest task ${Math.round(longest)} ms`);
      assert.ok(Math.max(...latencies) < KEYPRESS_MS, `every keypress answered within ${KEYPRESS_MS} ms: ${latencies.join(', ')}`);
      assert.ok(longest < FREEZE_MS, `no task over ${FREEZE_MS} ms (longest ${Math.round(longest)} ms)`);
      assert.deepEqual(pageErrors, [], 'no error in the page');
      assert.deepEqual(cspViolations, []);
    });
  });
});
