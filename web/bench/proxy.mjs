// A loopback HTTP proxy between the page and the host that notes, on this
// process's clock, when a marker's bytes pass through a response. The page
// reads its stream on the main thread, so neither the page nor the DevTools
// network events (stamped when the renderer reads) can say when bytes
// *arrived* while the main thread was busy; this process, idle meanwhile,
// can. Adds one loopback hop (well under a millisecond).

import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import { within } from '../e2e/world.mjs';

/** Proxies to `target` (`http://127.0.0.1:port`). `watch(marker)` arms a
 * one-shot stamp (`performance.now()` here) of the first response chunk
 * whose text (with the previous chunk's tail) holds `marker` (`at`), and
 * of each chunk until then that holds a text delta (`deltas`). */
export async function startProxy(target) {
  const { host: targetHost } = new URL(target);
  let armed = null;
  const server = createServer((req, res) => {
    const headers = { ...req.headers, host: targetHost };
    const up = httpRequest(`${target}${req.url}`, { method: req.method, headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      let tail = '';
      upRes.on('data', (chunk) => {
        if (armed && !armed.at) {
          const text = tail + chunk.toString('latin1');
          if (text.includes('"text-delta"')) armed.deltas.push(performance.now());
          if (text.includes(armed.marker)) armed.at = performance.now();
          tail = text.slice(-armed.marker.length);
        }
        res.write(chunk);
      });
      upRes.on('end', () => res.end());
      upRes.on('error', () => res.destroy());
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  server.listen(0, '127.0.0.1');
  await within(10_000, 'proxy listen', once(server, 'listening'));
  const { port } = server.address();
  return {
    base: `http://127.0.0.1:${port}`,
    watch(marker) {
      armed = { marker, at: null, deltas: [] };
      return armed;
    },
    stop: () =>
      within(
        5_000,
        'proxy close',
        new Promise((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
      ).catch(() => {}),
  };
}
