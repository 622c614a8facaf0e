// The renderer's chat benchmark: the built renderer (web/dist) in headless
// Chromium against the real agent host (target/debug) and the scripted
// OpenAI-compatible provider, through web/e2e/world.mjs's harness. Prints
// figures; asserts nothing about them.
//
//   cargo build -p agent-host -p agent-provider --features agent-provider/scripted --bins
//   npm --prefix web run build
//   npm --prefix web run bench [-- --runs 5 --turns 500 --deltas 10000 --rate 0
//                                  --part all|open|stream --host target/release/agent-host
//                                  --provider target/release/scripted-provider --profile --trace]
//   (with --host target/release/agent-host, the scripted-provider beside it is
//   used when there is one: cargo build --release -p agent-host -p agent-provider
//   --features agent-provider/scripted --bins)
//
// open:   a session of 2 × `turns` messages (each answer a paragraph, a fenced
//         code block and a line), built through POST /sessions/{id}/turns;
//         from the click on the session in the list to the conversation
//         rendered and interactive (definitions in docs/benchmarks.md,
//         "Renderer").
// stream: one answer of `deltas` text deltas; main-thread long tasks (Long
//         Tasks API, > 50 ms) while it streams, the delay from the last
//         delta reaching the page's socket to the DOM showing it (as
//         written or as markdown), to its last blocks and to every block of
//         the answer shown as markdown, and the longest any network
//         read of deltas waited for the DOM's next change. Each paragraph
//         and code block is its own text (--repeated: all alike, as before
//         2026-11-30; the renderer parses a repeated block once).
//
// The last stdout line is JSON with every sample.

import { test } from 'node:test';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HOST_BIN, PROVIDER_BIN, send, startWorld, useBrowser, withPage, within } from '../e2e/world.mjs';
import { codeAnswer, cpuNow, cpuSince, deltaCount, deltaReply, fmt, fmtCpu, median, replyBlocks, runTurn, textReply } from './helpers.mjs';
import { startProxy } from './proxy.mjs';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    turns: { type: 'string', default: '500' },
    deltas: { type: 'string', default: '10000' },
    // Deltas per second for the stream (0: as fast as the provider writes).
    rate: { type: 'string', default: '0' },
    // Every paragraph and code block of the streamed answer the same (the
    // renderer parses and highlights it once), instead of each its own.
    repeated: { type: 'boolean', default: false },
    part: { type: 'string', default: 'all' },
    quiet: { type: 'string', default: '1000' },
    profile: { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
    // The agent-host binary; world.mjs's debug build without it.
    host: { type: 'string', default: process.env.BENCH_HOST_BIN ?? '' },
    // The scripted-provider binary. Without it: the one next to --host (the
    // same build) if there is one, else world.mjs's debug build. It stands
    // in for a remote model, whose CPU is not on this machine: on 2 cores a
    // debug build took ~110 ms of CPU per 10,000-delta answer from the page
    // and the host (a release build 10–30 ms).
    provider: { type: 'string', default: '' },
  },
});
const RUNS = Number(opts.runs);
const TURNS = Number(opts.turns);
const DELTAS = Number(opts.deltas);
const RATE = Number(opts.rate);
const QUIET_MS = Number(opts.quiet);
const PART = opts.part;
const PROFILE = opts.profile;
const TRACE = opts.trace;
const MARKER = 'QZXENDMARKERQZX';
const PAUSE_MS = 400; // after the last delta, before the finish
/** Set with the stream's reply (below). */
let LAST_BLOCKS = [];
/** How many blocks the streamed answer renders as (set with the reply). */
let ANSWER_BLOCKS = 0;
const RUN_LIMIT_MS = 120_000;
/** The long session's answers cycle through this many languages. */
const WARM_LANGS = 4;
/** How long an `idle` window is open before the click. */
const IDLE_MS = 2000;

