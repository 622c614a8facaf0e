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

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import constants from '../src/desktop/constants.json' with { type: 'json' };

const HERE = dirname(fileURLToPath(import.meta.url));
const WEB = resolve(HERE, '..');
const REPO = resolve(WEB, '..');
const DIST = join(WEB, 'dist');
const ARTIFACTS = join(HERE, 'artifacts');
const HOST_BIN = join(REPO, 'target', 'debug', 'agent-host');
const PROVIDER_BIN = join(REPO, 'target', 'debug', 'scripted-provider');
const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';

/** Per wait: generous for a slow 2-core machine, but always bounded. */
const WAIT_MS = 20_000;
const BUILD_HINT =
  'build it first: cargo build -p agent-host -p agent-provider --features agent-provider/scripted --bins';

// ---------------------------------------------------------------------------
// Small utilities

/** Rejects after `ms` with `what` unless `promise` settles first. */
function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Every child this file spawned and has not seen exit; killed hard if the
 * test process leaves without cleaning up (no orphans). */
const children = new Set();
process.on('exit', () => {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Asks a child to stop (`politely`), waits boundedly, then SIGKILLs. */
async function stopChild(child, politely) {
  if (exited(child)) return;
  const gone = once(child, 'exit');
  politely();
  try {
    await within(5_000, 'child exit', gone);
  } catch {
    child.kill('SIGKILL');
    await within(5_000, 'child exit after SIGKILL', gone).catch(() => {});
  }
}

/** Keeps the last `limit` characters of a stream (for failure messages). */
function tail(stream, limit = 16_000) {
  const buf = { text: '' };
  stream.setEncoding('utf8');
  stream.on('data', (d) => {
    buf.text = (buf.text + d).slice(-limit);
  });
  return buf;
}

/** First line of a child's stdout, parsed as JSON. */
function firstJsonLine(child, what, stderr) {
  const lines = createInterface({ input: child.stdout });
  const line = new Promise((resolveLine, reject) => {
    lines.once('line', (l) => resolveLine(l));
    child.once('exit', (code, signal) =>
      reject(new Error(`${what} exited (${code ?? signal}) before its first line; stderr:\n${stderr.text}`)),
    );
  });
  return within(WAIT_MS, `${what}: first stdout line`, line).then((l) => {
    lines.close();
    return JSON.parse(l);
  });
}

function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `agent-host-e2e-${prefix}-`));
}

// ---------------------------------------------------------------------------
// The scripted provider

/** Starts `scripted-provider` on a script (a JSON array of `Reply`);
 * returns its `/v1` base URL and `stop`. */
