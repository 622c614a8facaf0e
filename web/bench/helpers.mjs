// What the renderer benchmark needs besides web/e2e/world.mjs: agent turns
// from node (world.mjs's `host.api` parses a JSON answer; a turn's answer is
// an SSE stream), the scripted replies, the machine's CPU by process, and
// small statistics.

import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { rendererOrigin, within } from '../e2e/world.mjs';

/** Runs one agent turn through the host API and reads its stream to the
 * end; resolves with the stream's text (SSE frames). */
export function runTurn(host, sessionId, message, { timeoutMs = 60_000, origin = rendererOrigin() } = {}) {
  const path = `/sessions/${encodeURIComponent(sessionId)}/turns`;
  return within(
    timeoutMs,
    `POST ${path}`,
    new Promise((resolveTurn, reject) => {
      const body = JSON.stringify({ message });
      const req = httpRequest(
        `${host.base}${path}`,
        {
          method: 'POST',
          headers: {
            authorization: host.authorization,
            // As the renderer's page is seen (the host's Referer guard).
            referer: `${origin}/desktop/`,
            'content-type': 'application/json',
            accept: 'text/event-stream',
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (text += d));
          res.on('end', () => {
            if (res.statusCode !== 200) reject(new Error(`POST ${path} → ${res.statusCode}: ${text.slice(0, 300)}`));
            else if (!text.includes('"type":"finish"')) reject(new Error(`POST ${path}: the stream ended without a finish`));
            else resolveTurn(text);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    }),
  );
}

const LANGS = [
  [
    'rust',
    (n) => [
      `fn answer_${n}(items: &[u32]) -> u32 {`,
      '    let mut total = 0;',
      '    for item in items {',
      `        total += item * ${n % 97};`,
      '    }',
      '    total',
      '}',
    ],
  ],
  [
    'ts',
    (n) => [
      `export function answer${n}(items: number[]): number {`,
      `  // ${n}: sum the items`,
      '  return items.reduce((total, item) => total + item, 0);',
      '}',
      '',
      `console.log(answer${n}([1, 2, 3]));`,
    ],
  ],
  [
    'python',
    (n) => [
      `def answer_${n}(items):`,
      `    """Sums the items ({n})."""`,
      '    total = 0',
      '    for item in items:',
      '        total += item',
      '    return total',
    ],
  ],
  ['bash', (n) => ['set -euo pipefail', `for i in $(seq 1 ${n % 10 + 1}); do`, `  echo "answer ${n}, step $i"`, 'done']],
];

/** The `n`th answer of the long session: a paragraph, a fenced code block
 * (four languages in turn) and a closing line, about 500 characters. */
export function codeAnswer(n) {
  const [lang, lines] = LANGS[n % LANGS.length];
  return [
    `Here is **answer ${n}**. The function below walks the items once and keeps a running total, ` +
      'so it is linear in the input and allocates nothing; the `total` starts at zero.',
    '',
    '```' + lang,
    ...lines(n),
    '```',
    '',
    `Call it with your list; for an empty list it returns 0. (${n})`,
  ].join('\n');
}

/** A scripted streaming reply of `text` in `pieces` chunks. */
export function textReply(text, pieces = 8) {
  const size = Math.ceil(text.length / pieces);
  const events = [];
  for (let i = 0; i < text.length; i += size) events.push({ kind: 'text', text: text.slice(i, i + size) });
  events.push({ kind: 'finish', reason: 'stop' }, { kind: 'usage', input: 10, output: pieces }, { kind: 'done' });
  return { kind: 'stream', events };
}

/**
 * A scripted reply of exactly `count` text deltas, as fast as the provider
 * writes: paragraphs of 40 words (`deltas` runs of "word "), a fenced code
 * block every fifth paragraph (a line per delta), and `marker` as the last
 * delta, followed by a pause of `pauseMs` before the finish. Stays under
 * the renderer's 60,000-character markdown limit for 10,000 deltas. `rate`
 * (deltas per second, on average) paces it; 0 sends as fast as possible.
 * `distinct`: each paragraph's word and each code block's lines carry the
 * paragraph's number ("w12 w12 …", `const v0 = f(12);`), so that no block
 * repeats another, as in a real answer (the renderer caches a block's parse
 * and highlighting by its text: repeated blocks cost one parse); otherwise
 * every paragraph is "word word …" and every code block the same.
 */
export function deltaReply(count, marker, pauseMs, rate = 0, distinct = false) {
  const events = [];
  let left = count - 1;
  let paragraph = 0;
  // With a rate (deltas per second), a pause after each paragraph or code
  // block keeps the average pace; 0 is as fast as the provider writes.
  let sent = 0;
  let paused = 0;
  const push = (e, n) => {
    events.push(e);
    left -= n;
    sent += n;
  };
  const pace = () => {
    if (rate <= 0) return;
    const due = Math.round((sent / rate) * 1000) - paused;
    if (due > 0) {
      events.push({ kind: 'delay', ms: due });
      paused += due;
    }
  };
  while (left > 0) {
    if (paragraph % 5 === 4 && left > 12) {
      push({ kind: 'text', text: '\n\n```ts\n' }, 1);
      for (let i = 0; i < 8; i++) push({ kind: 'text', text: `const v${i} = f(${distinct ? paragraph : i});\n` }, 1);
      push({ kind: 'text', text: '```\n\n' }, 1);
      pace();
    } else {
      const words = Math.min(40, left - 1);
      if (words > 0) push({ kind: 'deltas', count: words, text: distinct ? `w${paragraph} ` : 'word ' }, words);
      if (left > 0) push({ kind: 'text', text: '\n\n' }, 1);
      pace();
    }
    paragraph++;
  }
  events.push({ kind: 'text', text: marker });
  if (pauseMs > 0) events.push({ kind: 'delay', ms: pauseMs });
  events.push({ kind: 'finish', reason: 'stop' }, { kind: 'usage', input: 10, output: count }, { kind: 'done' });
  return { kind: 'stream', events };
}

/** The blocks a deltaReply() answer renders as, in order, the marker's
 * paragraph left out: `paragraph` (its `text` the word it repeats, as sent:
 * "w12 ") or `code` (its `text` the block's last line, "const v7 = f(14);"),
 * which tell the blocks of a `distinct` reply apart. */
export function replyBlocks(reply) {
  return reply.events.flatMap((e) => {
    if (e.kind === 'deltas') return [{ kind: 'paragraph', text: e.text }];
    if (e.kind === 'text' && e.text.startsWith('const v7')) return [{ kind: 'code', text: e.text.trim() }];
    return [];
  });
}

/** Number of text deltas a scripted reply sends. */
export function deltaCount(reply) {
  return reply.events.reduce((n, e) => n + (e.kind === 'text' ? 1 : e.kind === 'deltas' ? e.count : 0), 0);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const fmt = (ms) => (Number.isFinite(ms) ? ms.toFixed(1) : String(ms));

/** CPU time (ms, user + system) of every process now, by pid (Linux
 * /proc; clock ticks of 10 ms). With `cpuSince` it tells who had the
 * cores while the page worked: on 2 cores a task's wall time includes the
 * time its thread waited for one. */
export function cpuNow() {
  const now = new Map();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // The fields after the command name, which may hold spaces.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Chromium's processes by their --type (renderer, gpu-process, ...);
      // Chromium rewrites its argv, so the whole command line is searched.
      const type = /--type=(\S+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
      now.set(pid, { name: type ? `${comm} ${type[1]}` : comm, ms: (Number(f[11]) + Number(f[12])) * 10 });
    } catch {
      // Gone since the listing.
    }
  }
  return now;
}

/** The CPU the `top` kinds of process that used most since `before` (a
 * cpuNow()) used, most first: [[name, ms], ...]. */
export function cpuSince(before, top = 6) {
  const by = new Map();
  for (const [pid, { name, ms }] of cpuNow()) {
    const used = ms - (before.get(pid)?.ms ?? 0);
    if (used > 0) by.set(name, (by.get(name) ?? 0) + used);
  }
  return [...by].sort((a, b) => b[1] - a[1]).slice(0, top);
}

/** A cpuSince() answer as one log line's list: `name ms, ...`. */
export const fmtCpu = (cpu) => cpu.map(([name, ms]) => `${name} ${ms}`).join(', ');
