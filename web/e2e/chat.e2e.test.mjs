// End-to-end: the chat against the real host and the scripted provider
// (see world.mjs). One host for the rendering scenarios (its script holds
// their replies in order, so run that describe whole): markdown with code,
// a tool card of each shape, an approval's "Always allow" writing the
// workspace policy, an answer's tokens and cost and the session's sum, the
// user's markdown and code colours in the dark scheme. Then a host each
// for a failed turn and Retry, for the approval by keyboard only, and for
// a long conversation (its oldest messages mounted after its newest).
//
//   npm --prefix web run e2e

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeAnswer, deltaReply, replyBlocks, runTurn, textReply } from '../bench/helpers.mjs';
import { ARTIFACTS, newSessionByKeyboard, scripted, send, startWorld, useBrowser, withPage, withWorld } from './world.mjs';

useBrowser();

const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = '<script>window.__pwned=1</script>';

const MARKDOWN = [
  '# Result',
  '',
  'Here is **the code**:',
  '',
  '```rust',
  'fn main() {',
  '    println!("hi");',
  '}',
  '```',
  '',
  '| a | b |',
  '|---|---|',
  '| 1 | 2 |',
  '',
  `Raw: ${IMG} ${SCRIPT} and [a link](javascript:window.__pwned=1) and ![tracker](https://tracker.example/p.png)`,
  '',
  // Longer than the blocks parsed on the main thread: the worker parses it
  // (a named character reference, which micromark decodes).
  `A long paragraph &copy; ${'word '.repeat(250)}`,
].join('\n');

const { stream, text, calls } = scripted;

const TOOLS = [
  ['read_file', { path: 'a.txt' }],
  ['list_files', {}],
  ['grep_files', { pattern: 'hello' }],
  ['write_file', { path: 'new.txt', content: 'fresh\n' }],
  ['edit_file', { path: 'a.txt', old_string: 'hello', new_string: 'goodbye' }],
  ['run_command', { command: 'echo hi' }],
  ['web_fetch', { url: 'http://127.0.0.1:9/nothing' }],
];

const SCRIPTED = [
  // markdown, streamed slowly enough to be rendered while it streams (its
  // long block parsed in the markdown worker)
  stream([
    { kind: 'text', text: MARKDOWN.slice(0, 40) },
    { kind: 'delay', ms: 300 },
    { kind: 'text', text: MARKDOWN.slice(40) },
    { kind: 'delay', ms: 300 },
    { kind: 'finish', reason: 'stop' },
  ]),
  // each tool card
  calls(TOOLS),
  text('All tools ran.'),
  // always allow
  calls([['write_file', { path: 'allowed.txt', content: 'ok' }]]),
  text('Wrote allowed.txt.'),
  // usage and cost: two answers with OpenRouter's usage.cost
  stream([{ kind: 'text', text: 'The first answer.' }, { kind: 'finish', reason: 'stop' }, { kind: 'usage_cost', input: 1200, output: 34, cost: 0.0031 }]),
  stream([{ kind: 'text', text: 'The second answer.' }, { kind: 'finish', reason: 'stop' }, { kind: 'usage_cost', input: 900, output: 66, cost: 0.0143 }]),
  // dark code blocks
  text('Mine:\n\n```rust\nfn main() {\n    let x = 42; // the answer\n}\n```\n'),
];

const ALLOW_ALL = {
  tools: Object.fromEntries(TOOLS.map(([name]) => [name, 'allow'])),
  commands: [],
  read_only_paths: [],
};

/** A workspace folder with `files` in `world`, its policy (when given), a
 * session in it, and the home page with that session open. */
async function withWorkspaceSession(world, name, { files = {}, policy, colorScheme } = {}, body) {
  const folder = join(world.dir, name);
  mkdirSync(folder);
  for (const [f, content] of Object.entries(files)) writeFileSync(join(folder, f), content);
  const workspace = await world.host.api('POST', '/workspaces', { path: folder });
  if (policy) await world.host.api('PUT', `/workspaces/${encodeURIComponent(workspace.id)}/policy`, policy);
  const session = await world.host.api('POST', '/sessions', { workspace_id: workspace.id });
  await withPage(
    world,
    {
      name,
      colorScheme,
      ready: async (page) => {
        await page.locator(`button.link[title="${session.id}"]`).click();
        await page.getByPlaceholder('Ask the agent…').waitFor();
      },
    },
    (w) => body({ ...w, folder, workspace, session }),
  );
}

