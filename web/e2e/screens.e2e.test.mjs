// End-to-end: every screen of the renderer in light and dark, against a
// real agent host (and the scripted provider where a provider is needed),
// at 1024×700. Each screen is saved under target/screens/ (E2E_SCREENS:
// scripts/test.sh uses target/ci-artifacts/screens/), and checked: not
// blank, no horizontal overflow, and no serious or critical axe-core
// violation. The folder describes itself: screens.json (each PNG's name,
// scheme, size and check results) and index.html (a gallery of them).
// Plus the keyboard: shortcuts, the dialog's focus trap, the splitters,
// and the appearance override.
//
//   npm --prefix web run e2e:screens     (prerequisites: see world.mjs)

import { describe, test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { REPO, browserVersion, newSessionByKeyboard, scripted, send, startWorld, useBrowser, withPage } from './world.mjs';

const SCREENS = process.env.E2E_SCREENS ? resolve(process.env.E2E_SCREENS) : join(REPO, 'target', 'screens');
const VIEWPORT = { width: 1024, height: 700 };
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

useBrowser({ artifacts: SCREENS });

// ---------------------------------------------------------------------------
// The folder's own description: what each PNG is and what its checks found.

/** name → { name, scheme, test, checks } for every PNG this file saved. */
const shots = new Map();
const started = new Date();
let currentTest = null;
beforeEach((t) => {
  currentTest = t.name;
});

/** Records a saved PNG (checks: null for a plain, unchecked screenshot). */
function record(name, { scheme, test, checks = null }) {
  shots.set(name, { name, file: `${name}.png`, scheme, test, checks });
}

/** The page's colour scheme as the app sees it: its own override
 * (data-theme) or the system's. */
function schemeOf(page) {
  return page.evaluate(
    () => document.documentElement.dataset.theme ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'),
  );
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file) {
  const b = readFileSync(file);
  return b.length >= 24 && b.toString('latin1', 12, 16) === 'IHDR'
    ? { width: b.readUInt32BE(16), height: b.readUInt32BE(20) }
    : null;
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

const esc = (v) => String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** screens.json and index.html for every PNG in SCREENS: the ones this run
 * recorded with their checks, any other (a failure's screenshot) as such. */
function writeManifest() {
  mkdirSync(SCREENS, { recursive: true });
  const screens = readdirSync(SCREENS)
    .filter((f) => f.endsWith('.png'))
    .map((file) => {
      const name = file.slice(0, -4);
      const shot = shots.get(name) ?? {
        name,
        file,
        scheme: /-dark(-failure)?$/.test(name) ? 'dark' : /-light(-failure)?$/.test(name) ? 'light' : null,
        test: name.endsWith('-failure') ? 'the page when a test failed' : null,
        checks: null,
      };
      const checks = shot.checks;
      const ok = checks ? checks.nonBlank.ok && checks.overflow.ok && checks.axe.ok : null;
      const kind = name.endsWith('-failure') ? 'failure' : checks ? 'screen' : 'screenshot';
      return { ...shot, kind, size: pngSize(join(SCREENS, file)), bytes: statSync(join(SCREENS, file)).size, ok };
    })
    // Failures first, then the checked screens (light beside dark), then details.
    .sort((a, b) => {
      const rank = (s) => [['failure', 'screen', 'screenshot'].indexOf(s.kind), s.name.replace(/-(light|dark)(?=-failure$|$)/, ''), s.scheme === 'dark' ? 1 : 0];
      const [x, y] = [rank(a), rank(b)];
      return x[0] - y[0] || x[1].localeCompare(y[1]) || x[2] - y[2];
    });
  const checked = screens.filter((s) => s.checks);
  const manifest = {
    what: 'Every screen of the renderer, light and dark, against a real agent host (web/e2e/screens.e2e.test.mjs)',
    started: started.toISOString(),
    finished: new Date().toISOString(),
    viewport: VIEWPORT,
    chromium: browserVersion(),
    commit: gitCommit(),
    checks: {
      nonBlank: 'at least 8 distinct colours sampled from the PNG',
      overflow: 'no horizontal overflow of the document or of .sidebar, .main, .chat-column, .settings, .home, .topbar, .session-bar',
      axe: 'axe-core finds no serious or critical violation (every violation found is listed)',
    },
    summary: {
      pngs: screens.length,
      checked: checked.length,
      passed: checked.filter((s) => s.ok).length,
      failed: checked.filter((s) => !s.ok).map((s) => s.name),
      failureScreenshots: screens.filter((s) => s.kind === 'failure').map((s) => s.name),
    },
    screens,
  };
  writeFileSync(join(SCREENS, 'screens.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  const mark = (ok) => (ok ? '<span class="ok">✓</span>' : '<span class="bad">✗</span>');
  const figure = (s) => {
    const c = s.checks;
    const lines = c
      ? [
          `${mark(c.nonBlank.ok)} not blank (${c.nonBlank.colours} colours)`,
          `${mark(c.overflow.ok)} no horizontal overflow${c.overflow.ok ? '' : `: ${esc(c.overflow.found.join('; '))}`}`,
          `${mark(c.axe.ok)} axe: ${c.axe.violations.length ? esc(c.axe.violations.map((v) => `${v.id} (${v.impact})`).join(', ')) : 'no violations'}`,
        ]
      : [s.kind === 'failure' ? '<span class="bad">a test failed here</span>' : 'not checked (a detail)'];
    return `<figure class="${s.kind}${s.ok === false ? ' failed' : ''}" id="${esc(s.name)}">
<a href="${esc(s.file)}"><img src="${esc(s.file)}" alt="${esc(s.name)}" loading="lazy"${s.size ? ` width="${s.size.width}" height="${s.size.height}"` : ''}></a>
<figcaption><b>${esc(s.name)}</b> <span class="muted">${esc(s.scheme ?? '')} ${s.size ? `${s.size.width}×${s.size.height}` : ''} ${Math.round(s.bytes / 1024)} KB</span><br>${lines.join('<br>')}</figcaption>
</figure>`;
  };
  const { summary } = manifest;
  writeFileSync(
    join(SCREENS, 'index.html'),
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Renderer screens</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;background:#f6f8fa;color:#1f2328}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:1rem}
figure{margin:0;background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.5rem}
figure.failed,figure.failure{border-color:#cf222e;border-width:2px}
img{width:100%;height:auto;border:1px solid #d0d7de}
.ok{color:#1a7f37}.bad{color:#cf222e;font-weight:600}.muted{color:#59636e}
</style></head><body>
<h1>Renderer screens</h1>
<p>${esc(manifest.what)}. Viewport ${VIEWPORT.width}×${VIEWPORT.height}, Chromium ${esc(manifest.chromium ?? '?')}, ${esc(manifest.finished)}.
${summary.checked} checked screens: ${summary.passed} passed${summary.failed.length ? `, <span class="bad">failed: ${esc(summary.failed.join(', '))}</span>` : ''}${summary.failureScreenshots.length ? `; <span class="bad">failure screenshots: ${esc(summary.failureScreenshots.join(', '))}</span>` : ''}. Details in <a href="screens.json">screens.json</a>.</p>
<div class="grid">
${screens.map(figure).join('\n')}
</div>
</body></html>
`,
  );
}

after(writeManifest);

const script = [scripted.text('Hello from the **scripted** provider.')];

const { stream, calls } = scripted;

/** The chat screen's conversation: an answer in markdown (a heading, a
 * list, highlighted code, a table), then a turn of tools: a read and a
 * command (allowed) and a write, which waits for its approval. */
const CHAT_SCRIPT = [
  stream([
    {
      kind: 'text',
      text: [
        '## What is left',
        '',
        '1. **Tag** the release',
        '2. Update the `CHANGELOG`',
        '',
        '```ts',
        "export function tag(version: string): string {",
        '  return `v${version}`; // the tag name',
        '}',
        '```',
        '',
        '| Step | Owner | Status |',
        '| --- | --- | --- |',
        '| Tag | Ana | waiting |',
        '| Notes | Ben | done |',
      ].join('\n'),
    },
    { kind: 'finish', reason: 'stop' },
  ]),
  calls([
    ['read_file', { path: 'plan.md' }],
    ['run_command', { command: 'ls' }],
    ['write_file', { path: 'plan.md', content: '# Plan\n\n- shipped\n- tag v1.0\n' }],
  ]),
  stream([{ kind: 'text', text: 'Left the plan as it was.' }, { kind: 'finish', reason: 'stop' }]),
];
const CHAT_POLICY = {
  tools: { read_file: 'allow', list_files: 'allow', grep_files: 'allow', run_command: 'allow', web_fetch: 'ask', write_file: 'ask', edit_file: 'ask' },
  commands: [],
  read_only_paths: [],
};

/** Saves the screen and checks it: several colours (not blank), nothing
 * wider than the window, and axe-core finds no serious or critical issue.
 * Every result is recorded for screens.json before any is asserted. */
async function checkScreen(page, name) {
  await page.waitForTimeout(150); // let a layout settle (fonts, lists)
  const png = await page.screenshot({ path: join(SCREENS, `${name}.png`) });
  const colours = await page.evaluate(async (b64) => {
    // (Not a fetch of a data: URL: the page's CSP allows no such connection.)
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const img = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(img.width, img.height);
    const g = canvas.getContext('2d');
    g.drawImage(img, 0, 0);
    const data = g.getImageData(0, 0, img.width, img.height).data;
    const seen = new Set();
    for (let i = 0; i < data.length && seen.size < 64; i += 4 * 97) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return seen.size;
  }, png.toString('base64'));

  const overflow = await page.evaluate(() => {
    const out = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth + 1) out.push(`document ${root.scrollWidth} > ${root.clientWidth}`);
    for (const el of document.querySelectorAll('.sidebar, .main, .chat-column, .settings, .home, .topbar, .session-bar')) {
      if (el.scrollWidth > el.clientWidth + 1) out.push(`${el.className} ${el.scrollWidth} > ${el.clientWidth}`);
    }
    return out;
  });

  // Evaluated, not a script tag: the page's CSP runs only its own scripts.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ')) }));
  });
  const serious = found.filter((v) => v.impact === 'serious' || v.impact === 'critical');

  record(name, {
    scheme: await schemeOf(page),
    test: currentTest,
    checks: {
      nonBlank: { ok: colours >= 8, colours },
      overflow: { ok: overflow.length === 0, found: overflow },
      axe: { ok: serious.length === 0, violations: found },
    },
  });

  assert.ok(colours >= 8, `${name}: the screenshot is (nearly) blank (${colours} colours)`);
  assert.deepEqual(overflow, [], `${name}: horizontal overflow`);
  const violations = serious.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.join('\n    ')}`);
  assert.deepEqual(violations, [], `${name}: axe violations:\n${violations.join('\n')}`);
}

/**
 * Tabs through the page from its start, up to `stops` times, and returns
 * every stop whose focus is not visible: neither it nor the label around it
 * (a segmented control's radio) is outlined, and it has no box shadow.
 * Also how many distinct controls were reached.
 */
async function focusWalk(page, stops) {
  await page.evaluate(() => {
    document.activeElement?.blur();
    window.__walk = { seen: new WeakSet(), reached: 0 };
  });
  const invisible = new Set();
  for (let i = 0; i < stops; i++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      if (!window.__walk.seen.has(el)) {
        window.__walk.seen.add(el);
        window.__walk.reached++;
      }
      const shows = (e) => {
        if (!e) return false;
        const st = getComputedStyle(e);
        return (st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0) || st.boxShadow !== 'none';
      };
      const label = el.getAttribute('aria-label') ?? el.labels?.[0]?.textContent ?? el.textContent ?? '';
      return { name: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${label.trim().slice(0, 40)}"`, visible: shows(el) || shows(el.closest('label')) };
    });
    if (stop !== null && !stop.visible) invisible.add(stop.name);
  }
  return { reached: await page.evaluate(() => window.__walk.reached), invisible: [...invisible] };
}

