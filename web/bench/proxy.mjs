// A loopback TCP proxy between the page and the host that notes, on this
// process's clock, when a marker's bytes pass through a response. The page
// reads its stream on the main thread, so neither the page nor the DevTools
// network events (stamped when the renderer reads) can say when bytes
// *arrived* while the main thread was busy; this process, idle meanwhile,
// can. Adds one loopback hop (well under a millisecond).
//
// It copies bytes (a TCP proxy, not an HTTP one) and looks at them with
// Buffer.indexOf: the page, the host and the provider share this machine's
// cores, and an HTTP proxy (parsing the host's chunked answer, decoding it
// as text to search it, framing it again) took ~0.1 s of CPU during a
// 10,000-delta stream, a share of what the page could have had. The one
// thing it changes is each request's Host header (the proxy's port for the
// host's), as the host's perimeter checks it; requests' headers come in
// one read.

import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { within } from '../e2e/world.mjs';

/** Proxies to `target` (`http://127.0.0.1:port`). `watch(marker)` arms a
 * one-shot stamp (`performance.now()` here) of the first chunk from the
 * host whose bytes (with the previous chunk's tail) hold `marker` (`at`),
 * and of each chunk until then that holds a text delta (`deltas`). */
export async function startProxy(target) {
  const { hostname, port: targetPort } = new URL(target);
  let armed = null;
  const sockets = new Set();
  const DELTA = Buffer.from('"text-delta"');
  const server = createServer((down) => {
    const up = connect(Number(targetPort), hostname);
    sockets.add(down).add(up);
    let tail = Buffer.alloc(0);
    up.on('data', (chunk) => {
      if (armed && !armed.at) {
        const bytes = tail.length ? Buffer.concat([tail, chunk]) : chunk;
        if (bytes.indexOf(DELTA) >= 0) armed.deltas.push(performance.now());
        if (bytes.indexOf(armed.marker) >= 0) armed.at = performance.now();
        tail = Buffer.from(bytes.subarray(Math.max(0, bytes.length - armed.marker.length)));
      }
      if (!down.write(chunk)) {
        up.pause();
        down.once('drain', () => up.resume());
      }
    });
    down.on('end', () => up.end());
    down.on('data', (chunk) => {
      const at = chunk.indexOf(hostHeader);
      up.write(at < 0 ? chunk : Buffer.concat([chunk.subarray(0, at), targetHeader, chunk.subarray(at + hostHeader.length)]));
    });
    const close = () => {
      down.destroy();
      up.destroy();
      sockets.delete(down);
      sockets.delete(up);
    };
    up.on('end', () => down.end());
    up.on('error', close).on('close', close);
    down.on('error', close).on('close', close);
  });
  server.listen(0, '127.0.0.1');
  await within(10_000, 'proxy listen', once(server, 'listening'));
  const { port } = server.address();
  const hostHeader = Buffer.from(`\r\nHost: 127.0.0.1:${port}\r\n`);
  const targetHeader = Buffer.from(`\r\nHost: ${hostname}:${targetPort}\r\n`);
  return {
    base: `http://127.0.0.1:${port}`,
    watch(marker) {
      armed = { marker: Buffer.from(marker), at: null, deltas: [] };
      return armed;
    },
    stop: () =>
      within(
        5_000,
        'proxy close',
        new Promise((r) => {
          server.close(() => r());
          for (const s of sockets) s.destroy();
        }),
      ).catch(() => {}),
  };
}
