// The e2e harness the renderer's end-to-end tests share: the scripted
// provider, web/dist served under /desktop/, a real agent host, headless
// Chromium with a stand-in for the shell's preload, and the world / page
// helpers. Extracted from renderer.e2e.test.mjs; a test file calls
// useBrowser() once and then startWorld / withPage / withWorld.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import constants from '../src/desktop/constants.json' with { type: 'json' };

export const HERE = dirname(fileURLToPath(import.meta.url));
export const WEB = resolve(HERE, '..');
export const REPO = resolve(WEB, '..');
export const DIST = join(WEB, 'dist');
/** Where e2e screenshots go: `E2E_ARTIFACTS` (absolute, or relative to the
 * working directory; scripts/test.sh points it into target/ci-artifacts)
 * or web/e2e/artifacts. */
export const ARTIFACTS_ROOT = process.env.E2E_ARTIFACTS ? resolve(process.env.E2E_ARTIFACTS) : join(HERE, 'artifacts');
/** This test file's own folder under ARTIFACTS_ROOT (`node --test` runs each
 * file in its own process: `chat` for chat.e2e.test.mjs), so the files run
 * one after another never empty each other's screenshots. */
export const ARTIFACTS = join(ARTIFACTS_ROOT, basename(process.argv[1] ?? '').replace(/\.e2e\.test\.mjs$|\.mjs$/, '') || 'e2e');
export const HOST_BIN = join(REPO, 'target', 'debug', 'agent-host');
export const PROVIDER_BIN = join(REPO, 'target', 'debug', 'scripted-provider');
export const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';

/** Per wait: generous for a slow 2-core machine, but always bounded. */
export const WAIT_MS = 20_000;
export const BUILD_HINT =
  'build it first: cargo build -p agent-host -p agent-provider --features agent-provider/scripted --bins';

// ---------------------------------------------------------------------------
// Small utilities

/** Rejects after `ms` with `what` unless `promise` settles first. */
export function within(ms, what, promise) {
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

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `agent-host-e2e-${prefix}-`));
}

// ---------------------------------------------------------------------------
// The scripted provider

/** Starts `scripted-provider` (`bin`, the debug build by default) on a
 * script (a JSON array of `Reply`); returns its `/v1` base URL and `stop`. */