/** A plain screenshot of a detail (a page or an element), not checked. */
async function shot(page, target, name) {
  await target.screenshot({ path: join(SCREENS, `${name}.png`) });
  record(name, { scheme: await schemeOf(page), test: currentTest, checks: null });
}

const home = (page) => page.getByRole('heading', { name: 'Sessions' }).waitFor();

/**
 * An OpenAI-compatible server on loopback, the wire format only: `GET
 * /v1/models` lists `models` (or fails as `failModels` says), and each `POST
 * /v1/chat/completions` is recorded (`requests`: the bodies) and answered
 * with one text delta naming the model it was asked for. For what the
 * scripted provider cannot show from outside its process: which model a
 * request named, and a model list that fails with a chosen status.
 */
async function startStandIn(models) {
  const standIn = { requests: [], failModels: null };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/v1/models') {
        const failure = standIn.failModels;
        res.writeHead(failure?.status ?? 200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(failure ? { error: { message: failure.message } } : { object: 'list', data: models.map((id) => ({ id, object: 'model' })) }),
        );
      } else if (req.method === 'POST' && req.url === '/v1/chat/completions') {
        const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        standIn.requests.push(request);
        const frame = (delta, finish) =>
          `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 0, model: request.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`${frame({ role: 'assistant', content: `Answered by ${request.model}.` }, null)}${frame({}, 'stop')}data: [DONE]\n\n`);
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  standIn.baseUrl = `http://127.0.0.1:${server.address().port}/v1`;
  standIn.close = () =>
    new Promise((r) => {
      server.close(() => r());
      server.closeAllConnections(); // the host's client keeps its connections
    });
  return standIn;
}

