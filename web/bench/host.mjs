// A world (scripted provider + agent host) like world.mjs's startWorld, but
// on a host binary of the caller's choice: the benchmark measures what a user
// runs, a release build, while world.mjs's startHost always starts
// target/debug/agent-host (its GET /sessions/{id}/messages of 1,000 messages
// takes ~150 ms there, a few ms in a release build). The handshake is the
// same as world.mjs's startHost.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WAIT_MS, rendererOrigin, startProvider, startWorld, tempDir, within } from '../e2e/world.mjs';

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** `agent-host serve` from `bin`, with the handshake world.mjs sends. */
async function startHostBin(bin, { userData, origin }) {
  const password = randomBytes(32).toString('base64url');
  const child = spawn(bin, ['serve'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, AGENT_HOST_SECRET_BACKEND: 'file' },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const stderr = { text: '' };
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => (stderr.text = (stderr.text + d).slice(-16_000)));
  child.stdin.on('error', () => {});
  child.stdin.write(
    `${JSON.stringify({ protocol: 1, password, user_data: userData, allowed_origins: [origin], referer_roots: ['/desktop'] })}\n`,
  );
  const lines = createInterface({ input: child.stdout });
  const [line] = await within(WAIT_MS, `${bin}: ready line`, once(lines, 'line'));
  lines.close();
  const ready = JSON.parse(line);
  assert.equal(ready.event, 'ready', 'the host printed its ready line');
  const authorization = `Basic ${Buffer.from(`agent:${password}`).toString('base64')}`;
  const base = `http://127.0.0.1:${ready.port}`;
  const referer = `${origin}/desktop/`;
  const api = (method, path, body) =>
    within(
      WAIT_MS,
      `${method} ${path}`,
      new Promise((resolveRes, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = httpRequest(
          `${base}${path}`,
          { method, headers: { authorization, referer, ...(data === undefined ? {} : { 'content-type': 'application/json' }) } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => (text += d));
            res.on('end', () => {
              if (res.statusCode < 200 || res.statusCode > 299) reject(new Error(`${method} ${path} → ${res.statusCode} ${text.slice(0, 200)}`));
              else resolveRes(text ? JSON.parse(text) : undefined);
            });
          },
        );
        req.on('error', reject);
        req.end(data);
      }),
    );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = once(child, 'exit');
    child.stdin.end(); // the lifeline: the host exits within 1 s
    await within(5_000, 'host exit', gone).catch(() => child.kill('SIGKILL'));
  };
  return { base, authorization, api, stderr, stop };
}

/** world.mjs's startWorld (debug host) without `hostBin`; with it, the same
 * world on that binary. */
export async function startBenchWorld({ name, script, hostBin }) {
  if (!hostBin) return startWorld({ name, script });
  const dir = tempDir(name);
  const cleanups = [() => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const f of cleanups.reverse()) await f();
    cleanups.length = 0;
  };
  try {
    const provider = await startProvider(script, dir);
    cleanups.push(provider.stop);
    const host = await startHostBin(hostBin, { userData: join(dir, 'user-data'), origin: rendererOrigin() });
    cleanups.push(host.stop);
    await host.api('PUT', '/secrets/openrouter', { key: 'sk-bench' });
    await host.api('PUT', '/providers/openrouter', { base_url: provider.baseUrl });
    return { dir, host, provider, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