const ARTIFACTS = join(import.meta.dirname, 'artifacts');
// Relative to where npm was run (npm --prefix web runs this in web/).
const CWD = process.env.INIT_CWD ?? process.cwd();
const HOST = opts.host ? resolve(CWD, opts.host) : HOST_BIN;
const SIBLING_PROVIDER = opts.host ? join(dirname(HOST), 'scripted-provider') : null;
const PROVIDER = opts.provider
  ? resolve(CWD, opts.provider)
  : SIBLING_PROVIDER && existsSync(SIBLING_PROVIDER)
    ? SIBLING_PROVIDER
    : PROVIDER_BIN;
useBrowser({ artifacts: ARTIFACTS, hostBin: HOST, providerBin: PROVIDER });

const out = { date: new Date().toISOString(), runs: RUNS, turns: TURNS, deltas: DELTAS, rate: RATE, repeated: opts.repeated, quietMs: QUIET_MS };
const log = (...a) => console.log(...a);

// ---------------------------------------------------------------------------
// In-page probes (serialised by Playwright; no closures over this file)

/** Before the click on the session: long tasks, the click's time, and a
 * per-frame check of how far the conversation has rendered:
 *   first    the first message is in the DOM;
 *   all      every message of the session is in the DOM (in full, or as a
 *            deferred placeholder that is rendered when it comes near);
 *   markdown every message the list's viewport shows is rendered as
 *            markdown (not the plain-text fallback or a placeholder);
 *   visible  every message the list's viewport shows is rendered in full:
 *            markdown (not the plain-text fallback or a placeholder), its
 *            code blocks highlighted (their tokens in more than one colour;
 *            the unhighlighted body has one). */
function installOpenProbe({ sessionId, messages }) {
  const b = (window.__bench = { click: null, longtasks: [], marks: {}, key: null, scroll: null });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) b.longtasks.push([e.startTime, e.duration]);
  }).observe({ type: 'longtask' });
  const mark = (name) => {
    if (b.marks[name] === undefined) b.marks[name] = performance.now();
  };
  const msgs = document.getElementsByClassName('message'); // live: cheap to read every frame
  // Reads only the messages the viewport shows: the first of them found by
  // bisection (the messages stack in document order), so that the probe,
  // run every frame, does not itself cost the page a rectangle for each of
  // the session's 1,000 messages (~30 ms of the main thread over an open, in
  // a profile).
  window.__visibleRendered = function visibleRendered(list, highlighted = true) {
    const box = list.getBoundingClientRect();
    const all = list.getElementsByClassName('message');
    let lo = 0;
    for (let hi = all.length; lo < hi; ) {
      const mid = (lo + hi) >> 1;
      if (all[mid].getBoundingClientRect().bottom < box.top) lo = mid + 1;
      else hi = mid;
    }
    let seen = 0;
    for (let i = lo; i < all.length; i++) {
      const m = all[i];
      if (m.getBoundingClientRect().top > box.bottom) break;
      seen++;
      if (m.classList.contains('message-deferred') || m.getElementsByClassName('md-fallback').length) return false;
      if (!highlighted) continue;
      for (const block of m.querySelectorAll('[data-streamdown="code-block-body"]')) {
        // Highlighted: its tokens have more than one colour.
        const colours = new Set();
        for (const span of block.querySelectorAll('pre span[style]')) colours.add(span.style.getPropertyValue('--sdm-c'));
        if (colours.size < 2) return false;
      }
    }
    return seen > 0;
  };
  function frame() {
    const list = document.querySelector('.chat .messages');
    if (list && msgs.length > 0) mark('first');
    if (list && msgs.length >= messages) mark('all');
    if (list && b.marks.markdown === undefined && window.__visibleRendered(list, false)) mark('markdown');
    if (list && b.marks.visible === undefined && window.__visibleRendered(list)) mark('visible');
    if (b.marks.all === undefined || b.marks.visible === undefined) requestAnimationFrame(frame);
  }
  addEventListener(
    'click',
    (e) => {
      if (b.click === null && e.target instanceof Element && e.target.closest(`button.link[title="${sessionId}"]`)) {
        b.click = e.timeStamp;
        requestAnimationFrame(frame);
      }
    },
    true,
  );
}

/** Jumps the list to its top (the other end: it opens at its newest) and
 * notes when what it shows there is rendered in full. */
