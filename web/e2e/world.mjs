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
/** Where the shell's Content-Security-Policy is written (the one source of
 * truth: the static server below reads it from there). */
export const SHELL_RENDERER_RS = join(REPO, 'shell', 'src', 'renderer.rs');

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

/** A script's replies (provider/src/scripted: `Reply`, `Scripted`):
 * `stream(events)` streams `events` and ends; `text(t)` answers `t`;
 * `calls([[name, args], …])` asks for those tool calls, each input in two
 * pieces. */
export const scripted = {
  stream: (events) => ({ kind: 'stream', events: [...events, { kind: 'done' }] }),
  text: (t) => scripted.stream([{ kind: 'text', text: t }, { kind: 'finish', reason: 'stop' }]),
  calls: (list) =>
    scripted.stream([
      ...list.map(([name, args], index) => ({ kind: 'tool_call', index, id: `t${index}`, name, arguments: JSON.stringify(args), pieces: 2 })),
      { kind: 'finish', reason: 'tool_calls' },
    ]),
};

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
// The shell's Content-Security-Policy

/**
 * The value of a Rust string literal that starts at `source[start]` (a
 * plain `"…"` or a raw `r#"…"#`), decoded as rustc does: `\` before a
 * line break skips the break and the whitespace after it; `\n`, `\r`,
 * `\t`, `\\`, `\0`, `\'`, `\"`, `\x7F` and `\u{…}` escapes. Throws on
 * anything else (rather than guess).
 */