/** A world whose OpenRouter is `standIn` (with a key), stopped after `t`. */
async function worldOn(t, name, standIn) {
  const world = await startWorld({ name });
  t.after(world.stop);
  await world.host.api('PUT', '/secrets/openrouter', { key: 'sk-e2e' });
  await world.host.api('PUT', '/providers/openrouter', { base_url: standIn.baseUrl });
  return world;
}

/** Sends a turn from `page` and checks it asked `standIn` for `model`, in
 * the one request it made. */
async function turnAsksFor(page, standIn, model) {
  await send(page, 'Which model?');
  await page.locator('.message.assistant').getByText(`Answered by ${model}.`).waitFor();
  assert.deepEqual(
    standIn.requests.map((r) => r.model),
    [model],
  );
}

for (const scheme of ['light', 'dark']) {
  describe(`screens (${scheme})`, () => {
    test(`first run: no provider, the guide offers a key or a local server (${scheme})`, async (t) => {
      const world = await startWorld({ name: `first-run-${scheme}` });
      t.after(world.stop);
      await withPage(world, { name: `first-run-${scheme}`, ready: home, viewport: VIEWPORT, colorScheme: scheme, artifacts: SCREENS }, async ({ page }) => {
        await page.getByRole('heading', { name: 'Connect a model to start' }).waitFor();
        await page.getByRole('button', { name: 'Save key' }).waitFor();
        // Whatever the probe found (or not), it has answered.
        await page.locator('.first-run').getByText(/None found on this machine|^Use /).first().waitFor();
        await checkScreen(page, `first-run-${scheme}`);
      });
    });

    test(`chat: markdown with code and a table, tool cards, an approval waiting (${scheme})`, async (t) => {
      const world = await startWorld({ name: `chat-${scheme}`, script: CHAT_SCRIPT });
      t.after(world.stop);
      const folder = join(world.dir, 'project');
      mkdirSync(folder);
      writeFileSync(join(folder, 'plan.md'), '# Plan\n\n- ship\n');
      const workspace = await world.host.api('POST', '/workspaces', { path: folder });
      await world.host.api('PUT', `/workspaces/${encodeURIComponent(workspace.id)}/policy`, CHAT_POLICY);
      const session = await world.host.api('POST', '/sessions', { workspace_id: workspace.id, title: 'Release plan' });
      await withPage(world, { ...{ name: `chat-${scheme}`, viewport: VIEWPORT, colorScheme: scheme, artifacts: SCREENS }, ready: home }, async ({ page }) => {
        await page.locator(`button.link[title="${session.id}"]`).click();
        await send(page, 'What is left for the release?');
        const answer = page.locator('.message.assistant').first();
        await answer.locator('pre span[style]').first().waitFor(); // highlighted code
        await answer.locator('table').waitFor();
        await page.getByRole('button', { name: 'Send', exact: true }).waitFor();
        await send(page, 'Update the plan');
        const cards = page.locator('.message.assistant').last();
        await cards.locator('details.tool-card[data-tool="read_file"] .tool-meta', { hasText: /lines?$/ }).waitFor();
        await cards.locator('details.tool-card[data-tool="run_command"] .tool-cmdline', { hasText: '$ ls' }).waitFor();
        const write = cards.locator('details.tool-card[data-tool="write_file"]');
        const approval = write.locator('.approval-card');
        await approval.getByText('Write this file?').waitFor();
        // The diff is against the file as it is: its line that goes, its
        // lines that come, and none of those it keeps.
        const rows = write.locator('.edit-diff .diff-row');
        await rows.filter({ hasText: 'tag v1.0' }).waitFor();
        assert.deepEqual(
          await rows.evaluateAll((els) => els.map((el) => `${el.classList.contains('diff-del') ? '-' : '+'}${el.lastChild.textContent}`)),
          ['-- ship', '+- shipped', '+- tag v1.0'],
        );
        await checkScreen(page, `chat-${scheme}`);
        // The chat's controls by keyboard (the session bar's pickers, the
        // messages' actions, the tool cards, the approval), each focus visible.
        const walk = await focusWalk(page, 60);
        assert.ok(walk.reached >= 15, `${walk.reached} controls reached`);
        assert.deepEqual(walk.invisible, [], 'focus visible on every stop');
        await approval.getByRole('button', { name: 'Deny' }).click();
        await page.locator('.message.assistant').last().getByText('Left the plan as it was.').waitFor();
      });
    });

    test(`chat: an answer that failed mid-stream, with why and Retry (${scheme})`, async (t) => {
      const world = await startWorld({
        name: `failed-${scheme}`,
        script: [stream([{ kind: 'text', text: 'Six times seven ' }, { kind: 'error_object', message: 'upstream overloaded' }])],
      });
      t.after(world.stop);
      await world.host.api('PUT', '/providers/openrouter', { base_url: world.provider.baseUrl, max_retries: 0 });
      const session = await world.host.api('POST', '/sessions', { title: 'Arithmetic' });
      await withPage(world, { name: `failed-${scheme}`, viewport: VIEWPORT, colorScheme: scheme, artifacts: SCREENS, ready: home }, async ({ page }) => {
        await page.locator(`button.link[title="${session.id}"]`).click();
        await send(page, 'What is 6 × 7?');
        const answer = page.locator('.message.assistant').last();
        await answer.getByRole('button', { name: 'Retry', exact: true }).waitFor();
        await answer.getByText('Six times seven').waitFor();
        await checkScreen(page, `failed-${scheme}`);
      });
    });

    describe(`with a provider, a workspace and a document (${scheme})`, () => {
      let world;
      before(async () => {
        world = await startWorld({ name: `screens-${scheme}`, script });
        const folder = join(world.dir, 'project');
        mkdirSync(folder);
        writeFileSync(join(folder, 'notes.md'), '# Notes\n\nSome text.\n');
        mkdirSync(join(folder, 'src'));
        writeFileSync(join(folder, 'src', 'main.rs'), 'fn main() {}\n');
        await world.host.api('POST', '/workspaces', { path: folder });
        await world.host.api('POST', '/documents', { path: join(folder, 'notes.md') });
        const s = await world.host.api('POST', '/sessions', { title: 'Plan the release' });
        world.sessionId = s.id;
      });
      after(() => world?.stop());
      const opts = (name) => ({ name: `${name}-${scheme}`, ready: home, viewport: VIEWPORT, colorScheme: scheme, artifacts: SCREENS });

      test(`home: recent workspaces and documents (${scheme})`, async () => {
        await withPage(world, opts('home'), async ({ page }) => {
          const workspaces = page.locator('.card').filter({ has: page.getByRole('heading', { name: 'Recent workspaces' }) });
          await workspaces.getByText('project', { exact: true }).waitFor();
          const docs = page.locator('.card').filter({ has: page.getByRole('heading', { name: 'Recent documents' }) });
          await docs.getByText('notes.md', { exact: true }).waitFor();
          assert.equal(await page.locator('.first-run').count(), 0, 'no first-run guide with a provider');
          const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
          assert.equal(bg === 'rgb(255, 255, 255)', scheme === 'light', `background ${bg} follows ${scheme}`);
          await checkScreen(page, `home-${scheme}`);
        });
      });

      test(`session: chat, model picker and usage (${scheme})`, async () => {
        await withPage(world, opts('session'), async ({ page }) => {
          await page.locator('.panel').getByRole('button', { name: /Plan the release/ }).click();
          await page.getByRole('group', { name: 'Session model and usage' }).waitFor();
          await page.getByLabel('Model', { exact: true }).waitFor();
          await page.locator('.usage').getByText(/tokens/).waitFor();
          await checkScreen(page, `session-${scheme}`);
        });
      });

      test(`work: a workspace's files, folders first and drawn with an icon (${scheme})`, async () => {
        await withPage(world, opts('work'), async ({ page }) => {
          await page.getByRole('button', { name: 'Work', exact: true }).click();
          await page.locator('.list').getByRole('button', { name: 'project', exact: true }).click();
          const tree = page.locator('.tree');
          await tree.getByRole('button', { name: 'notes.md' }).waitFor();
          // The folder's icon is an SVG, not an emoji (a missing-glyph box
          // where no emoji font is installed, as on this machine).
          const folder = tree.getByRole('button', { name: 'src', exact: true });
          assert.equal(await folder.locator('svg.icon').count(), 1, 'the folder is drawn with its icon');
          assert.doesNotMatch(await folder.innerText(), /\p{Extended_Pictographic}/u);
          assert.deepEqual((await tree.locator('li').allInnerTexts()).map((t) => t.trim()), ['src', 'notes.md'], 'folders are listed first');
          await checkScreen(page, `work-${scheme}`);
          await folder.click();
          await tree.getByRole('button', { name: 'main.rs' }).waitFor();
        });
      });

      test(`document open in the editor (${scheme})`, async () => {
        await withPage(world, opts('document'), async ({ page }) => {
          await page.locator('.card').getByRole('button', { name: /notes\.md/ }).click();
          await page.locator('.cm-content').getByText('Some text.').waitFor();
          assert.equal(await page.title(), 'notes.md — Agent');
          await checkScreen(page, `document-${scheme}`);
        });
      });

      test(`settings: keys, custom endpoint, tool policy, appearance (${scheme})`, async () => {
        await withPage(world, opts('settings'), async ({ page }) => {
          await page.getByRole('button', { name: 'Settings', exact: true }).click();
          await page.getByRole('heading', { name: 'Custom endpoint' }).waitFor();
          await page.getByRole('heading', { name: 'Tool policy' }).waitFor();
          await page.getByRole('radiogroup', { name: 'run_command permission' }).waitFor();
          await checkScreen(page, `settings-${scheme}`);
          // Every control of the page by keyboard, each focus visible.
          const walk = await focusWalk(page, 80);
          assert.ok(walk.reached >= 30, `${walk.reached} controls reached`);
          assert.deepEqual(walk.invisible, [], 'focus visible on every stop');
          await page.getByRole('heading', { name: 'Tool policy' }).scrollIntoViewIfNeeded();
          await shot(page, page, `settings-policy-${scheme}`);
        });
      });

      test(`keyboard shortcuts dialog: opened by Ctrl+/ and the shell's event, focus trapped and restored (${scheme})`, async () => {
        await withPage(world, opts('shortcuts'), async ({ page }) => {
          const trigger = page.getByRole('button', { name: 'Keyboard shortcuts' });
          await trigger.focus();
          await page.keyboard.press('Control+/');
          const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
          await dialog.waitFor();
          assert.ok(await dialog.evaluate((d) => d.contains(document.activeElement)), 'focus moved into the dialog');
          for (let i = 0; i < 4; i++) {
            await page.keyboard.press('Tab');
            assert.ok(await dialog.evaluate((d) => d.contains(document.activeElement)), 'Tab stays in the dialog');
          }
          await page.keyboard.press('Shift+Tab');
          assert.ok(await dialog.evaluate((d) => d.contains(document.activeElement)), 'Shift+Tab stays in the dialog');
          await checkScreen(page, `shortcuts-${scheme}`);
          await page.keyboard.press('Escape');
          await dialog.waitFor({ state: 'detached' });
          assert.equal(await trigger.evaluate((b) => b === document.activeElement), true, 'focus restored');

          await page.evaluate(() => window.dispatchEvent(new CustomEvent('desktop:show-shortcuts')));
          await dialog.waitFor();
          await page.keyboard.press('Escape');
          await dialog.waitFor({ state: 'detached' });
        });
      });
    });
  });
}