async function startProvider(script, dir) {
  const file = join(dir, 'script.json');
  writeFileSync(file, JSON.stringify(script));
  const child = track(spawn(PROVIDER_BIN, [file], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const stderr = tail(child.stderr);
  const { port } = await firstJsonLine(child, 'scripted-provider', stderr);
  assert.ok(Number.isInteger(port) && port > 0, 'scripted-provider printed a port');
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    stderr,
    stop: () => stopChild(child, () => child.kill('SIGTERM')),
  };
}

// ---------------------------------------------------------------------------
// web/dist under /desktop/ (the renderer origin)

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

async function startStatic(root) {
  const index = join(root, 'index.html');
  const server = createServer((req, res) => {
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (pathname === '/desktop') {
      res.writeHead(301, { location: '/desktop/' }).end();
      return;
    }
    if (!pathname.startsWith('/desktop/')) {
      res.writeHead(404).end();
      return;
    }
    const rel = normalize(pathname.slice('/desktop/'.length));
    let file = resolve(root, rel);
    if (!(file === root || file.startsWith(root + sep))) {
      res.writeHead(404).end();
      return;
    }
    let body;
    try {
      body = readFileSync(file);
    } catch {
      // SPA fallback: any other path under /desktop/ is the app.
      file = index;
      body = readFileSync(index);
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.listen(0, '127.0.0.1');
  await within(WAIT_MS, 'static server listen', once(server, 'listening'));
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    stop: () =>
      within(5_000, 'static server close', new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      })).catch(() => {}),
  };
}

// ---------------------------------------------------------------------------
// The host

/** Spawns `agent-host serve`, hands it the handshake over stdin (kept open:
 * it is the host's lifeline), and returns its API port and helpers. */
async function startHost({ userData, rendererOrigin }) {
  const password = randomBytes(32).toString('base64url');
  const child = track(
    spawn(HOST_BIN, ['serve'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      // Keys go to <user_data>/auth.json, never to the machine's keyring.
      env: { ...process.env, AGENT_HOST_SECRET_BACKEND: 'file' },
    }),
  );
  const stderr = tail(child.stderr);
  child.stdin.on('error', () => {}); // EPIPE if the host refuses and exits
  child.stdin.write(
    `${JSON.stringify({
      protocol: 1,
      password,
      user_data: userData,
      allowed_origins: [rendererOrigin],
      referer_roots: ['/desktop'],
    })}\n`,
  );
  const ready = await firstJsonLine(child, 'agent-host serve', stderr);
  assert.equal(ready.event, 'ready', 'the host printed its ready line');
  assert.ok(Number.isInteger(ready.port) && ready.port > 0, 'the ready line has a port');
  const authorization = `Basic ${Buffer.from(`agent:${password}`).toString('base64')}`;
  const base = `http://127.0.0.1:${ready.port}`;
  const referer = `${rendererOrigin}/desktop/`;

  /** The host API from node, as the renderer's page would be seen. */
  function api(method, path, body) {
    return within(
      WAIT_MS,
      `${method} ${path}`,
      new Promise((resolveRes, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = httpRequest(
          `${base}${path}`,
          {
            method,
            headers: {
              authorization,
              referer,
              ...(data === undefined ? {} : { 'content-type': 'application/json' }),
            },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => (text += d));
            res.on('end', () => {
              const json = text ? JSON.parse(text) : undefined;
              if (res.statusCode < 200 || res.statusCode > 299) {
                reject(new Error(`${method} ${path} → ${res.statusCode} ${JSON.stringify(json?.error?.code ?? '')}`));
              } else {
                resolveRes(json);
              }
            });
          },
        );
        req.on('error', reject);
        req.end(data);
      }),
    );
  }

  return {
    base,
    authorization,
    api,
    stderr,
    // Closing stdin is how a parent stops its host (exit 0 within 1 s).
    stop: () => stopChild(child, () => child.stdin.end()),
  };
}

// ---------------------------------------------------------------------------
// The browser

/** Stands in for the shell's preload: a frozen `window.desktop` in the
 * renderer's main frame only. Serialised into the page by Playwright. */
function preload({ rendererOrigin, rendererRoot, hostBase, authorization, forbiddenHeaders }) {
  if (window !== window.top) return;
  if (location.origin !== rendererOrigin || !location.pathname.startsWith(rendererRoot)) return;
  const forbidden = new Set(forbiddenHeaders);
  const realFetch = window.fetch.bind(window);
  const desktop = Object.freeze({
    fetch(path, init = {}) {
      if (typeof path !== 'string' || !path.startsWith('/')) {
        return Promise.reject(new TypeError('path must start with "/"'));
      }
      const headers = {};
      for (const [k, v] of Object.entries(init.headers ?? {})) {
        if (!forbidden.has(k.toLowerCase())) headers[k] = v;
      }
      headers.authorization = authorization;
      return realFetch(hostBase + path, {
        ...init,
        method: init.method ?? 'GET',
        headers,
        referrerPolicy: 'unsafe-url',
        cache: 'no-store',
      });
    },
    onHostState() {
      return () => {};
    },
  });
  Object.defineProperty(window, 'desktop', { value: desktop, writable: false, enumerable: true, configurable: false });
}

let browser;
let staticServer;