describe('chat rendering (one host)', () => {
  let world;

  before(async () => {
    world = await startWorld({ name: 'chat-render', script: SCRIPTED });
  });
  after(() => world?.stop());

  const withSession = (name, options, body) => withWorkspaceSession(world, name, options, body);

  test('markdown: a code block renders as code, a table as a table, raw HTML and javascript: links stay inert, remote images are not loaded', async () => {
    await withSession('markdown', {}, async ({ page }) => {
      const requests = [];
      page.on('request', (r) => requests.push(r.url()));
      const workerErrors = [];
      page.on('console', (m) => {
        if (m.type() === 'error' && /^\[(markdown|highlight)\]/.test(m.text())) workerErrors.push(m.text());
      });
      await send(page, 'Show me code');
      const answer = page.locator('.message.assistant').last();
      // Finished (its actions show): what follows checks the final text, not
      // a streaming state (whose unterminated `__` reads as emphasis).
      await answer.getByRole('button', { name: 'Copy the answer' }).waitFor();
      await answer.locator('pre code', { hasText: 'println!("hi");' }).waitFor();
      await answer.locator('h1', { hasText: 'Result' }).waitFor();
      await answer.locator('table td', { hasText: '2' }).first().waitFor();
      await answer.locator('.md-image', { hasText: 'https://tracker.example/p.png' }).waitFor();
      assert.ok((await answer.textContent()).includes(SCRIPT), 'the <script> shows as text');
      const found = await page.evaluate(() => ({
        pwned: window.__pwned,
        imgs: document.querySelectorAll('.message img').length,
        scripts: [...document.scripts].filter((s) => s.textContent.includes('__pwned')).length,
        links: [...document.querySelectorAll('.message a')].map((a) => a.getAttribute('href')),
      }));
      assert.deepEqual(found, { pwned: undefined, imgs: 0, scripts: 0, links: [] });
      await answer.locator('.md-link-blocked', { hasText: 'a link' }).click();
      assert.equal(await page.evaluate(() => window.__pwned), undefined, 'the javascript: link was not followed');
      assert.ok(!requests.some((u) => u.includes('tracker.example')), 'the remote image was never requested');
      // The streamed answer was parsed and highlighted off the main thread
      // (each worker falls back silently, so this is where a worker that
      // cannot load or run shows). Both start before the answer (the
      // markdown worker with its chunk, the highlighting one when the
      // window is idle): the markdown worker is running, and the
      // highlighting one's work shows as coloured tokens.
      const workers = page.workers().map((w) => new URL(w.url()).pathname);
      assert.ok(workers.some((u) => u.includes('/markdown.worker')), `the markdown worker runs: ${workers}`);
      await answer.locator('p', { hasText: 'A long paragraph © word' }).waitFor();
      await page.waitForFunction(() => {
        const spans = document.querySelectorAll('.message.assistant pre code span[style]');
        return new Set([...spans].map((s) => s.style.getPropertyValue('--sdm-c'))).size > 2;
      });
      assert.deepEqual(workerErrors, []);
      await page.screenshot({ path: join(ARTIFACTS, 'chat-markdown.png'), fullPage: true });
    });
  });

  test('a session with code has its grammars loaded before it opens: when the window is idle if it is one of the newest, else when pointed at', async () => {
    // The markdown test's session (that test runs first): its answer has a
    // Rust block.
    const { sessions } = await world.host.api('GET', '/sessions?limit=200');
    const rust = sessions.find((s) => s.code_languages.includes('rust'));
    assert.ok(rust, `a session lists rust: ${JSON.stringify(sessions.map((s) => s.code_languages))}`);
    const row = (page) => page.locator(`button.link[title="${rust.id}"]`);
    const RUST = /\/rust-[\w-]+\.js$/;
    /** The modules the page's highlighting worker has fetched so far. */
    const fetched = async (page) => {
      const worker = page.workers().find((w) => w.url().includes('highlight.worker'));
      return worker ? worker.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)) : [];
    };
    const fetchesRust = async (page) => {
      const deadline = Date.now() + 10_000;
      while (!(await fetched(page)).some((p) => RUST.test(p))) {
        assert.ok(Date.now() < deadline, `the worker fetched no Rust grammar: ${JSON.stringify(await fetched(page))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    /** In the page: whether some session's messages were asked for since
     * it loaded (pointing at a row loads them ahead). And whether a chat is
     * shown. */
    const askedMessages = () => performance.getEntriesByType('resource').some((e) => new URL(e.name).pathname.endsWith('/messages'));
    const opened = async (page) => (await page.locator('section.chat').count()) > 0;
    // One of the newest three: loaded once the window is idle, untouched.
    await world.host.api('PATCH', `/sessions/${encodeURIComponent(rust.id)}`, { title: 'Rust, renamed' });
    await withPage(world, { name: 'warm-when-idle', ready: (page) => row(page).waitFor() }, async ({ page }) => {
      await fetchesRust(page);
      assert.equal(await page.evaluate(askedMessages), false, 'no messages asked for');
      assert.equal(await opened(page), false, 'no session was opened');
    });
    // Three newer sessions without code: now only pointing at it loads it.
    for (let i = 0; i < 3; i++) await world.host.api('POST', '/sessions', {});
    await withPage(world, { name: 'warm-on-hover', ready: (page) => row(page).waitFor() }, async ({ page }) => {
      // Past the idle warm-up's latest start (requestIdleCallback's 2 s
      // timeout, hooks.ts), which has no Rust to load now.
      await page.waitForTimeout(2_500);
      assert.ok(!(await fetched(page)).some((p) => RUST.test(p)), 'no Rust grammar before the pointer');
      await row(page).hover();
      await fetchesRust(page);
      // Its messages loaded ahead, and the session still not opened.
      await page.waitForFunction(askedMessages);
      assert.equal(await opened(page), false, 'the session was not opened');
    });
  });

  test('tool cards: one of each shape from a scripted turn', async () => {
    await withSession('tools', { files: { 'a.txt': 'hello\nworld\n' }, policy: ALLOW_ALL }, async ({ page, folder }) => {
      await send(page, 'Use every tool');
      const answer = page.locator('.message.assistant').last();
      await answer.getByText('All tools ran.', { exact: true }).waitFor();
      const card = (tool) => answer.locator(`details.tool-card[data-tool="${tool}"]`);

      // Reads: collapsed, the path and a count.
      await card('read_file').locator('.tool-subject', { hasText: 'a.txt' }).waitFor();
      await card('read_file').locator('.tool-meta', { hasText: /^\d+ lines?$/ }).waitFor();
      await card('list_files').locator('.tool-meta', { hasText: /entr(y|ies)$/ }).waitFor();
      await card('grep_files').locator('.tool-meta', { hasText: '1 match' }).waitFor();
      for (const tool of ['read_file', 'list_files', 'grep_files']) {
        assert.equal(await card(tool).evaluate((d) => d.open), false, `${tool} is collapsed`);
      }
      // Writes: their diff.
      await card('write_file').locator('.edit-diff .diff-add', { hasText: 'fresh' }).waitFor();
      await card('edit_file').locator('.edit-diff .diff-del', { hasText: 'hello' }).waitFor();
      await card('edit_file').locator('.edit-diff .diff-add', { hasText: 'goodbye' }).waitFor();
      assert.equal(readFileSync(join(folder, 'new.txt'), 'utf8'), 'fresh\n');
      // run_command: the command (and its exit code when the sandbox ran it).
      await card('run_command').locator('.tool-cmdline', { hasText: '$ echo hi' }).waitFor();
      const state = await card('run_command').locator('[data-state]').getAttribute('data-state');
      if (state === 'output-available') {
        await card('run_command').locator('.exit-code', { hasText: 'exit 0' }).waitFor();
        await card('run_command').locator('.tool-stdout .tool-output', { hasText: 'hi' }).waitFor();
      }
      // web_fetch: the URL (a loopback address is refused by the host).
      await card('web_fetch').locator('.tool-subject', { hasText: 'http://127.0.0.1:9/nothing' }).waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'chat-tool-cards.png'), fullPage: true });

      // The answer is taller than the list: the list followed it to its end.
      const list = page.locator('.messages');
      const gap = () => list.evaluate((m) => ({ below: m.scrollHeight - m.scrollTop - m.clientHeight, overflow: m.scrollHeight - m.clientHeight }));
      await page.waitForFunction(() => {
        const m = document.querySelector('.messages');
        return m.scrollHeight - m.scrollTop - m.clientHeight < 4;
      });
      assert.ok((await gap()).overflow > 200, `the answer overflows the list (${JSON.stringify(await gap())})`);
      // Scrolled up, it stays; ↓ Latest goes back.
      await list.evaluate((m) => m.scrollTo({ top: 0 }));
      const latest = page.getByRole('button', { name: '↓ Latest' });
      await latest.waitFor();
      assert.ok((await gap()).below > 200, 'left where the user scrolled');
      await latest.click();
      await page.waitForFunction(() => {
        const m = document.querySelector('.messages');
        return m.scrollHeight - m.scrollTop - m.clientHeight < 4;
      });
      await latest.waitFor({ state: 'detached' });
    });
  });

  test('approval: "Always allow" writes the workspace policy and approves', async () => {
    await withSession('always', {}, async ({ page, host, folder, workspace }) => {
      const path = `/workspaces/${encodeURIComponent(workspace.id)}/policy`;
      assert.equal((await host.api('GET', path)).tools.write_file, 'ask', 'the default policy asks');
      await send(page, 'Write allowed.txt');
      const tool = page.locator('details.tool-card[data-tool="write_file"]');
      const approval = tool.locator('.approval-card');
      await approval.getByText('Write this file?').waitFor();
      await tool.locator('.edit-diff .diff-add', { hasText: 'ok' }).waitFor();
      assert.equal(existsSync(join(folder, 'allowed.txt')), false, 'nothing written before the answer');
      await page.screenshot({ path: join(ARTIFACTS, 'chat-approval.png'), fullPage: true });
      await approval.getByRole('button', { name: 'Always allow write_file in this workspace' }).click();

      await page.locator('.message.assistant').getByText('Wrote allowed.txt.', { exact: true }).waitFor();
      assert.equal(readFileSync(join(folder, 'allowed.txt'), 'utf8'), 'ok');
      const policy = await host.api('GET', path);
      assert.equal(policy.tools.write_file, 'allow', 'the stored policy now allows write_file');
      assert.equal(policy.tools.run_command, 'ask', 'nothing else changed');
    });
  });

  test('usage: an answer with a reported cost shows its tokens and cost under it, the session bar the session\u2019s sum (live and after a reload)', async () => {
    await withSession('usage', {}, async ({ page, host, session }) => {
      const answers = page.locator('.message.assistant');
      const bar = page.getByRole('group', { name: 'Session model and usage' });
      await send(page, 'What does this cost?');
      await answers.last().getByText('The first answer.', { exact: true }).waitFor();
      await answers.last().locator('.turn-usage', { hasText: '1.2k tokens' }).locator('.turn-cost', { hasText: /^\$0\.0031$/ }).waitFor();
      await bar.locator('.session-cost', { hasText: /^\$0\.0031$/ }).waitFor();

      await send(page, 'And this?');
      await answers.last().getByText('The second answer.', { exact: true }).waitFor();
      // From a cent on, in cents.
      await answers.last().locator('.turn-usage', { hasText: '966 tokens' }).locator('.turn-cost', { hasText: /^\$0\.01$/ }).waitFor();
      // The session: 0.0031 + 0.0143 = 0.0174 dollars; 2,200 tokens.
      await bar.locator('.session-cost', { hasText: /^\$0\.02$/ }).waitFor();
      await bar.locator('.usage', { hasText: '2.2k tokens' }).first().waitFor();
      const stored = await host.api('GET', `/sessions/${encodeURIComponent(session.id)}`);
      assert.deepEqual({ ...stored.usage, cost: Math.round(stored.usage.cost * 1e6) / 1e6 }, { input_tokens: 2100, output_tokens: 100, cost: 0.0174 });

      // From the stored messages: the same lines.
      await page.reload();
      await page.locator(`button.link[title="${session.id}"]`).click();
      await answers.nth(1).getByText('The second answer.', { exact: true }).waitFor();
      assert.deepEqual(await page.locator('.message.assistant .turn-cost').allTextContents(), ['$0.0031', '$0.01']);
      assert.equal(await page.locator('.message.user .turn-usage').count(), 0, 'no usage under the user\u2019s messages');
      await bar.locator('.session-cost', { hasText: /^\$0\.02$/ }).waitFor();
    });
  });

  test('dark: the user\u2019s message is markdown (strong, code), and code blocks are light text on a dark background', async () => {
    await withSession('dark-code', { colorScheme: 'dark' }, async ({ page }) => {
      await send(page, 'Here is **bold** and `code`:\n\n```js\nconst a = "s"; // c\n```');
      const mine = page.locator('.message.user').last();
      await mine.locator('strong', { hasText: /^bold$/ }).waitFor();
      await mine.locator('p code', { hasText: /^code$/ }).waitFor();
      assert.ok(!(await mine.textContent()).includes('**'), 'no markdown syntax left in the text');
      await page.locator('.message.assistant').last().locator('pre code', { hasText: 'let x = 42;' }).waitFor();

      // Highlighted (several token colours) once Shiki has loaded; then each
      // token against the block's background.
      await page.waitForFunction(() => {
        const blocks = document.querySelectorAll('.message pre code');
        return blocks.length === 2 && [...blocks].every((c) => new Set([...c.querySelectorAll('span > span')].map((s) => getComputedStyle(s).color)).size >= 3);
      });
      const blocks = await page.evaluate(() => {
        const rgb = (c) => (c.match(/[\d.]+/g) ?? []).map(Number);
        const lum = ([r, g, b]) => {
          const f = (v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
          return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
        };
        const background = (el) => {
          for (let e = el; e; e = e.parentElement) {
            const c = rgb(getComputedStyle(e).backgroundColor);
            if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
          }
          return [255, 255, 255];
        };
        return [...document.querySelectorAll('.message pre code')].map((code) => {
          const bg = lum(background(code));
          const tokens = [...code.querySelectorAll('span > span')].filter((s) => s.textContent.trim());
          return {
            who: code.closest('.message').classList.contains('user') ? 'user' : 'assistant',
            bg,
            tokens: tokens.map((s) => {
              const l = lum(rgb(getComputedStyle(s).color));
              return { text: s.textContent.trim(), lum: l, contrast: (l + 0.05) / (bg + 0.05) };
            }),
          };
        });
      });
      for (const b of blocks) {
        assert.ok(b.bg < 0.05, `${b.who}'s code block background is dark (luminance ${b.bg.toFixed(3)})`);
        for (const tok of b.tokens) {
          assert.ok(tok.lum > 0.15 && tok.contrast >= 4.5, `${b.who}'s "${tok.text}" is light on it (luminance ${tok.lum.toFixed(3)}, contrast ${tok.contrast.toFixed(1)}:1)`);
        }
      }
      await page.screenshot({ path: join(ARTIFACTS, 'chat-dark-code.png'), fullPage: true });
    });
  });
});

