// End-to-end: every screen of the renderer in light and dark, against a
// real agent host (and the scripted provider where a provider is needed),
// at 1024×700. Each screen is saved under target/screens/, and checked:
// not blank, no horizontal overflow, and no serious or critical axe-core
// violation. Plus the keyboard: shortcuts, the dialog's focus trap, the
// splitters, and the appearance override.
//
//   npm --prefix web run e2e:screens     (prerequisites: see world.mjs)

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO, startWorld, useBrowser, withPage } from './world.mjs';

const SCREENS = join(REPO, 'target', 'screens');
const VIEWPORT = { width: 1024, height: 700 };
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

useBrowser({ artifacts: SCREENS });

const script = [
  {
    kind: 'stream',
    events: [
      { kind: 'text', text: 'Hello from the **scripted** provider.' },
      { kind: 'finish', reason: 'stop' },
      { kind: 'done' },
    ],
  },
];

/** Saves the screen and checks it: several colours (not blank), nothing
 * wider than the window, and axe-core finds no serious or critical issue. */
async function checkScreen(page, name) {
  await page.waitForTimeout(150); // let a layout settle (fonts, lists)
  const png = await page.screenshot({ path: join(SCREENS, `${name}.png`) });
  const colours = await page.evaluate(async (b64) => {
    const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
    const canvas = new OffscreenCanvas(img.width, img.height);
    const g = canvas.getContext('2d');
    g.drawImage(img, 0, 0);
    const data = g.getImageData(0, 0, img.width, img.height).data;
    const seen = new Set();
    for (let i = 0; i < data.length && seen.size < 64; i += 4 * 97) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return seen.size;
  }, png.toString('base64'));
  assert.ok(colours >= 8, `${name}: the screenshot is (nearly) blank (${colours} colours)`);

  const overflow = await page.evaluate(() => {
    const out = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth + 1) out.push(`document ${root.scrollWidth} > ${root.clientWidth}`);
    for (const el of document.querySelectorAll('.sidebar, .main, .chat-column, .settings, .home, .topbar, .session-bar')) {
      if (el.scrollWidth > el.clientWidth + 1) out.push(`${el.className} ${el.scrollWidth} > ${el.clientWidth}`);
    }
    return out;
  });
  assert.deepEqual(overflow, [], `${name}: horizontal overflow`);

  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join('\n    ')}`);
  });
  assert.deepEqual(violations, [], `${name}: axe violations:\n${violations.join('\n')}`);
}

const home = (page) => page.getByRole('heading', { name: 'Sessions' }).waitFor();

for (const scheme of ['light', 'dark']) {
  describe(`screens (${scheme})`, () => {
    test(`first run: no provider, the guide offers a key or a local server (${scheme})`, async (t) => {
      const world = await startWorld({ name: `first-run-${scheme}` });
      t.after(world.stop);
      await withPage(world, { name: `first-run-${scheme}`, ready: home, viewport: VIEWPORT, colorScheme: scheme, artifacts: SCREENS }, async ({ page }) => {
        await page.getByRole('heading', { name: 'Connect a model to start' }).waitFor();
        await page.getByRole('button', { name: 'Save key' }).waitFor();
        // Whatever the probe found (or not), it has answered.
        await page.locator('.first-run').getByText(/None found|Use |no_route|not found/i).first().waitFor();
        await checkScreen(page, `first-run-${scheme}`);
      });
    });

    describe(`with a provider, a workspace and a document (${scheme})`, () => {
      let world;
      before(async () => {
        world = await startWorld({ name: `screens-${scheme}`, script });
        const folder = join(world.dir, 'project');
        mkdirSync(folder);
        writeFileSync(join(folder, 'notes.md'), '# Notes\n\nSome text.\n');
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
          await page.getByRole('heading', { name: 'Tool policy' }).scrollIntoViewIfNeeded();
          await page.screenshot({ path: join(SCREENS, `settings-policy-${scheme}.png`) });
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
      await page.keyboard.press('Control+Alt+n');
      await page.getByPlaceholder('Ask the agent…').waitFor();
      await page.waitForFunction(() => document.activeElement?.closest('#pane-chat') !== null);
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

      await page.keyboard.press('F6');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'pane-sidebar');
      await page.keyboard.press('F6');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'pane-editor');
      await page.keyboard.press('Shift+F6');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'pane-sidebar');
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
  const spec = JSON.parse(readFileSync(join(REPO, 'docs', 'rfc', 'openapi.json'), 'utf8'));
  const patchTakesModel = Boolean(spec.components.schemas.UpdateSession?.properties?.model);

  test('the model picker lists the scripted provider’s models; the choice is stored on the session', async (t) => {
    const world = await startWorld({ name: 'models', script });
    t.after(world.stop);
    const { models } = await world.host.api('GET', '/providers/openrouter/models');
    assert.ok(models.length > 0, 'the scripted provider lists models');
    const s = await world.host.api('POST', '/sessions', { title: 'Pick a model' });
    await withPage(world, { name: 'models', ready: home, viewport: VIEWPORT, artifacts: SCREENS }, async ({ page, host }) => {
      await page.locator('.panel').getByRole('button', { name: /Pick a model/ }).click();
      const select = page.getByLabel('Model', { exact: true });
      await page.waitForFunction((id) => [...document.querySelectorAll('#session-model option')].some((o) => o.value === id), models[0].id);
      if (!patchTakesModel) {
        t.diagnostic('PATCH /sessions/{id} does not take a model yet: the choice is not checked');
        return;
      }
      await select.selectOption(models[0].id);
      const until = Date.now() + 10_000;
      let stored;
      while (Date.now() < until) {
        stored = await host.api('GET', `/sessions/${encodeURIComponent(s.id)}`);
        if (stored.model === models[0].id) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(stored.model, models[0].id);
    });
  });

  test('Settings > Custom endpoint: Test connection reports success, then the stable code of a failure', async (t) => {
    const world = await startWorld({ name: 'connection', script });
    t.after(world.stop);
    await withPage(world, { name: 'connection', ready: home, viewport: VIEWPORT, artifacts: SCREENS }, async ({ page, provider }) => {
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      const url = page.getByLabel('Base URL', { exact: true });
      await url.fill(provider.baseUrl);
      await page.getByLabel('Model', { exact: true }).fill('scripted');
      await page.getByRole('button', { name: 'Test connection' }).click();
      await page.locator('.test-result').getByText(/Connected in \d+ ms/).waitFor();
      await page.locator('.settings-section').filter({ hasText: 'Custom endpoint' }).screenshot({ path: join(SCREENS, 'connection-ok.png') });

      await url.fill('http://127.0.0.1:9/v1'); // nothing listens on discard
      await page.getByRole('button', { name: 'Test connection' }).click();
      const failed = page.locator('.test-result').getByText(/Failed: [a-z_]+/);
      await failed.waitFor();
      t.diagnostic(`failure shown: ${await failed.textContent()}`);
      await page.locator('.settings-section').filter({ hasText: 'Custom endpoint' }).screenshot({ path: join(SCREENS, 'connection-failed.png') });
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
