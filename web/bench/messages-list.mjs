// The host's answer to GET /sessions/{id}/messages for the chat bench's
// long session (500 turns: 1,000 messages, 0.42 MB of JSON), timed from
// node over loopback: what opening that session waits for before the page
// has anything to render. Prints the figures; asserts nothing.
//
//   node web/bench/messages-list.mjs [HOST_BIN] [--requests N]
//
// HOST_BIN defaults to world.mjs's debug build; the scripted provider is
// the one beside it. Figures in docs/benchmarks.md.

import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HOST_BIN, startHost, startProvider, tempDir } from '../e2e/world.mjs';
import { codeAnswer, median, runTurn, textReply } from './helpers.mjs';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: { requests: { type: 'string', default: '200' }, turns: { type: 'string', default: '500' } },
});
const TURNS = Number(opts.turns);
const REQUESTS = Number(opts.requests);
// Only named in the handshake and the Referer; nothing is served there.
const ORIGIN = 'http://127.0.0.1:9';
const hostBin = positionals[0] ? resolve(positionals[0]) : HOST_BIN;

const dir = tempDir('messages-list');
const provider = await startProvider(
  Array.from({ length: TURNS }, (_, i) => textReply(codeAnswer(i))),
  dir,
  join(dirname(hostBin), 'scripted-provider'),
);
const host = await startHost({ userData: join(dir, 'user-data'), rendererOrigin: ORIGIN, hostBin });
try {
  await host.api('PUT', '/secrets/openrouter', { key: 'sk-bench' });
  await host.api('PUT', '/providers/openrouter', { base_url: provider.baseUrl });
  const session = await host.api('POST', '/sessions', {});
  for (let i = 0; i < TURNS; i++) await runTurn(host, session.id, `Question ${i}: how do I sum a list?`, { origin: ORIGIN });
  const times = [];
  let bytes = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    const res = await fetch(`${host.base}/sessions/${encodeURIComponent(session.id)}/messages`, {
      headers: { authorization: host.authorization, referer: `${ORIGIN}/desktop/` },
    });
    const body = await res.arrayBuffer();
    times.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`GET messages → ${res.status}`);
    bytes = body.byteLength;
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1);
  console.log(
    `GET /sessions/{id}/messages, ${2 * TURNS} messages (${bytes} bytes), ${REQUESTS} requests: ` +
      `median ${median(times).toFixed(1)} ms, p90 ${at(0.9)}, min ${times[0].toFixed(1)}, max ${times.at(-1).toFixed(1)} (${hostBin})`,
  );
} finally {
  await host.stop();
  await provider.stop();
  rmSync(dir, { recursive: true, force: true });
}
