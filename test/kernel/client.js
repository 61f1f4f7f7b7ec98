#!/usr/bin/env node
// A client for the kernel suite, run in the client namespace: one HTTP GET after another on a new
// TCP connection each (so IPVS schedules every request), for each URL in turn, until SIGTERM.
// Prints one JSON line per request: {t, url, ok, body} or {t, url, ok: false, error}.
//   node client.js PAUSE_MS URL...
import http from 'node:http';

const [pauseArg, ...urls] = process.argv.slice(2);
const pause = Number(pauseArg) || 50;
let running = true;
process.on('SIGTERM', () => { running = false; });

function get(url) {
  return new Promise((resolve) => {
    const t = Date.now();
    const req = http.get(url, { agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ t, url, ok: res.statusCode === 200, body: body.trim() }));
      res.on('error', (e) => resolve({ t, url, ok: false, error: e.code ?? e.message }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e) => resolve({ t, url, ok: false, error: e.code ?? e.message }));
  });
}

while (running) {
  for (const url of urls) {
    if (!running) break;
    process.stdout.write(`${JSON.stringify(await get(url))}\n`);
  }
  await new Promise((r) => setTimeout(r, pause));
}