export async function startProvider(script, dir, bin = PROVIDER_BIN) {
  const file = join(dir, 'script.json');
  writeFileSync(file, JSON.stringify(script));
  const child = track(spawn(bin, [file], { stdio: ['ignore', 'pipe', 'pipe'] }));
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

export async function startStatic(root) {
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

/** Spawns `agent-host serve` (the debug build, or `hostBin`: the bench runs
 * a release build), hands it the handshake over stdin (kept open: it is the
 * host's lifeline), and returns its API port and helpers. */
export async function startHost({ userData, rendererOrigin, hostBin = HOST_BIN }) {
  const password = randomBytes(32).toString('base64url');
  const child = track(
    spawn(hostBin, ['serve'], {
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

/** The Chromium version (after useBrowser's before hook). */
export function browserVersion() {
  return browser?.version() ?? null;
}

/** The renderer origin's static server (after useBrowser's before hook). */
export function rendererOrigin() {
  return staticServer.origin;
}

/** Registers the file's before/after hooks: checks the prerequisites (the
 * host and provider binaries the file's worlds run), empties `artifacts` of
 * old screenshots, serves web/dist and launches Chromium. */
export function useBrowser({ artifacts = ARTIFACTS, hostBin = HOST_BIN, providerBin = PROVIDER_BIN } = {}) {
  before(async () => {
    const missing = [];
    if (!existsSync(hostBin)) missing.push(`${hostBin} is missing; ${BUILD_HINT}`);
    if (!existsSync(providerBin)) missing.push(`${providerBin} is missing; ${BUILD_HINT}`);
    if (!existsSync(join(DIST, 'index.html'))) {
      missing.push(`${join(DIST, 'index.html')} is missing; build the renderer first: npm --prefix web run build`);
    }
    if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} is missing; install it: apt-get install -y chromium`);
    if (missing.length) throw new Error(`e2e prerequisites:\n  ${missing.join('\n  ')}`);

    mkdirSync(artifacts, { recursive: true });
    for (const f of readdirSync(artifacts)) {
      if (f.endsWith('.png')) rmSync(join(artifacts, f), { force: true });
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
          // Chromium's own omnibox popup, a WebUI page it preloads in a
          // renderer of its own for each window (each test's context): ~1 s
          // of CPU as the window opens, on the 2 cores the page under test,
          // its host and the stand-in provider share (the chat bench's
          // figures and the tests' timings).
          '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup,PreloadTopChromeWebUI',
        ],
        timeout: WAIT_MS * 2,
      }),
    );
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await staticServer?.stop();
  });
}

/**
 * A world: its own provider (optional; `providerBin`, see startProvider),
 * host (`hostBin`, see startHost) and user-data directory. `stop` tears it
 * down in reverse order.
 */
export async function startWorld({ name, script, configure = true, hostBin = HOST_BIN, providerBin = PROVIDER_BIN }) {
  const dir = tempDir(name);
  const cleanups = [() => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const f of cleanups.reverse()) await f();
    cleanups.length = 0;
  };
  try {
    const provider = script ? await startProvider(script, dir, providerBin) : undefined;
    if (provider) cleanups.push(provider.stop);

    const userData = join(dir, 'user-data');
    const host = await startHost({ userData, rendererOrigin: staticServer.origin, hostBin });
    cleanups.push(host.stop);

    if (provider && configure) {
      const presence = await host.api('PUT', '/secrets/openrouter', { key: 'sk-e2e' });
      assert.equal(presence.present, true, 'the provider key is stored');
      await host.api('PUT', '/providers/openrouter', { base_url: provider.baseUrl });
    }
    return { dir, host, provider, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A fresh browser context with the stand-in preload on `world`'s host, and
 * its page at `path` (under the renderer origin) once `ready(page)` is
 * done. Closed when `body` is done; on a failure the page is screenshotted
 * and the host's log (never a secret) is added to the error.
 */
export async function withPage(
  world,
  { name, path = '/desktop/', ready, viewport = { width: 1400, height: 900 }, colorScheme = 'light', artifacts = ARTIFACTS },
  body,
) {
  const { host, provider } = world;
  const context = await browser.newContext({ viewport, colorScheme });
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
    await page.goto(`${staticServer.origin}${path}`, { waitUntil: 'load', timeout: WAIT_MS });
    await ready(page);
    await body({ page, ...world });
  } catch (err) {
    await page.screenshot({ path: join(artifacts, `${name}-failure.png`) }).catch(() => {});
    const details = [
      err instanceof Error ? err.stack ?? err.message : String(err),
      `page errors: ${pageErrors.length ? pageErrors.join('\n') : '(none)'}`,
      `host stderr (tail):\n${host.stderr.text || '(empty)'}`,
      provider ? `provider stderr (tail):\n${provider.stderr.text || '(empty)'}` : '',
    ];
    throw new Error(details.join('\n\n'), { cause: err });
  } finally {
    await context.close().catch(() => {});
  }
}

/**
 * One scenario's world (see startWorld) and the home page on it, all torn
 * down when the test ends.
 */
export async function withWorld(t, { name, script, configure = true }, body) {
  const world = await startWorld({ name, script, configure });
  t.after(world.stop);
  await withPage(
    world,
    { name, ready: (page) => page.getByRole('heading', { name: 'Sessions' }).waitFor() },
    body,
  );
}

export async function send(page, text) {
  const input = page.getByPlaceholder('Ask the agent…');
  await input.waitFor();
  await input.fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
}

/**
 * Ctrl+Alt+N, and the new session's input focused by the app itself
 * (App.tsx newSession waits for the chat to load, however long it takes).
 */
export async function newSessionByKeyboard(page) {
  await page.keyboard.press('Control+Alt+n');
  await page.waitForFunction(() => document.activeElement?.matches('#pane-chat textarea') === true);
}