function scrollToTop() {
  const b = window.__bench;
  const list = document.querySelector('.chat .messages');
  b.scroll = { start: performance.now(), visible: null };
  list.scrollTop = 0;
  const frame = () => {
    if (window.__visibleRendered(list)) b.scroll.visible = performance.now();
    else requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

/** A keypress probe on the composer: from the keydown's timestamp to its
 * `input` event being handled, and to the next frame after it. */
function armKeyProbe() {
  const b = window.__bench;
  const ta = document.querySelector('.composer textarea');
  b.key = { down: null, input: null, frame: null };
  ta.addEventListener('keydown', (e) => (b.key.down = e.timeStamp), { once: true });
  ta.addEventListener(
    'input',
    () => {
      b.key.input = performance.now();
      requestAnimationFrame(() => (b.key.frame = performance.now()));
    },
    { once: true },
  );
}

/** Before Send: long tasks, the moment the DOM first holds `marker`, and
 * after each DOM change how many blocks the answer shows as markdown (a
 * block whose parse has not arrived shows its text as written). */
function installStreamProbe({ marker, lastBlocks }) {
  const b = (window.__bench = { longtasks: [], caught: null, caughtFrame: null, frames: [], blocks: [], screen: null });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) b.longtasks.push([e.startTime, e.duration]);
  }).observe({ type: 'longtask' });
  const has = (n) => (n.nodeType === Node.TEXT_NODE ? n.data : n.textContent ?? '').includes(marker);
  const answers = document.getElementsByClassName('assistant'); // live
  const mo = new MutationObserver((muts) => {
    const now = performance.now();
    const body = answers[answers.length - 1]?.getElementsByClassName('md-body')[0];
    // A block not parsed yet shows as written (.md-pending): not counted.
    const pending = body ? body.getElementsByClassName('md-pending').length : 0;
    b.blocks.push([now, body ? body.childElementCount - pending : 0]);
    // The answer's last blocks (what the chat shows at its bottom) all
    // there as markdown: the text of as many blocks from the end, twice
    // over, holds each of theirs, and none of them is pending.
    if (b.screen === null && body) {
      let text = '';
      let parsed = true;
      for (let el = body.lastElementChild, i = 0; el && i < 2 * lastBlocks.length; el = el.previousElementSibling, i++) {
        text += el.textContent;
        if (el.classList.contains('md-pending')) parsed = false;
      }
      if (parsed && lastBlocks.every((m) => text.includes(m))) b.screen = now;
    }
    if (b.caught !== null) return;
    for (const m of muts) {
      if (m.type === 'characterData' ? has(m.target) : [...m.addedNodes].some(has)) {
        b.caught = now;
        requestAnimationFrame(() => (b.caughtFrame = performance.now()));
        return;
      }
    }
  });
  mo.observe(document.querySelector('.chat'), { subtree: true, childList: true, characterData: true });
  // Frame gaps while streaming (a long task shows as a long gap).
  let last = performance.now();
  const tick = (t) => {
    b.frames.push(t - last);
    last = t;
    if (b.caughtFrame === null || performance.now() - b.caughtFrame < 2000) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

/** Long tasks in [from, to): count, longest, total time over 50 ms. */
function taskStats(longtasks, from, to = Infinity) {
  const inRange = longtasks.filter(([s]) => s >= from && s < to);
  return {
    count: inRange.length,
    longest: inRange.reduce((m, [, d]) => Math.max(m, d), 0),
    blocking: inRange.reduce((n, [, d]) => n + Math.max(0, d - 50), 0),
    lastEnd: inRange.reduce((m, [s, d]) => Math.max(m, s + d), from),
  };
}

/** Waits until no long task has ended for `quietMs` after `from` (page
 * time); returns the long tasks seen. */
async function waitQuiet(page, from, quietMs) {
  await page.waitForFunction(
    ({ from, quietMs }) => {
      const b = window.__bench;
      const lastEnd = b.longtasks.reduce((m, [s, d]) => Math.max(m, s + d), from);
      return performance.now() - lastEnd >= quietMs;
    },
    { from, quietMs },
    { polling: 100, timeout: RUN_LIMIT_MS },
  );
  return page.evaluate(() => window.__bench.longtasks);
}

/** Offset of the page's performance clock from this process's: page =
 * here + offset, to within half a round trip (reported). */
async function clockOffset(page) {
  let best = null;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const p = await page.evaluate(() => performance.now());
    const t1 = performance.now();
    if (!best || t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: p - (t0 + t1) / 2 };
  }
  return best;
}