describe('keyboard and native opening', () => {
  let world;
  before(async () => {
    world = await startWorld({ name: 'keyboard', script });
  });
  after(() => world?.stop());
  const opts = { name: 'keyboard', ready: home, viewport: VIEWPORT, artifacts: SCREENS };

  test('Ctrl+Alt+N starts a session and focuses its input, Ctrl+Enter sends, focus is visible; F6 moves between panes; splitters resize by keyboard', async () => {
    await withPage(world, opts, async ({ page, host }) => {
      await page.locator('body').click({ position: { x: 600, y: 400 } });
      await newSessionByKeyboard(page);
      const { total } = await host.api('GET', '/sessions');
      assert.equal(total, 1, 'one session created');
      // The main flow by keyboard only: type, send with Ctrl+Enter, the answer.
      await page.keyboard.type('Hello?');
      await page.keyboard.press('Control+Enter');
      await page.locator('.message.assistant').getByText(/Hello from the/).waitFor();
      await page.getByRole('button', { name: 'Send', exact: true }).waitFor();

      // Focus is visible: Tab through the first controls, each one outlined.
      await page.locator('#pane-sidebar').focus();
      for (let i = 0; i < 6; i++) {
        await page.keyboard.press('Tab');
        const outline = await page.evaluate(() => {
          const el = document.activeElement;
          const st = getComputedStyle(el);
          return `${el.tagName} ${st.outlineStyle} ${st.outlineWidth}`;
        });
        assert.doesNotMatch(outline, / none | 0px$/, `focus visible on ${outline}`);
      }
      await page.keyboard.press('Control+l');
      await page.waitForFunction(() => document.activeElement?.closest('#pane-chat') !== null);

      // The home window's chat stands alone: F6 goes sidebar ⇄ chat.
      await page.keyboard.press('F6');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'pane-sidebar');
      await page.keyboard.press('F6');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'pane-chat');
      await page.keyboard.press('Shift+F6');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'pane-sidebar');
      // ← Home leaves the chat for the home pane, F6 then reaches it.
      await page.getByRole('button', { name: '← Home' }).click();
      await page.getByRole('heading', { name: 'Welcome back' }).waitFor();
      await page.locator('#pane-sidebar').focus();
      await page.keyboard.press('F6');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'pane-editor');
      await page.locator('#pane-sidebar .list').getByRole('button', { name: 'Hello?', exact: true }).click();
      await page.locator('#pane-chat textarea').waitFor();
      await page.keyboard.press('Control+l');
      await page.waitForFunction(() => document.activeElement?.closest('#pane-chat') !== null);

      const splitter = page.getByRole('separator', { name: 'Resize the sidebar' });
      const before = Number(await splitter.getAttribute('aria-valuenow'));
      await splitter.focus();
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      const afterWidth = Number(await splitter.getAttribute('aria-valuenow'));
      assert.equal(afterWidth, before + 32);
      const real = await page.locator('#pane-sidebar').evaluate((el) => el.getBoundingClientRect().width);
      assert.ok(Math.abs(real - afterWidth) <= 1, `the sidebar is ${real}px wide`);
    });
  });

  test('a folder dropped on the window (desktop:folder-dropped) opens as the workspace', async () => {
    const folder = join(world.dir, 'dropped');
    mkdirSync(folder, { recursive: true });
    await withPage(world, opts, async ({ page }) => {
      await page.evaluate((path) => window.dispatchEvent(new CustomEvent('desktop:folder-dropped', { detail: { path } })), folder);
      await page.locator('.topbar').getByText('workspace: dropped').waitFor();
    });
  });

  test('Appearance: Dark overrides a light system and is kept across reloads', async () => {
    await withPage(world, opts, async ({ page }) => {
      await page.keyboard.press('Control+,');
      await page.getByRole('radio', { name: 'Dark' }).check();
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
      const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.notEqual(dark, 'rgb(255, 255, 255)');
      await page.reload();
      await home(page);
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
      await page.keyboard.press('Control+,');
      await page.getByRole('radio', { name: 'System' }).check();
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), undefined);
    });
  });
});

