// End-to-end: the chat's rendering against the real host and the scripted
// provider (see world.mjs): markdown with code, a tool card of each shape
// from one scripted turn, and an approval's "Always allow" writing the
// workspace policy. One host and one provider for the whole file (the
// script holds every scenario's replies, in order).
//
//   npm --prefix web run e2e

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS, send, startWorld, useBrowser, withPage } from './world.mjs';

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
].join('\n');

const stream = (events) => ({ kind: 'stream', events: [...events, { kind: 'done' }] });
const text = (t) => stream([{ kind: 'text', text: t }, { kind: 'finish', reason: 'stop' }]);
const calls = (list) =>
  stream([
    ...list.map(([name, args], index) => ({
      kind: 'tool_call',
      index,
      id: `t${index}`,
      name,
      arguments: JSON.stringify(args),
      pieces: 2,
    })),
    { kind: 'finish', reason: 'tool_calls' },
  ]);

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
  // markdown
  stream([
    { kind: 'text', text: MARKDOWN.slice(0, 40) },
    { kind: 'text', text: MARKDOWN.slice(40) },
    { kind: 'finish', reason: 'stop' },
  ]),
  // each tool card
  calls(TOOLS),
  text('All tools ran.'),
  // always allow
  calls([['write_file', { path: 'allowed.txt', content: 'ok' }]]),
  text('Wrote allowed.txt.'),
];

const ALLOW_ALL = {
  tools: Object.fromEntries(TOOLS.map(([name]) => [name, 'allow'])),
  commands: [],
  read_only_paths: [],
};

describe('chat rendering (one host)', () => {
  let world;

  before(async () => {
    world = await startWorld({ name: 'chat-render', script: SCRIPTED });
  });
  after(() => world?.stop());

  /** A workspace folder with `files`, its policy (when given), a session in
   * it, and the home page with that session open. */
  async function withSession(name, { files = {}, policy } = {}, body) {
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
        ready: async (page) => {
          await page.locator(`button.link[title="${session.id}"]`).click();
          await page.getByPlaceholder('Ask the agent…').waitFor();
        },
      },
      (w) => body({ ...w, folder, workspace, session }),
    );
  }

  test('markdown: a code block renders as code, a table as a table, raw HTML and javascript: links stay inert, remote images are not loaded', async () => {
    await withSession('markdown', {}, async ({ page }) => {
      const requests = [];
      page.on('request', (r) => requests.push(r.url()));
      await send(page, 'Show me code');
      const answer = page.locator('.message.assistant').last();
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
      await page.screenshot({ path: join(ARTIFACTS, 'chat-markdown.png'), fullPage: true });
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
});