/** With --profile: a CPU profile of `body` in the page, written to
 * artifacts/<name>.cpuprofile (Chrome DevTools opens it). */
async function profiled(page, name, body) {
  if (TRACE && PROFILE) return traced(page, name, () => cpuProfiled(page, name, body));
  if (TRACE) return traced(page, name, body);
  if (!PROFILE) return body();
  return cpuProfiled(page, name, body);
}

async function cpuProfiled(page, name, body) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  try {
    return await body();
  } finally {
    const { profile } = await cdp.send('Profiler.stop');
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, `${name}.cpuprofile`), JSON.stringify(profile));
    await cdp.detach();
  }
}

/** With --trace: a DevTools timeline trace of `body`, written to
 * artifacts/<name>.trace.json, and what the page's long tasks spent their
 * time on (top-level events inside each main-thread task over 50 ms). */
async function traced(page, name, body) {
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  await cdp.send('Tracing.start', {
    categories: 'devtools.timeline,disabled-by-default-devtools.timeline,v8,v8.execute,blink.user_timing',
    transferMode: 'ReportEvents',
  });
  try {
    return await body();
  } finally {
    await cdp.send('Tracing.end');
    await done;
    await cdp.detach();
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, `${name}.trace.json`), JSON.stringify({ traceEvents: events }));
    const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
    const onMain = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X');
    const tasks = onMain.filter((e) => e.name === 'RunTask' && e.dur > 50_000);
    for (const t of tasks) {
      const inside = onMain.filter((e) => e !== t && e.ts >= t.ts && e.ts + (e.dur ?? 0) <= t.ts + t.dur);
      const by = new Map();
      for (const e of inside) by.set(e.name, (by.get(e.name) ?? 0) + (e.dur ?? 0));
      const top = [...by].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, d]) => `${n} ${(d / 1000).toFixed(0)}`);
      // A task's wall time includes time the main thread was not running
      // (other processes or the page's workers on the same cores); `tdur`
      // is its time on the CPU.
      const cpu = t.tdur === undefined ? '' : ` (on the CPU ${(t.tdur / 1000).toFixed(0)} ms)`;
      log(`    long task ${(t.dur / 1000).toFixed(0)} ms${cpu}: ${top.join(', ')}`);
    }
    writeFileSync(join(ARTIFACTS, `${name}.longtasks.json`), JSON.stringify(tasks.map((t) => [t.ts, t.dur, t.tdur])));
    // The task of the step's click (Send, or the session in the list): an
    // input's own task, which the page should keep short.
    const click = onMain.find((e) => e.name === 'EventDispatch' && e.args?.data?.type === 'click');
    const clickTask = click && onMain.findLast((e) => e.name === 'RunTask' && e.ts <= click.ts && e.ts + e.dur >= click.ts + click.dur);
    if (clickTask) {
      const onCpu = clickTask.tdur === undefined ? '' : ` (on the CPU ${(clickTask.tdur / 1000).toFixed(1)} ms)`;
      log(`    the click's task: ${(clickTask.dur / 1000).toFixed(1)} ms${onCpu}`);
    }
  }
}

// ---------------------------------------------------------------------------
// open: a long session

/** Waits until the page's conversation shows `n` highlighted code blocks
 * and then for a second: a window that has highlighted those languages. */
async function warmedUp(page, n) {
  await page.waitForFunction(
    (n) => {
      let done = 0;
      for (const block of document.querySelectorAll('.message [data-streamdown="code-block-body"]')) {
        const colours = new Set();
        for (const span of block.querySelectorAll('pre span[style]')) colours.add(span.style.getPropertyValue('--sdm-c'));
        if (colours.size >= 2) done++;
      }
      return done >= n;
    },
    n,
    { polling: 100, timeout: RUN_LIMIT_MS },
  );
  await page.waitForTimeout(1000);
}