before(async () => {
  const missing = [];
  if (!existsSync(HOST_BIN)) missing.push(`${HOST_BIN} is missing; ${BUILD_HINT}`);
  if (!existsSync(PROVIDER_BIN)) missing.push(`${PROVIDER_BIN} is missing; ${BUILD_HINT}`);
  if (!existsSync(join(DIST, 'index.html'))) {
    missing.push(`${join(DIST, 'index.html')} is missing; build the renderer first: npm --prefix web run build`);
  }
  if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} is missing; install it: apt-get install -y chromium`);
  if (missing.length) throw new Error(`e2e prerequisites:\n  ${missing.join('\n  ')}`);

  mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of readdirSync(ARTIFACTS)) {
    if (f.endsWith('.png')) rmSync(join(ARTIFACTS, f), { force: true });
  }
  staticServer = await startStatic(DIST);
  browser = await within(
    WAIT_MS * 2,
    'chromium launch',
    chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      timeout: WAIT_MS * 2,
    }),
  );
});

after(async () => {
  await browser?.close().catch(() => {});
  await staticServer?.stop();
});

/**
 * One scenario's world: its own provider (optional), host and user-data
 * directory, a fresh browser context with the stand-in preload, and the
 * page on `/desktop/`. Everything is torn down when the test ends; on a
 * failure the page is screenshotted and the host's log (never a secret) is
 * added to the error.
 */
async function withWorld(t, { name, script, configure = true }, body) {
  const dir = tempDir(name);
  const cleanups = [() => rmSync(dir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const f of cleanups.reverse()) await f();
  };
  t.after(cleanup);

  const provider = script ? await startProvider(script, dir) : undefined;
  if (provider) cleanups.push(provider.stop);

  const userData = join(dir, 'user-data');
  const host = await startHost({ userData, rendererOrigin: staticServer.origin });
  cleanups.push(host.stop);

  if (provider && configure) {
    const presence = await host.api('PUT', '/secrets/openrouter', { key: 'sk-e2e' });
    assert.equal(presence.present, true, 'the provider key is stored');
    await host.api('PUT', '/providers/openrouter', { base_url: provider.baseUrl });
  }

  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  cleanups.push(() => context.close().catch(() => {}));
  context.setDefaultTimeout(WAIT_MS);
  await context.addInitScript(preload, {
    rendererOrigin: staticServer.origin,
    rendererRoot: constants.root,
    hostBase: host.base,
    authorization: host.authorization,
    forbiddenHeaders: constants.forbiddenHeaders,
  });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });

  try {
    await page.goto(`${staticServer.origin}/desktop/`, { waitUntil: 'load', timeout: WAIT_MS });
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    await body({ page, host, dir, provider });
  } catch (err) {
    await page.screenshot({ path: join(ARTIFACTS, `${name}-failure.png`) }).catch(() => {});
    const details = [
      err instanceof Error ? err.stack ?? err.message : String(err),
      `page errors: ${pageErrors.length ? pageErrors.join('\n') : '(none)'}`,
      `host stderr (tail):\n${host.stderr.text || '(empty)'}`,
      provider ? `provider stderr (tail):\n${provider.stderr.text || '(empty)'}` : '',
    ];
    throw new Error(details.join('\n\n'), { cause: err });
  }
}

async function send(page, text) {
  const input = page.getByPlaceholder('Ask the agent…');
  await input.waitFor();
  await input.fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

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

    await page.waitForFunction(
      () => document.querySelector('.message.assistant p.text')?.textContent === 'Hello ',
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
    await tool.locator('.muted', { hasText: 'approval-requested' }).waitFor();
    assert.equal(existsSync(out), false, 'nothing written before the approval');
    await tool.getByRole('button', { name: 'Approve' }).click();

    await page.locator('.message.assistant').getByText('Wrote out.txt for you.', { exact: true }).waitFor();
    await tool.locator('.muted', { hasText: 'output-available' }).waitFor();

    assert.ok(existsSync(out), 'out.txt was written');
    assert.equal(readFileSync(out, 'utf8'), 'hi');
    await page.screenshot({ path: join(ARTIFACTS, 'approval.png'), fullPage: true });
  });
});