export function rustStringLiteral(source, start) {
  const raw = /^r(#*)"/.exec(source.slice(start, start + 300));
  if (raw) {
    const open = start + raw[0].length;
    const end = source.indexOf(`"${raw[1]}`, open);
    if (end < 0) throw new Error('an unterminated raw string literal');
    return source.slice(open, end);
  }
  if (source[start] !== '"') throw new Error(`not a string literal: ${JSON.stringify(source.slice(start, start + 40))}`);
  const WHITESPACE = /[\t\n\v\f\r \u0085\u200e\u200f\u2028\u2029]/;
  const SIMPLE = { n: '\n', r: '\r', t: '\t', '\\': '\\', 0: '\0', "'": "'", '"': '"' };
  let out = '';
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i];
    if (c === '"') return out;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = source[++i];
    if (e === '\n') {
      while (i + 1 < source.length && WHITESPACE.test(source[i + 1])) i++;
    } else if (e in SIMPLE) {
      out += SIMPLE[e];
    } else if (e === 'x' && /^[0-7][0-9a-fA-F]$/.test(source.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(source.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e === 'u' && /^\{[0-9a-fA-F_]{1,8}\}/.test(source.slice(i + 1))) {
      const close = source.indexOf('}', i);
      out += String.fromCodePoint(parseInt(source.slice(i + 2, close).replaceAll('_', ''), 16));
      i = close;
    } else {
      throw new Error(`an escape this reader does not know: \\${e}`);
    }
  }
  throw new Error('an unterminated string literal');
}

/** The shell's `pub const CONTENT_SECURITY_POLICY` (shell/src/renderer.rs),
 * which its renderer server sends on every answer. Throws if it is not
 * there or not a policy. */
export function shellCsp(file = SHELL_RENDERER_RS) {
  // rustc reads CRLF line ends as LF.
  const source = readFileSync(file, 'utf8').replaceAll('\r\n', '\n');
  const decl = /\bpub\s+const\s+CONTENT_SECURITY_POLICY\s*:\s*&\s*(?:'static\s+)?str\s*=\s*/.exec(source);
  if (!decl) throw new Error(`no \`pub const CONTENT_SECURITY_POLICY: &str = "…"\` in ${file}: the e2e pages would run without the shell's CSP`);
  let policy;
  try {
    policy = rustStringLiteral(source, decl.index + decl[0].length);
  } catch (err) {
    throw new Error(`${file}: CONTENT_SECURITY_POLICY is not a string literal this harness can read (${err.message})`, { cause: err });
  }
  if (!/(^|;)\s*default-src\s/.test(policy) || !/(^|;)\s*script-src\s/.test(policy)) {
    throw new Error(`${file}: CONTENT_SECURITY_POLICY does not look like a policy: ${JSON.stringify(policy)}`);
  }
  return policy;
}

/** `policy` with `origin` added to its `connect-src` (which it must have). */
export function withConnectSource(policy, origin) {
  let found = false;
  const directives = policy.split(';').map((d) => {
    if (d.trim().split(/\s+/)[0].toLowerCase() !== 'connect-src') return d;
    found = true;
    return `${d.trimEnd()} ${origin}`;
  });
  if (!found) throw new Error(`the shell's CSP has no connect-src to add ${origin} to: ${policy}`);
  return directives.join(';');
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

/** The cookie by which a page's requests name their page (see startStatic). */
const PAGE_COOKIE = 'e2e-page';

/**
 * Serves `root` under /desktop/ as the shell's renderer server does, with
 * the shell's Content-Security-Policy (`shellCsp()`) on every answer.
 *
 * One difference, the page's way to the host: in the shell the page
 * reaches it through `hostapi:` (already in `connect-src`); here the
 * stand-in preload (`preload` below) fetches the host's own
 * `http://127.0.0.1:<port>`, another origin. So a page's answers add
 * exactly that origin to `connect-src`, and nothing else: `allowHost`
 * registers a page's host origin under a random token, which the page's
 * browser context sends back as a cookie; an answer without a known token
 * gets the shell's policy as it is.
 */
export async function startStatic(root, { policy = shellCsp() } = {}) {
  const index = join(root, 'index.html');
  const hosts = new Map();
  const cspFor = (req) => {
    const cookies = (req.headers.cookie ?? '').split(';').map((c) => c.trim().split('='));
    const token = cookies.find(([k]) => k === PAGE_COOKIE)?.[1];
    const host = token === undefined ? undefined : hosts.get(token);
    return host ? withConnectSource(policy, host) : policy;
  };
  const server = createServer((req, res) => {
    res.setHeader('content-security-policy', cspFor(req));
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
    policy,
    /** Lets the pages that send `cookie` reach `hostBase`'s origin; call
     * `release` when they are gone. */
    allowHost(hostBase) {
      const token = randomBytes(16).toString('hex');
      hosts.set(token, new URL(hostBase).origin);
      return { cookie: { name: PAGE_COOKIE, value: token }, release: () => hosts.delete(token) };
    },
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
 * renderer's main frame only. Serialised into the page by Playwright.
 * With `shell`, also `window.desktop.shell`, whose every action is handed
 * to node (`SHELL_BINDING`) and resolves as the real shell's does once
 * taken (the dialogs as cancelled). */
function preload({ rendererOrigin, rendererRoot, hostBase, authorization, forbiddenHeaders, shell, shellBinding }) {
  if (window !== window.top) return;
  if (location.origin !== rendererOrigin || !location.pathname.startsWith(rendererRoot)) return;
  const forbidden = new Set(forbiddenHeaders);
  const realFetch = window.fetch.bind(window);
  const record = window[shellBinding];
  const action = (name, result) => (...args) => Promise.resolve(record(name, args)).then(() => result);
  const shellActions = shell
    ? Object.freeze({
        open: action('open'),
        openDialog: action('openDialog'),
        saveDialog: action('saveDialog', null),
        chooseFolder: action('chooseFolder', null),
        openExternal: action('openExternal'),
        setDirty: action('setDirty'),
        close: action('close'),
        quit: action('quit'),
      })
    : undefined;
  const desktop = Object.freeze({
    ...(shellActions ? { shell: shellActions } : {}),
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

/** In every frame: each `securitypolicyviolation` the document sees,
 * handed to node (`binding`). */
function watchCsp(binding) {
  const report = window[binding];
  addEventListener(
    'securitypolicyviolation',
    (e) =>
      report({
        directive: e.effectiveDirective,
        blocked: e.blockedURI.slice(0, 200),
        sample: e.sample,
        source: e.sourceFile ? `${e.sourceFile}:${e.lineNumber}` : '',
        disposition: e.disposition,
        frame: location.href.slice(0, 200),
      }),
    true,
  );
}

const CSP_BINDING = '__e2eCspViolation';
const SHELL_BINDING = '__e2eShellAction';
/** How Chromium words a CSP violation in the console (the page's or a
 * worker's, where no `securitypolicyviolation` reaches the document). */
const CSP_CONSOLE = /Content Security Policy/i;

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
 * its page at `path` (under the renderer origin, served with the shell's
 * CSP) once `ready(page)` is done. Closed when `body` is done; on a failure
 * the page is screenshotted and the host's log (never a secret) is added
 * to the error.
 *
 * `body` also gets `cspViolations` (every CSP violation the page's frames
 * and workers reported, as they come) and `pageErrors`; with `shell`, the
 * page has a stand-in `window.desktop.shell` and `body` gets `shellCalls`
 * (`{name, args}` of each action it was asked for). A page that reported a
 * CSP violation fails the test when `body` is done, unless `body` removed
 * it from `cspViolations` (a test that provokes one on purpose).
 */
export async function withPage(
  world,
  { name, path = '/desktop/', ready, viewport = { width: 1400, height: 900 }, colorScheme = 'light', artifacts = ARTIFACTS, shell = false },
  body,
) {
  const { host, provider } = world;
  const context = await browser.newContext({ viewport, colorScheme });
  context.setDefaultTimeout(WAIT_MS);
  const access = staticServer.allowHost(host.base);
  await context.addCookies([{ ...access.cookie, url: `${staticServer.origin}/desktop/` }]);
  const cspViolations = [];
  const shellCalls = [];
  await context.exposeBinding(CSP_BINDING, (_source, v) => void cspViolations.push({ via: 'event', ...v }));
  await context.exposeBinding(SHELL_BINDING, (_source, name, args) => void shellCalls.push({ name, args }));
  await context.addInitScript(watchCsp, CSP_BINDING);
  await context.addInitScript(preload, {
    rendererOrigin: staticServer.origin,
    rendererRoot: constants.root,
    hostBase: host.base,
    authorization: host.authorization,
    forbiddenHeaders: constants.forbiddenHeaders,
    shell,
    shellBinding: SHELL_BINDING,
  });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const onConsole = (where) => (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
    // (Shortened: a blocked data: URL is quoted whole.)
    if (CSP_CONSOLE.test(m.text())) cspViolations.push({ via: `console (${where})`, text: m.text().slice(0, 400) });
  };
  page.on('console', onConsole('page'));
  page.on('worker', (w) => w.on('console', onConsole(`worker ${w.url()}`)));

  try {
    await page.goto(`${staticServer.origin}${path}`, { waitUntil: 'load', timeout: WAIT_MS });
    await ready(page);
    await body({ page, ...world, cspViolations, pageErrors, shellCalls });
    assert.deepEqual(cspViolations, [], 'the page reported no CSP violation');
  } catch (err) {
    await page.screenshot({ path: join(artifacts, `${name}-failure.png`) }).catch(() => {});
    const details = [
      err instanceof Error ? err.stack ?? err.message : String(err),
      `page errors: ${pageErrors.length ? pageErrors.join('\n') : '(none)'}`,
      `CSP violations: ${cspViolations.length ? JSON.stringify(cspViolations, null, 2) : '(none)'}`,
      `host stderr (tail):\n${host.stderr.text || '(empty)'}`,
      provider ? `provider stderr (tail):\n${provider.stderr.text || '(empty)'}` : '',
    ];
    throw new Error(details.join('\n\n'), { cause: err });
  } finally {
    await context.close().catch(() => {});
    access.release();
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