/** `cold`: the first chat a fresh window opens, clicked as soon as the
 * session list shows. `idle`: the same, clicked after the window has been
 * open for IDLE_MS (as a person takes to find the conversation; the window
 * loads the markdown renderer when idle). `warm`: the window has shown
 * another session with code in the same languages first (its markdown
 * renderer and highlighter loaded, the grammars compiled). */
async function openLongSession(world, sessionId, warmId, mode) {
  const samples = [];
  for (let run = 0; run < RUNS; run++) {
    await within(RUN_LIMIT_MS, `open run ${run}`, withPage(
      world,
      {
        name: `bench-open-${mode}-${run}`,
        artifacts: ARTIFACTS,
        ready: async (page) => {
          if (mode === 'warm') {
            await page.locator(`button.link[title="${warmId}"]`).click();
            await warmedUp(page, WARM_LANGS);
          }
          await page.locator(`button.link[title="${sessionId}"]`).waitFor();
          if (mode === 'idle') await page.waitForTimeout(IDLE_MS);
        },
      },
      async ({ page }) => {
        await page.evaluate(installOpenProbe, { sessionId, messages: 2 * TURNS });
        const textarea = page.locator('.composer textarea');
        let keyNow, click, longtasks, cpu;
        await profiled(page, `open-${mode}-${run}`, async () => {
          const cpuBefore = cpuNow();
          await page.locator(`button.link[title="${sessionId}"]`).click();
          // (Not waiting for `all`: the oldest messages join after *visible*,
          // and a key then is what this is to time.)
          await page.waitForFunction(() => window.__bench.marks.visible !== undefined, null, {
            polling: 'raf',
            timeout: RUN_LIMIT_MS,
          });
          // A key right away: how soon does the composer answer?
          await page.evaluate(armKeyProbe);
          await textarea.press('x');
          await page.waitForFunction(() => window.__bench.key.frame !== null, null, { timeout: RUN_LIMIT_MS });
          // (Read after the key, so that reading /proc does not delay it.)
          cpu = cpuSince(cpuBefore);
          keyNow = await page.evaluate(() => ({ ...window.__bench.key }));
          click = await page.evaluate(() => window.__bench.click);
          longtasks = await waitQuiet(page, click, QUIET_MS);
        });
        // And once quiet.
        await page.evaluate(armKeyProbe);
        await textarea.press('y');
        await page.waitForFunction(() => window.__bench.key.frame !== null, null, { timeout: RUN_LIMIT_MS });
        const b = await page.evaluate(() => {
          const fetches = performance
            .getEntriesByType('resource')
            .filter((e) => e.name.includes('/messages'))
            .map((e) => [e.startTime, e.responseEnd]);
          return {
            ...window.__bench,
            fetches,
            domMessages: document.getElementsByClassName('message').length,
            deferred: document.getElementsByClassName('message-deferred').length,
          };
        });
        // Then the other end of the conversation (it opens at its newest).
        await page.evaluate(scrollToTop);
        await page.waitForFunction(() => window.__bench.scroll.visible !== null, null, { polling: 100, timeout: RUN_LIMIT_MS });
        const scrollStart = await page.evaluate(() => window.__bench.scroll.start);
        const scrollTasks = taskStats(await waitQuiet(page, scrollStart, QUIET_MS), scrollStart);
        const scroll = await page.evaluate(() => window.__bench.scroll);

        const tasks = taskStats(longtasks, click);
        const rel = (t) => t - click;
        const fetch = b.fetches.filter(([s]) => s >= click).pop();
        // Not `all`: the oldest messages join the DOM in idle time
        // (ChatPanel.tsx, MOUNT_FIRST); a long task that makes counts.
        const shown = rel(b.marks.visible);
        const sample = {
          first: rel(b.marks.first),
          all: rel(b.marks.all),
          markdown: rel(b.marks.markdown),
          visible: rel(b.marks.visible),
          interactive: Math.max(shown, rel(tasks.lastEnd)),
          fetch: fetch ? fetch[1] - fetch[0] : null,
          fetchEnd: fetch ? rel(fetch[1]) : null,
          longTasks: tasks.count,
          longestTask: tasks.longest,
          blocking: tasks.blocking,
          keyAtShown: { at: rel(keyNow.down), input: keyNow.input - keyNow.down, frame: keyNow.frame - keyNow.down },
          keyQuiet: { input: b.key.input - b.key.down, frame: b.key.frame - b.key.down },
          domMessages: b.domMessages,
          deferred: b.deferred,
          scrollTop: { visible: scroll.visible - scroll.start, longTasks: scrollTasks.count, longestTask: scrollTasks.longest },
          // From the click to the key pressed at *visible* handled.
          cpu: Object.fromEntries(cpu),
        };
        samples.push(sample);
        log(
          `  open ${mode} ${run + 1}/${RUNS}: first ${fmt(sample.first)} ms, all ${fmt(sample.all)}, markdown ${fmt(sample.markdown)}, ` +
            `visible ${fmt(sample.visible)}, ` +
            `interactive ${fmt(sample.interactive)} (messages fetch ${fmt(sample.fetch)} ms, ends at ${fmt(sample.fetchEnd)}); ` +
            `long tasks ${sample.longTasks}, longest ${fmt(sample.longestTask)} ms, blocking ${fmt(sample.blocking)} ms; ` +
            `key at ${fmt(sample.keyAtShown.at)}: input ${fmt(sample.keyAtShown.input)} ms, frame ${fmt(sample.keyAtShown.frame)} ms; ` +
            `key when quiet: frame ${fmt(sample.keyQuiet.frame)} ms; ${sample.domMessages} messages in the DOM, ${sample.deferred} deferred; ` +
            `jump to the top: visible ${fmt(sample.scrollTop.visible)} ms, long tasks ${sample.scrollTop.longTasks}, longest ${fmt(sample.scrollTop.longestTask)} ms\n` +
            `    CPU until visible and a key (ms): ${fmtCpu(cpu)}`,
        );
      },
    ));
  }
  return samples;
}