/** The stored conversation: role, status and text of each message. */
async function stored(host, sessionId) {
  const { messages } = await host.api('GET', `/sessions/${encodeURIComponent(sessionId)}/messages`);
  return messages.map((m) => ({
    role: m.role,
    status: m.metadata?.status,
    turnId: m.metadata?.turnId,
    text: m.parts
      .filter((p) => p.type === 'text')
      .map((p) => p.text)
      .join(''),
  }));
}

describe('a failed turn and Retry', () => {
  const QUESTION = 'What is 6 × 7?';
  const script = [
    // Before any token: a gateway error (the provider client would retry it
    // itself; max_retries 0 below lets it reach the user).
    { kind: 'error', status: 502, body: { error: { message: 'upstream bad gateway', code: 502 } } },
    // Mid-stream: part of an answer, then OpenRouter's error object.
    stream([{ kind: 'text', text: 'Six times seven ' }, { kind: 'error_object', message: 'upstream overloaded' }]),
    text('It is 42.'),
  ];

  test('the error and Retry show; Retry answers the same question again, asked once, and the next reply lands (also after a reload, which still says why it failed)', async (t) => {
    const world = await startWorld({ name: 'retry', script });
    t.after(world.stop);
    const { host, provider } = world;
    await host.api('PUT', '/providers/openrouter', { base_url: provider.baseUrl, max_retries: 0 });
    const session = await host.api('POST', '/sessions', {});
    const openSession = async (page) => {
      await page.locator(`button.link[title="${session.id}"]`).click();
      await page.getByPlaceholder('Ask the agent…').waitFor();
    };
    await withPage(world, { name: 'retry', ready: openSession }, async ({ page }) => {
      const retry = page.getByRole('button', { name: 'Retry', exact: true });
      const errorLine = page.locator('section.chat > .error-line');
      const answers = page.locator('.message.assistant');

      // 1. A 502 before any token: the error with its stable code, and Retry.
      await send(page, QUESTION);
      await errorLine.getByText('upstream bad gateway (provider_status)').waitFor();
      await retry.waitFor();
      assert.equal(await retry.count(), 1, 'one Retry, under the failed answer');
      assert.equal(await answers.last().locator('.retry-turn').count(), 1, 'Retry sits under the failed answer');
      assert.equal(await answers.last().locator('.turn-usage').count(), 0, 'no usage line for a turn without any');
      await page.getByRole('button', { name: 'Send', exact: true }).waitFor();
      let messages = await stored(host, session.id);
      assert.deepEqual(
        messages.map((m) => [m.role, m.status, m.text]),
        [
          ['user', 'complete', QUESTION],
          ['assistant', 'error', ''],
        ],
        'the host stored the question and a failed, empty answer',
      );

      const firstTurn = messages[1].turnId;

      // A reload: Retry is still offered (from the stored status), and the
      // failed answer still says why (its stored metadata.error).
      await page.reload();
      await openSession(page);
      await retry.waitFor();
      await answers.last().locator('.answer-failed').getByText('upstream bad gateway (provider_status)').waitFor();
      assert.equal(await errorLine.count(), 0, 'the reason is the stored answer\'s, not a live error');
      assert.equal(await answers.last().locator('.retry-turn').count(), 1, 'Retry under the stored failed answer');

      // The question, asked once on the page and in the host.
      const questionsShown = () => page.locator('.message.user').getByText(QUESTION, { exact: true }).count();
      const askedOnce = async (when) => {
        assert.equal(await questionsShown(), 1, `the question is shown once ${when}`);
        assert.equal(await page.locator('.message.user').count(), 1, `one user message ${when}`);
        messages = await stored(host, session.id);
        assert.equal(messages.filter((m) => m.role === 'user').length, 1, `the question is stored once ${when}`);
      };

      // 2. Retry: the same question again; this time the answer breaks off.
      // The failed answer it replaces is gone, from the page and the list.
      await retry.click();
      await answers.last().getByText('Six times seven', { exact: true }).waitFor();
      await errorLine.getByText('upstream overloaded (provider_error)').waitFor();
      await retry.waitFor();
      assert.equal(await retry.count(), 1, 'one Retry, under the newest failed answer');
      assert.equal(await answers.last().locator('.retry-turn').count(), 1);
      assert.equal(await answers.count(), 1, 'the failed answer was replaced, not added to');
      await askedOnce('after the first retry');
      assert.deepEqual(
        messages.map((m) => [m.role, m.status, m.text]),
        [
          ['user', 'complete', QUESTION],
          ['assistant', 'error', 'Six times seven '],
        ],
      );
      assert.notEqual(messages[1].turnId, firstTurn, 'a new turn');

      // 3. Retry again: the third scripted reply, and no error or Retry left.
      await retry.click();
      await answers.last().getByText('It is 42.', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Send', exact: true }).waitFor();
      assert.equal(await errorLine.count(), 0, 'the error is cleared');
      assert.equal(await retry.count(), 0, 'no Retry after a good answer');
      assert.equal(await answers.count(), 1);
      await askedOnce('after the second retry');

      // The host: the question and its complete answer, nothing else.
      assert.deepEqual(
        messages.map((m) => [m.role, m.status, m.text]),
        [
          ['user', 'complete', QUESTION],
          ['assistant', 'complete', 'It is 42.'],
        ],
        'the session holds the question once and the answer that landed',
      );

      // And so does the page after a reload, with no failure left to tell.
      await page.reload();
      await openSession(page);
      await answers.last().getByText('It is 42.', { exact: true }).waitFor();
      await askedOnce('after a reload');
      assert.equal(await answers.count(), 1);
      assert.equal(await page.locator('.answer-failed').count(), 0);
      assert.equal(await retry.count(), 0);
    });
  });
});

/** The focused element, said briefly, and whether its focus is visible (an
 * outline that is not `none` and wider than 0). */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { what: 'body', visible: false, inApproval: false, text: '' };
    const st = getComputedStyle(el);
    const text = (el.getAttribute('aria-label') || el.textContent || el.getAttribute('placeholder') || '').trim().slice(0, 60);
    return {
      what: `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ').join('.')}` : ''} "${text}"`,
      text,
      visible: st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0,
      outline: `${st.outlineStyle} ${st.outlineWidth}`,
      inApproval: el.closest('.approval-card') !== null,
    };
  });
}

/** Presses `key` until `want(focused)` holds (at most `max` times); every
 * control passed on the way must show its focus. Returns the stops. */
async function tabUntil(page, key, want, max = 25) {
  const stops = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const f = await focused(page);
    stops.push(f.what);
    assert.ok(f.visible, `focus is visible on ${f.what} (outline ${f.outline}); path: ${stops.join(' → ')}`);
    if (want(f)) return stops;
  }
  assert.fail(`${key} ×${max} never reached the control; path: ${stops.join(' → ')}`);
}

/** After an answer the focus is on the answered tool card's summary (in the
 * chat, outlined), not dropped to <body> with the card's buttons. */
async function keepsPlace(page, tool) {
  await page.waitForFunction(() => !document.activeElement?.closest('.approval-actions'));
  const where = await page.evaluate(() => {
    const el = document.activeElement;
    return { tag: el?.tagName.toLowerCase(), tool: el?.closest('details.tool-card')?.dataset.tool, inChat: !!el?.closest('#pane-chat') };
  });
  assert.deepEqual(where, { tag: 'summary', tool, inChat: true }, 'the focus stays on the answered card');
  assert.ok((await focused(page)).visible, 'and is visible there');
}

describe('the approval by keyboard only', () => {
  const script = [
    calls([['write_file', { path: 'kb.txt', content: 'typed by keyboard\n' }]]),
    text('Wrote kb.txt.'),
    calls([['run_command', { command: 'touch kb-done.txt' }]]),
    text('Touched kb-done.txt.'),
  ];

  test('open a workspace, start a session, approve a write, then "Always allow" a command: Tab/Shift+Tab/Enter/Space and the shortcuts, focus visible on every stop and kept after each answer', async (t) => {
    const world = await startWorld({ name: 'keyboard-approval', script });
    t.after(world.stop);
    const folder = join(world.dir, 'kbd');
    mkdirSync(folder);
    const home = (page) => page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await withPage(world, { name: 'keyboard-approval', ready: home }, async ({ page, host }) => {
      const kb = page.keyboard;
      // The workspace: Ctrl+1 to the sidebar, Tab to the path field, type, Enter.
      await kb.press('Control+1');
      const path = await tabUntil(page, 'Tab', (f) => f.text === 'Folder path', 5);
      t.diagnostic(`to the folder field: ${path.join(' → ')}`);
      await kb.type(folder);
      await kb.press('Enter');
      await page.locator('.topbar').getByText('workspace: kbd').waitFor();

      // A session in it (Ctrl+Alt+N focuses its input), the question, Ctrl+Enter.
      await newSessionByKeyboard(page);
      const { sessions } = await host.api('GET', '/sessions');
      assert.equal(sessions.length, 1);
      const workspace = (await host.api('GET', '/workspaces')).workspaces.find((w) => w.name === 'kbd');
      assert.equal(sessions[0].workspace_id, workspace.id, 'the session is in the workspace');
      await kb.type('Write kb.txt');
      await kb.press('Control+Enter');

      // The approval: Shift+Tab back from the input reaches its buttons.
      const card = page.locator('.approval-card');
      await card.getByRole('button', { name: 'Approve' }).waitFor();
      assert.equal(existsSync(join(folder, 'kb.txt')), false, 'nothing written before the answer');
      let stops = await tabUntil(page, 'Shift+Tab', (f) => f.inApproval);
      t.diagnostic(`input → approval: ${stops.join(' → ')}`);
      await tabUntil(page, 'Shift+Tab', (f) => f.text === 'Approve', 4);
      // Each of the card's controls, forward and back, shows its focus.
      await tabUntil(page, 'Tab', (f) => f.text === 'Deny', 1);
      await tabUntil(page, 'Tab', (f) => f.text.startsWith('Always allow write_file'), 1);
      await tabUntil(page, 'Shift+Tab', (f) => f.text === 'Deny', 1);
      await tabUntil(page, 'Shift+Tab', (f) => f.text === 'Approve', 1);
      await kb.press('Enter');
      await page.locator('.message.assistant').getByText('Wrote kb.txt.', { exact: true }).waitFor();
      assert.equal(readFileSync(join(folder, 'kb.txt'), 'utf8'), 'typed by keyboard\n', 'the approved write ran');
      // Answering keeps the keyboard user's place: the card's own summary.
      await keepsPlace(page, 'write_file');

      // The second approval, answered with "Always allow" and Space.
      await kb.press('Control+l');
      await page.waitForFunction(() => document.activeElement?.matches('#pane-chat textarea'));
      await kb.type('Touch kb-done.txt');
      await kb.press('Control+Enter');
      const always = 'Always allow “touch *” in this workspace';
      await page.locator('.approval-card').getByRole('button', { name: always }).waitFor();
      stops = await tabUntil(page, 'Shift+Tab', (f) => f.text === always);
      t.diagnostic(`input → Always allow: ${stops.join(' → ')}`);
      await kb.press('Space');
      await keepsPlace(page, 'run_command');
      await page.locator('.message.assistant').getByText('Touched kb-done.txt.', { exact: true }).waitFor();
      const policy = await host.api('GET', `/workspaces/${encodeURIComponent(workspace.id)}/policy`);
      assert.deepEqual(
        policy.commands.filter((r) => r.pattern === 'touch *'),
        [{ pattern: 'touch *', permission: 'allow' }],
        'the stored policy allows touch',
      );
      assert.equal(policy.tools.run_command, 'ask', 'other commands still ask');
      const state = await page.locator('details.tool-card[data-tool="run_command"] [data-state]').last().getAttribute('data-state');
      if (state === 'output-available') assert.ok(existsSync(join(folder, 'kb-done.txt')), 'the allowed command ran');
      else t.diagnostic(`run_command ended ${state} (no sandbox here?)`);
    });
  });

  test(
    'Ctrl+Alt+N focuses the new session’s input even when its messages load slowly',
    async (t) => {
      const world = await startWorld({ name: 'slow-new-session' });
      t.after(world.stop);
      const home = (page) => page.getByRole('heading', { name: 'Sessions' }).waitFor();
      await withPage(world, { name: 'slow-new-session', ready: home }, async ({ page }) => {
        // What a loaded machine does now and then, every time.
        await page.route('**/sessions/*/messages', async (route) => {
          await new Promise((r) => setTimeout(r, 300));
          await route.continue();
        });
        await page.keyboard.press('Control+Alt+n');
        await page.locator('#pane-chat textarea').waitFor();
        await page.waitForTimeout(100);
        const at = await page.evaluate(() => (document.activeElement?.id || document.activeElement?.tagName.toLowerCase()) ?? 'none');
        assert.equal(at, 'textarea', `the focus is on ${at}`);
      });
    },
  );
});

describe('reasoning and copy', () => {
  test('the model’s reasoning shows collapsed above its answer; Copy puts a message’s text, as written, on the clipboard', async (t) => {
    const reasoning = 'First weigh the options, then pick the cheaper one.';
    const answerText = 'Pick **the cheaper** one:\n\n```sh\nmake cheap\n```';
    const reply = stream([
      { kind: 'reasoning', text: reasoning.slice(0, 20) },
      { kind: 'delay', ms: 200 },
      { kind: 'reasoning', text: reasoning.slice(20) },
      { kind: 'text', text: answerText },
      { kind: 'finish', reason: 'stop' },
    ]);
    await withWorld(t, { name: 'reasoning', script: [reply] }, async ({ page }) => {
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
      await newSessionByKeyboard(page);
      await send(page, 'Which one?');
      const answer = page.locator('.message.assistant').last();
      await answer.locator('strong', { hasText: 'the cheaper' }).waitFor();
      const details = answer.locator('details.reasoning');
      assert.equal(await details.count(), 1);
      assert.equal(await details.evaluate((d) => d.open), false, 'collapsed');
      assert.equal((await details.locator('summary').innerText()).trim(), 'Reasoning');
      assert.equal(await details.locator('pre').isVisible(), false, 'its text hidden until opened');
      await details.locator('summary').click();
      assert.equal((await details.locator('pre').innerText()).trim(), reasoning);
      // The reasoning comes before the answer's text.
      assert.ok(
        await answer.evaluate((m) => m.querySelector('details.reasoning').compareDocumentPosition(m.querySelector('.md')) & Node.DOCUMENT_POSITION_FOLLOWING),
      );

      const copy = answer.getByRole('button', { name: 'Copy the answer' });
      await copy.click();
      await answer.getByText('Copied', { exact: true }).waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), answerText);
      const question = page.locator('.message.user').last();
      await question.getByRole('button', { name: /^Copy/ }).click();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'Which one?');
    });
  });
});

describe('an answer streamed as fast as the provider writes', () => {
  test('shows all of its text when it shows as finished, a block not parsed yet as written, and then every block as markdown', async (t) => {
    // The stream bench's answer: ~10,000 deltas in ~290 blocks, each
    // paragraph and code block its own text. Its blocks are parsed in a
    // worker, which finishes well after the last delta.
    const reply = deltaReply(10_000, 'The end.', 0, 0, true);
    const blocks = replyBlocks(reply);
    const paragraphs = blocks.filter((b) => b.kind === 'paragraph').map((b) => b.text.trim());
    const code = blocks.filter((b) => b.kind === 'code').map((b) => b.text);
    assert.ok(paragraphs.length > 200 && code.length > 50, `${paragraphs.length} paragraphs, ${code.length} code blocks`);
    await withWorld(t, { name: 'fast-answer', script: [reply] }, async ({ page }) => {
      await newSessionByKeyboard(page);
      await send(page, 'A long answer, fast');
      const answer = page.locator('.message.assistant').last();
      await answer.getByRole('button', { name: 'Copy the answer' }).waitFor();
      // At once: every paragraph (its word forty times) and code block.
      const text = await answer.textContent();
      await page.screenshot({ path: join(ARTIFACTS, 'chat-fast-answer-finished.png') });
      const missing = [
        ...paragraphs.filter((w) => !new RegExp(`\\b${w} ${w}\\b`).test(text)),
        ...code.filter((c) => !text.includes(c)),
      ];
      assert.deepEqual(missing, [], 'every block is on the page when the answer shows as finished');
      assert.ok(text.includes('The end.'));
      // Then each as markdown: a paragraph per paragraph, a code block per
      // code block, none left as written.
      await answer.locator('.md-pending').first().waitFor({ state: 'detached' });
      const shown = await answer.evaluate((el) => ({
        paragraphs: el.querySelectorAll('.md-body > p').length,
        code: el.querySelectorAll('[data-streamdown="code-block"]').length,
        pending: el.querySelectorAll('.md-pending').length,
      }));
      assert.deepEqual(shown, { paragraphs: paragraphs.length + 1, code: code.length, pending: 0 });
    });
  });
});

describe('an answer whose text arrives at once', () => {
  test('turns the blocks the list shows into markdown first, those scrolled out of sight when the page is idle', async (t) => {
    // The stream bench's answer (~290 blocks) as one delta, then a pause:
    // every block is new in one render. The list shows its end.
    const bench = deltaReply(10_000, '', 0, 0, true);
    const whole = bench.events
      .map((e) => (e.kind === 'deltas' ? e.text.repeat(e.count) : e.kind === 'text' ? e.text : ''))
      .join('');
    const reply = {
      kind: 'stream',
      events: [
        { kind: 'text', text: whole },
        { kind: 'delay', ms: 1500 },
        { kind: 'text', text: 'The end.' },
        { kind: 'finish', reason: 'stop' },
        { kind: 'done' },
      ],
    };
    await withWorld(t, { name: 'at-once', script: [reply] }, async ({ page }) => {
      await newSessionByKeyboard(page);
      // The page's idle time held back (near-first.ts parses the blocks out
      // of sight in it), so that what is parsed meanwhile is what the list
      // shows; released below.
      await page.evaluate(() => {
        window.__idle = [];
        window.requestIdleCallback = (fn) => window.__idle.push(fn);
        window.cancelIdleCallback = () => {};
      });
      await send(page, 'A long answer, at once');
      const answer = page.locator('.message.assistant').last();
      const state = () =>
        answer.evaluate((el) => {
          const body = el.querySelector('.md-body');
          const blocks = body ? [...body.children] : [];
          const pending = (b) => b.classList.contains('md-pending');
          return { blocks: blocks.length, pending: blocks.filter(pending).length };
        });
      // The answer's end, on screen, as markdown.
      await page.waitForFunction(() => {
        const body = [...document.querySelectorAll('.message.assistant .md-body')].pop();
        const last = body ? [...body.children].slice(-5) : [];
        return body && body.childElementCount > 200 && last.every((b) => !b.classList.contains('md-pending'));
      });
      await page.waitForTimeout(300);
      const early = await state();
      await page.screenshot({ path: join(ARTIFACTS, 'chat-at-once-end.png') });
      // Those out of sight: still as written (252 of 287 here; those at the
      // top were on screen before the list scrolled to the end).
      assert.ok(early.pending > early.blocks / 2, `before idle time: ${JSON.stringify(early)}`);
      // Idle time: the rest, newest first, until none is left as written.
      await answer.getByRole('button', { name: 'Copy the answer' }).waitFor();
      for (let i = 0; i < 200 && (await state()).pending > 0; i++) {
        await page.evaluate(() => window.__idle.splice(0).forEach((fn) => fn({ didTimeout: false, timeRemaining: () => 50 })));
        await page.waitForTimeout(50);
      }
      const done = await state();
      assert.equal(done.pending, 0, JSON.stringify(done));
    });
  });
});

describe('a long conversation', () => {
  // 160 messages: more than the chat mounts when it opens (ChatPanel.tsx,
  // DEFER_AFTER and MOUNT_FIRST), so it opens with a box standing in for
  // the oldest.
  const TURNS = 80;

  /** Installs, before the session is opened, a note of the stand-in box as
   * it first appears: its height and how many messages are mounted beside
   * it. */
  const noteStandIn = (page) =>
    page.evaluate(() => {
      window.__standIn = null;
      const seen = new MutationObserver(() => {
        const box = document.querySelector('.messages-not-mounted');
        if (!box || window.__standIn) return;
        seen.disconnect();
        const list = box.closest('.messages');
        window.__standIn = { height: box.getBoundingClientRect().height, mounted: list.querySelectorAll('.message').length };
      });
      seen.observe(document.body, { childList: true, subtree: true });
    });

  test('it opens with its newest messages and a box as tall as the rest, which join when the page is idle; a jump to the top shows the oldest in full', async (t) => {
    const world = await startWorld({ name: 'long', script: Array.from({ length: TURNS }, (_, i) => textReply(codeAnswer(i))) });
    t.after(world.stop);
    const session = await world.host.api('POST', '/sessions', {});
    for (let i = 0; i < TURNS; i++) await runTurn(world.host, session.id, `Question ${i}: how do I sum a list?`);
    const row = (page) => page.locator(`button.link[title="${session.id}"]`);
    const messages = (page) => page.locator('.chat .messages .message');
    /** The oldest message in full, and its answer's code as code. */
    const oldestInFull = async (page) => {
      await page.locator('.chat .messages .message:not(.message-deferred)', { hasText: 'Question 0:' }).first().waitFor();
      await messages(page).nth(1).locator('[data-streamdown="code-block-body"]').waitFor();
      assert.match(await messages(page).nth(1).innerText(), /answer 0\b/);
    };

    await withPage(world, { name: 'long-open', ready: (page) => row(page).waitFor() }, async ({ page }) => {
      await noteStandIn(page);
      await row(page).click();
      await page.waitForFunction(() => window.__standIn !== null);
      await page.locator('.messages-not-mounted').waitFor({ state: 'detached' });
      await page.waitForFunction((n) => document.querySelectorAll('.chat .messages .message').length === n, 2 * TURNS);
      const standIn = await page.evaluate(() => window.__standIn);
      assert.ok(standIn, 'a box stood in for the oldest messages');
      assert.ok(standIn.mounted < 2 * TURNS, `${standIn.mounted} of ${2 * TURNS} messages mounted at first`);
      // The messages that joined are where the box was, as tall as it was
      // (so the list did not move as they joined), and still placeholders.
      const joined = 2 * TURNS - standIn.mounted;
      const { span, deferred } = await page.evaluate((joined) => {
        const all = document.querySelectorAll('.chat .messages .message');
        const deferred = [...all].slice(0, joined).every((m) => m.classList.contains('message-deferred'));
        return { span: all[joined].getBoundingClientRect().top - all[0].getBoundingClientRect().top, deferred };
      }, joined);
      assert.ok(deferred, 'the messages that joined are placeholders');
      assert.ok(Math.abs(span - standIn.height) < 1, `the ${joined} messages that joined take ${span}px; the box was ${standIn.height}px`);
      // Still at the newest message; its code highlighted.
      assert.ok(await page.evaluate(() => {
        const m = document.querySelector('.chat .messages');
        return m.scrollHeight - m.scrollTop - m.clientHeight < 4;
      }), 'the list is at its newest message');
      await messages(page).last().locator('[data-streamdown="code-block-body"]').waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'chat-long-newest.png') });
      // The list gets shorter (the composer resized taller): still at its
      // newest message.
      await page.evaluate(() => (document.querySelector('.composer textarea').style.height = '200px'));
      await page.waitForFunction(() => {
        const m = document.querySelector('.chat .messages');
        return m.scrollHeight - m.scrollTop - m.clientHeight < 4;
      }, null, { timeout: 2_000 }).catch(() => assert.fail('the list left its newest message when it got shorter'));
      await page.evaluate(() => (document.querySelector('.chat .messages').scrollTop = 0));
      await oldestInFull(page);
      await page.screenshot({ path: join(ARTIFACTS, 'chat-long-oldest.png') });
    });

    // Before they have joined (the page is kept from being idle, as a busy
    // machine would: its idle callbacks are held): they join at once when
    // the list comes within three of its heights of the box, and a jump to
    // the top shows the oldest in full.
    /** Opens the session with idle callbacks held; resolves with the box,
     * once the list has settled at its newest message. */
    const openHoldingIdle = async (page) => {
      await page.evaluate(() => {
        const held = [];
        window.requestIdleCallback = (fn) => held.push(fn);
        window.cancelIdleCallback = (id) => (held[id - 1] = null);
      });
      await row(page).click();
      const box = page.locator('.messages-not-mounted');
      await box.waitFor();
      await messages(page).last().locator('[data-streamdown="code-block-body"]').waitFor();
      // use-stick-to-bottom's first look done.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      assert.equal(await box.count(), 1, 'the box still stands in for the oldest messages');
      return box;
    };
    await withPage(world, { name: 'long-near', ready: (page) => row(page).waitFor() }, async ({ page }) => {
      const box = await openHoldingIdle(page);
      // Two list heights below the box: not yet rendered by the browser's
      // content-visibility, but near enough to join.
      await page.evaluate(() => {
        const list = document.querySelector('.chat .messages');
        const box = list.querySelector('.messages-not-mounted');
        const bottom = list.scrollTop + box.getBoundingClientRect().bottom - list.getBoundingClientRect().top;
        list.scrollTop = bottom + 2 * list.clientHeight;
      });
      await box.waitFor({ state: 'detached' });
      assert.equal(await messages(page).count(), 2 * TURNS);
    });
    await withPage(world, { name: 'long-jump', ready: (page) => row(page).waitFor() }, async ({ page }) => {
      const box = await openHoldingIdle(page);
      await page.evaluate(() => (document.querySelector('.chat .messages').scrollTop = 0));
      await oldestInFull(page);
      await box.waitFor({ state: 'detached' });
    });
  });
});