describe('models, the connection test and local servers (real host)', () => {
  test('the model picker lists the provider’s models; the choice is stored on the session and is the model the next turn asks for', async (t) => {
    const standIn = await startStandIn(['e2e/alpha', 'e2e/beta']);
    t.after(standIn.close);
    const world = await worldOn(t, 'models', standIn);
    const { models } = await world.host.api('GET', '/providers/openrouter/models');
    assert.deepEqual(
      models.map((m) => m.id),
      ['e2e/alpha', 'e2e/beta'],
    );
    const s = await world.host.api('POST', '/sessions', { title: 'Pick a model' });
    await withPage(world, { name: 'models', ready: home, viewport: VIEWPORT, artifacts: SCREENS }, async ({ page, host }) => {
      await page.locator('.panel').getByRole('button', { name: /Pick a model/ }).click();
      const select = page.getByLabel('Model', { exact: true });
      await page.waitForFunction(() => [...document.querySelectorAll('#session-model option')].some((o) => o.value === 'e2e/beta'));
      await select.selectOption('e2e/beta');
      const until = Date.now() + 10_000;
      let stored;
      while (Date.now() < until) {
        stored = await host.api('GET', `/sessions/${encodeURIComponent(s.id)}`);
        if (stored.model === 'e2e/beta') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(stored.model, 'e2e/beta');
      // The next turn asks the provider for that model.
      await turnAsksFor(page, standIn, 'e2e/beta');
    });
  });

  test('Settings: a provider’s default model, offered from its list, is the model a session without one asks for', async (t) => {
    const standIn = await startStandIn(['e2e/alpha', 'e2e/beta']);
    t.after(standIn.close);
    const world = await worldOn(t, 'default-model', standIn);
    await withPage(world, { name: 'default-model', ready: home, viewport: VIEWPORT, artifacts: SCREENS }, async ({ page, host }) => {
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      const field = page.getByLabel('openrouter default model', { exact: true });
      const listId = await field.getAttribute('list');
      await page.waitForFunction((id) => document.getElementById(id)?.querySelectorAll('option').length === 2, listId);
      assert.deepEqual(
        await page.locator(`#${listId} option`).evaluateAll((os) => os.map((o) => o.value)),
        ['e2e/alpha', 'e2e/beta'],
      );
      await field.fill('e2e/beta');
      await field.press('Enter');
      await page.waitForFunction(() => document.querySelector('[aria-label="openrouter default model"]')?.placeholder === 'e2e/beta');
      const { providers } = await host.api('GET', '/providers');
      assert.equal(providers.find((p) => p.provider === 'openrouter').default_model, 'e2e/beta');

      await page.getByRole('button', { name: 'Work', exact: true }).click();
      await newSessionByKeyboard(page);
      await turnAsksFor(page, standIn, 'e2e/beta');
    });
  });

  test('the model picker on a provider that is down says so with its stable code and keeps the last known list', async (t) => {
    const up = await startStandIn(['e2e/alpha', 'e2e/beta']);
    t.after(up.close);
    const down = await startStandIn([]);
    down.failModels = { status: 401, message: 'stand-in: bad key' };
    t.after(down.close);
    const world = await worldOn(t, 'models-down', up);
    await world.host.api('POST', '/sessions', { title: 'Provider down' });
    await withPage(world, { name: 'models-down', ready: home, viewport: VIEWPORT, artifacts: SCREENS }, async ({ page, host }) => {
      const options = () => page.locator('#session-model option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
      await page.locator('.panel').getByRole('button', { name: /Provider down/ }).click();
      await page.waitForFunction(() => document.querySelectorAll('#session-model option[value="e2e/beta"]').length === 1);
      assert.equal(await page.locator('.session-bar .model-status').count(), 0, 'no status while the provider answers');

      // The provider now refuses the key (another endpoint: the host has
      // no list from it).
      await host.api('PUT', '/providers/openrouter', { base_url: down.baseUrl });
      await page.reload();
      await home(page);
      await page.locator('.panel').getByRole('button', { name: /Provider down/ }).click();
      const status = page.locator('.session-bar .model-status');
      await status.waitFor();
      assert.equal(await status.innerText(), 'Provider unavailable (provider_auth): showing the last known models.');
      assert.deepEqual(await options(), ['e2e/alpha', 'e2e/beta']);
      await shot(page, page.locator('.session-bar'), 'models-down');
    });
  });

  test('Settings > Tool policy: a permission per tool, ordered command patterns and read-only paths are stored as the workspace policy', async (t) => {
    const world = await startWorld({ name: 'policy', script });
    t.after(world.stop);
    const folder = join(world.dir, 'project');
    mkdirSync(folder);
    const workspace = await world.host.api('POST', '/workspaces', { path: folder });
    const path = `/workspaces/${encodeURIComponent(workspace.id)}/policy`;
    const before = await world.host.api('GET', path);
    assert.equal(before.tools.write_file, 'ask');
    await withPage(world, { name: 'policy', ready: home, viewport: VIEWPORT, artifacts: SCREENS }, async ({ page, host }) => {
      const open = async () => {
        await page.getByRole('button', { name: 'Settings', exact: true }).click();
        await page.getByRole('radiogroup', { name: 'write_file permission' }).waitFor();
      };
      await open();
      const permission = (tool, p) => page.getByRole('radiogroup', { name: `${tool} permission` }).getByRole('radio', { name: p, exact: true });
      await permission('write_file', 'allow').check();
      await permission('web_fetch', 'deny').check();
      for (const [pattern, p] of [
        ['cargo test*', 'allow'],
        ['git push*', 'deny'],
      ]) {
        await page.getByRole('button', { name: 'Add pattern' }).click();
        const n = await page.locator('.command-rules li').count();
        await page.getByLabel(`Pattern ${n}`, { exact: true }).fill(pattern);
        await page.getByLabel(`Permission of pattern ${n}`, { exact: true }).selectOption(p);
      }
      // The deny first: patterns are checked in order.
      await page.getByRole('button', { name: 'Move pattern 2 up' }).click();
      await page.getByLabel('Read-only paths for commands').fill('~/.cargo\n~/.rustup');
      await page.getByRole('button', { name: 'Save policy' }).click();
      await page.locator('.settings-section').getByText('Saved.', { exact: true }).waitFor();

      const stored = await host.api('GET', path);
      assert.equal(stored.tools.write_file, 'allow');
      assert.equal(stored.tools.web_fetch, 'deny');
      assert.equal(stored.tools.run_command, before.tools.run_command, 'the others as they were');
      assert.deepEqual(stored.commands, [
        { pattern: 'git push*', permission: 'deny' },
        { pattern: 'cargo test*', permission: 'allow' },
      ]);
      assert.deepEqual(stored.read_only_paths, ['~/.cargo', '~/.rustup']);

      // Read back as stored.
      await page.reload();
      await home(page);
      await open();
      assert.equal(await permission('write_file', 'allow').isChecked(), true);
      assert.equal(await page.getByLabel('Pattern 1', { exact: true }).inputValue(), 'git push*');
    });
  });

  test('Settings > Custom endpoint: Test connection reports success, then the stable code of each failure', async (t) => {
    const standIn = await startStandIn(['local-model']);
    t.after(standIn.close);
    const world = await startWorld({ name: 'connection' });
    t.after(world.stop);
    await withPage(world, { name: 'connection', ready: home, viewport: VIEWPORT, artifacts: SCREENS }, async ({ page }) => {
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      const url = page.getByLabel('Base URL', { exact: true });
      await url.fill(standIn.baseUrl);
      await page.getByLabel('Model', { exact: true }).fill('local-model');
      const section = page.locator('.settings-section').filter({ hasText: 'Custom endpoint' });
      const result = page.locator('.test-result');
      /** Tests the connection and waits for its answer (the click clears
       * the last one and disables the button until the answer is in). */
      const testIt = async () => {
        await page.getByRole('button', { name: 'Test connection' }).click();
        await page.waitForFunction(() => {
          const button = [...document.querySelectorAll('.settings-section .save-row button.primary')][0];
          return !button.disabled && document.querySelector('.test-result .badge') !== null;
        });
        return (await result.innerText()).trim();
      };
      assert.match(await testIt(), /^Connected in \d+ ms$/);
      await shot(page, section, 'connection-ok');

      // The provider answers its model list with an error: its stable code.
      for (const [status, code] of [
        [401, 'provider_auth'],
        [429, 'provider_rate_limited'],
        [500, 'provider_status'],
      ]) {
        standIn.failModels = { status, message: `stand-in ${status}` };
        const shown = await testIt();
        assert.match(shown, new RegExp(`^Failed: ${code}\\b`), `HTTP ${status}`);
      }
      // Nothing listens: the connection fails.
      await url.fill('http://127.0.0.1:9/v1');
      const refused = await testIt();
      assert.match(refused, /^Failed: provider_connect\b/);
      t.diagnostic(`refused: ${refused}`);
      await shot(page, section, 'connection-failed');
    });
  });

  test('first run finds a server on a local port and one click configures the custom provider', async (t) => {
    // An LM Studio stand-in on its port (skipped when something holds it).
    const server = createServer((req, res) => {
      if (req.url?.endsWith('/models')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'local-e2e-model', object: 'model' }] }));
      } else {
        res.writeHead(404).end();
      }
    });
    const listening = await new Promise((resolveListen) => {
      server.once('error', () => resolveListen(false));
      server.listen(1234, '127.0.0.1', () => resolveListen(true));
    });
    if (!listening) {
      t.skip('127.0.0.1:1234 is taken');
      return;
    }
    t.after(() => new Promise((r) => server.close(() => r())));
    const world = await startWorld({ name: 'local' });
    t.after(world.stop);
    await withPage(world, { name: 'local', ready: home, viewport: VIEWPORT, artifacts: SCREENS }, async ({ page, host }) => {
      const found = page.getByRole('list', { name: 'Local servers found' });
      await found.getByText('http://127.0.0.1:1234/v1').waitFor();
      await checkScreen(page, 'first-run-local-server');
      await found.getByRole('button', { name: /^Use / }).click();
      await page.locator('.first-run').waitFor({ state: 'detached' });
      const { providers } = await host.api('GET', '/providers');
      const custom = providers.find((p) => p.provider === 'custom');
      assert.equal(custom.base_url, 'http://127.0.0.1:1234/v1');
      assert.equal(custom.default_model, 'local-e2e-model');
      assert.equal(custom.available, true);
    });
  });
});