// ---------------------------------------------------------------------------
// stream: one long answer

/** `cold`: the first answer in a fresh window. `warm`: a short answer with
 * code in the same language came first. */
async function streamLongAnswer(world, proxy, mode, run) {
  const viaProxy = { ...world, host: { ...world.host, base: proxy.base } };
  const session = await world.host.api('POST', '/sessions', {});
  let sample;
  await within(RUN_LIMIT_MS, `stream ${mode} run ${run}`, withPage(
    viaProxy,
    {
      name: `bench-stream-${mode}-${run}`,
      artifacts: ARTIFACTS,
      ready: async (page) => {
        await page.locator(`button.link[title="${session.id}"]`).click();
        await page.locator('.composer textarea').waitFor();
        if (mode === 'warm') {
          await send(page, 'A short answer first');
          await page.locator('.message.assistant .message-actions').last().waitFor({ timeout: RUN_LIMIT_MS });
          await warmedUp(page, 1);
        }
      },
    },
    async ({ page }) => {
      await page.evaluate(installStreamProbe, { marker: MARKER, lastBlocks: LAST_BLOCKS });
      const armed = proxy.watch(MARKER);
      const sentAt = await page.evaluate(() => performance.now());
      let cpu, cpuWhole;
      await profiled(page, `stream-${mode}-${run}`, async () => {
        const cpuBefore = cpuNow();
        await send(page, `Stream ${DELTAS} deltas (${run})`);
        await page.waitForFunction(() => window.__bench.caughtFrame !== null, null, { polling: 100, timeout: RUN_LIMIT_MS });
        cpu = cpuSince(cpuBefore);
        // Every block of the answer shown (a profile or trace covers it
        // too): a block whose parse arrives late is not missing for good.
        await page.waitForFunction((n) => (window.__bench.blocks.at(-1)?.[1] ?? 0) >= n, ANSWER_BLOCKS, {
          polling: 50,
          timeout: RUN_LIMIT_MS,
        });
        cpuWhole = cpuSince(cpuBefore);
      });
      await page.locator('.message.assistant .message-actions').last().waitFor({ timeout: RUN_LIMIT_MS });
      const longtasks = await waitQuiet(page, sentAt, QUIET_MS);
      const clock = await clockOffset(page);
      const b = await page.evaluate(() => {
        const turn = performance
          .getEntriesByType('resource')
          .filter((e) => e.name.endsWith('/turns'))
          .pop();
        return { ...window.__bench, turn: turn ? [turn.startTime, turn.responseEnd] : null };
      });
      if (armed.at === null) throw new Error('the proxy never saw the marker');
      const arrived = armed.at + clock.offset;
      const tasks = taskStats(longtasks, sentAt);
      // The whole answer shown: the first DOM change after which the answer
      // shows each of its blocks.
      const whole = b.blocks.find(([, n]) => n >= ANSWER_BLOCKS)?.[0] ?? NaN;
      // The longest a delta waited to be shown: from a network read with
      // deltas reaching the page to the chat's next change (a lower bound:
      // that change may show only earlier deltas). Unlike the catch-up it
      // covers the whole answer: a page that shows nothing until a fast
      // stream ends has a short catch-up and a long wait.
      const updates = b.blocks.map(([t]) => t).filter((t) => t <= b.caught);
      const stale = armed.deltas.reduce((m, at) => {
        const t = at + clock.offset;
        const shown = updates.find((u) => u >= t) ?? b.caught;
        return Math.max(m, shown - t);
      }, 0);
      sample = {
        longTasks: tasks.count,
        longestTask: tasks.longest,
        blocking: tasks.blocking,
        caughtUp: b.caught - arrived,
        caughtUpFrame: b.caughtFrame - arrived,
        lastBlocks: b.screen - arrived,
        wholeAnswer: whole - arrived,
        stale,
        streamMs: b.turn ? arrived - b.turn[0] : null,
        clockRtt: clock.rtt,
        longestFrameGap: Math.max(...b.frames),
        // From the Send click to the DOM holding the last delta, and to its
        // every block.
        cpu: Object.fromEntries(cpu),
        cpuWhole: Object.fromEntries(cpuWhole),
      };
      log(
        `  stream ${mode} ${run + 1}/${RUNS}: long tasks ${sample.longTasks}, longest ${fmt(sample.longestTask)} ms, ` +
          `blocking ${fmt(sample.blocking)} ms; last delta → DOM ${fmt(sample.caughtUp)} ms (→ next frame ${fmt(sample.caughtUpFrame)}); ` +
          `→ its last ${LAST_BLOCKS.length + 1} blocks ${fmt(sample.lastBlocks)} ms → whole answer (${ANSWER_BLOCKS} blocks) ${fmt(sample.wholeAnswer)} ms; longest wait for a delta ${fmt(sample.stale)} ms; ` +
          `request → last delta ${fmt(sample.streamMs)} ms; longest frame gap ${fmt(sample.longestFrameGap)} ms; clock ±${fmt(clock.rtt / 2)} ms\n` +
          `    CPU until caught up (ms): ${fmtCpu(cpu)}; until the whole answer: ${fmtCpu(cpuWhole)}`,
      );
    },
  ));
  return sample;
}

// ---------------------------------------------------------------------------

function summarise(name, samples, keys) {
  const row = {};
  for (const k of keys) {
    const get = (s) => k.split('.').reduce((o, p) => o?.[p], s);
    const xs = samples.map(get).filter((x) => typeof x === 'number');
    row[k] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
  }
  log(`\n${name} (n=${samples.length}; median [min – max]):`);
  for (const [k, v] of Object.entries(row)) log(`  ${k.padEnd(20)} ${fmt(v.median).padStart(9)}  [${fmt(v.min)} – ${fmt(v.max)}]`);
  return row;
}

// One node:test test only because world.mjs's useBrowser() sets the browser
// up in a root `before` hook, and a test is what runs after those hooks
// (root hooks run concurrently with each other). It prints, never asserts.
test('chat benchmark (prints figures)', async () => {
  const reply = deltaReply(DELTAS, MARKER, PAUSE_MS, RATE, !opts.repeated);
  const blocks = replyBlocks(reply);
  // A text of each of the answer's last blocks before the marker's: about
  // a screenful. With --repeated every block's text is alike, and the
  // figure says little.
  LAST_BLOCKS = blocks.slice(-10).map((b) => b.text);
  // Its paragraphs and code blocks, and the marker's paragraph.
  ANSWER_BLOCKS = blocks.length + 1;
  if (deltaCount(reply) !== DELTAS) throw new Error(`the stream reply has ${deltaCount(reply)} deltas, not ${DELTAS}`);
  const doOpen = PART === 'all' || PART === 'open';
  const doStream = PART === 'all' || PART === 'stream';
  // The provider answers requests in order.
  const script = [
    ...(doOpen ? Array.from({ length: TURNS }, (_, i) => textReply(codeAnswer(i))) : []),
    ...(doOpen ? Array.from({ length: WARM_LANGS }, (_, i) => textReply(codeAnswer(i))) : []),
    ...(doStream ? Array.from({ length: RUNS }, () => [reply, textReply(codeAnswer(1)), reply]).flat() : []),
  ];
  out.host = HOST;
  out.provider = PROVIDER;
  const world = await startWorld({ name: 'bench', script, hostBin: out.host, providerBin: out.provider });
  let proxy;
  try {
    out.loadavg = loadavg();
    log(`chat bench: host ${out.host}; provider ${out.provider}; ${RUNS} runs; load average ${out.loadavg.map((x) => x.toFixed(2)).join(' ')}`);
    if (doOpen) {
      const session = await world.host.api('POST', '/sessions', {});
      const t0 = performance.now();
      for (let i = 0; i < TURNS; i++) await runTurn(world.host, session.id, `Question ${i}: how do I sum a list?`);
      const built = performance.now() - t0;
      const { messages } = await world.host.api('GET', `/sessions/${encodeURIComponent(session.id)}/messages`);
      if (messages.length !== 2 * TURNS) throw new Error(`the session has ${messages.length} messages, not ${2 * TURNS}`);
      const bytes = JSON.stringify({ messages }).length;
      log(`open: ${messages.length} messages (${(bytes / 1e6).toFixed(2)} MB of JSON) built by ${TURNS} turns in ${(built / 1000).toFixed(1)} s`);
      // The warm-up session: one answer in each language of the long one.
      const warm = await world.host.api('POST', '/sessions', {});
      for (let i = 0; i < WARM_LANGS; i++) await runTurn(world.host, warm.id, `Warm-up ${i}`);
      out.open = { messages: messages.length, jsonBytes: bytes };
      for (const mode of ['cold', 'idle', 'warm']) {
        const samples = await openLongSession(world, session.id, warm.id, mode);
        out.open[mode] = {
          summary: summarise(`open a ${messages.length}-message session, ${mode}`, samples, [
            'first', 'all', 'markdown', 'visible', 'interactive', 'fetch', 'longTasks', 'longestTask', 'blocking',
            'keyAtShown.input', 'keyAtShown.frame', 'keyQuiet.frame', 'deferred',
            'scrollTop.visible', 'scrollTop.longTasks', 'scrollTop.longestTask',
          ]),
          samples,
        };
      }
    }
    if (doStream) {
      proxy = await startProxy(world.host.base);
      log(`stream: ${DELTAS} deltas per answer, ${RATE > 0 ? `${RATE} per second` : 'as fast as the provider writes'}`);
      const samples = { cold: [], warm: [] };
      for (let run = 0; run < RUNS; run++) {
        for (const mode of ['cold', 'warm']) samples[mode].push(await streamLongAnswer(world, proxy, mode, run));
      }
      out.stream = {};
      for (const mode of ['cold', 'warm']) {
        out.stream[mode] = {
          summary: summarise(`stream a ${DELTAS}-delta answer, ${mode}`, samples[mode], [
            'longTasks', 'longestTask', 'blocking', 'caughtUp', 'caughtUpFrame', 'lastBlocks', 'wholeAnswer', 'stale', 'streamMs', 'longestFrameGap',
            'cpuWhole.chromium renderer',
          ]),
          samples: samples[mode],
        };
      }
    }
  } finally {
    await proxy?.stop();
    await world.stop();
  }
  out.loadavgAfter = loadavg();
  log(`load average after: ${out.loadavgAfter.map((x) => x.toFixed(2)).join(' ')}`);
  log(JSON.stringify(out));
});
