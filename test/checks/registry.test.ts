// Dispatch (checkerFor), the network-free checks, and checktype=N against a real HTTP server
// that counts TCP connections and HTTP requests separately.
import t from 'tap';
import http from 'node:http';
import type net from 'node:net';
import { checkerFor, negotiatorFor, perTarget } from '../../src/checks/registry.js';
import { connectChecker } from '../../src/checks/connect.js';
import { dnsChecker } from '../../src/checks/dns.js';
import type { LazyChecker } from '../../src/checks/lazy.js';
import { externalChecker } from '../../src/checks/external.js';
import { externalPerlChecker } from '../../src/checks/external-perl.js';
import { httpChecker } from '../../src/checks/http.js';
import { pingChecker } from '../../src/checks/ping.js';
import { simpletcpChecker } from '../../src/checks/simpletcp.js';
import { sipChecker } from '../../src/checks/sip.js';
import { isPassive, noneChecker, offChecker, onChecker } from '../../src/checks/static.js';
import type { Service } from '../../src/config/model.js';
import { never, target } from './helpers.js';

t.test('checktype dispatch', async (t) => {
  t.equal(checkerFor(target({ checktype: 'connect' })), connectChecker);
  t.equal(checkerFor(target({ checktype: 'ping' })), pingChecker);
  t.equal(checkerFor(target({ checktype: 'external' })), externalChecker);
  t.equal(checkerFor(target({ checktype: 'external-perl' })), externalPerlChecker);
  t.equal(checkerFor(target({ checktype: 'on' })), onChecker);
  t.equal(checkerFor(target({ checktype: 'off' })), offChecker);
});

t.test('negotiate dispatch by service', async (t) => {
  const cases: [Service, unknown][] = [
    ['sip', sipChecker], ['simpletcp', simpletcpChecker], ['none', noneChecker],
  ];
  for (const [service, checker] of cases) t.equal(checkerFor(target({ service })), checker, service);
  for (const service of ['http', 'https', 'http_proxy'] as const) {
    t.equal(await (checkerFor(target({ service })) as LazyChecker).load(), httpChecker, `${service}, loaded on first use`);
  }
  t.equal(await (checkerFor(target({ service: 'dns' })) as LazyChecker).load(), dnsChecker, 'dns, loaded on first use');
});

t.test('perTarget: one checker per target object', async (t) => {
  let built = 0;
  const lookup = perTarget((tg) => (built++, checkerFor(tg)));
  const a = target({ checktype: 'connect' });
  const b = target({ checktype: 'connect' });
  t.equal(lookup(a), lookup(a), 'the same object for the same target');
  t.equal(built, 1, 'built once');
  lookup(b);
  t.equal(built, 2, 'a new target (a reload makes new ones) gets its own');
});

t.test('a service without a checker is down with a reason, never a throw', async (t) => {
  const r = await negotiatorFor({ service: 'gopher' as Service }).check(target(), never);
  t.same(r, { ok: false, message: 'negotiate check for service gopher is not implemented' });
});

t.test('on, none, off', async (t) => {
  t.equal((await checkerFor(target({ checktype: 'on' })).check(target(), never)).ok, true);
  t.equal((await checkerFor(target({ service: 'none' })).check(target(), never)).ok, true);
  t.ok(isPassive({ checktype: 'off' }), 'off is passive: the scheduler never runs it');
  t.notOk(isPassive({ checktype: 'on' }));
  t.notOk(isPassive({ checktype: 'negotiate' }));
  t.equal((await offChecker.check(target({ checktype: 'off' }), never)).ok, false, 'if run anyway: down, as after start');
});

/** An HTTP server that tells a bare TCP connect (no request) from a negotiate (a request). */
async function countingServer(t: { teardown: (fn: () => void) => void }, port = 0) {
  const counts = { connections: 0, requests: 0 };
  const server = http.createServer((_req, res) => {
    counts.requests++;
    res.end('Test Page');
  });
  server.on('connection', () => counts.connections++);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const close = (): Promise<void> =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  t.teardown(() => void close());
  return { port: (server.address() as net.AddressInfo).port, counts, close };
}

/** Runs one check and reports which kind it was from the server's counters. */
async function kindOf(counts: { connections: number; requests: number }, run: () => Promise<unknown>) {
  const before = { ...counts };
  await run();
  // the server's 'request' event may trail the client's response by a tick
  await new Promise((r) => setTimeout(r, 20));
  return counts.requests > before.requests ? 'negotiate' : counts.connections > before.connections ? 'connect' : 'none';
}

t.test('checktype=2: negotiate, connect, connect, negotiate, ...', async (t) => {
  const { port, counts } = await countingServer(t);
  const tg = target({ checktype: 'combined', negotiateEvery: 2, service: 'http', port, receive: /Test/ });
  const kinds: string[] = [];
  for (let i = 0; i < 7; i++) kinds.push(await kindOf(counts, () => checkerFor(tg).check(tg, never)));
  t.same(kinds, ['negotiate', 'connect', 'connect', 'negotiate', 'connect', 'connect', 'negotiate']);
});

t.test('checktype=0: always negotiate', async (t) => {
  const { port, counts } = await countingServer(t);
  const tg = target({ checktype: 'combined', negotiateEvery: 0, service: 'http', port });
  const kinds: string[] = [];
  for (let i = 0; i < 3; i++) kinds.push(await kindOf(counts, () => checkerFor(tg).check(tg, never)));
  t.same(kinds, ['negotiate', 'negotiate', 'negotiate']);
});

t.test('a failed connect forces a negotiate next time; a failed negotiate is retried', async (t) => {
  const first = await countingServer(t);
  const port = first.port;
  const tg = target({ checktype: 'combined', negotiateEvery: 3, service: 'http', port, receive: /Test/ });
  const check = () => checkerFor(tg).check(tg, never);
  t.equal(await kindOf(first.counts, check), 'negotiate');
  t.equal(await kindOf(first.counts, check), 'connect');
  await first.close();
  t.equal((await check()).ok, false, 'connect refused while the server is down');
  const again = await countingServer(t, port);
  t.equal(await kindOf(again.counts, check), 'negotiate', 'negotiate right after the failed connect');
  t.equal(await kindOf(again.counts, check), 'connect');

  // a negotiate that fails (wrong body) is not followed by connects
  const other = target({ ...tg, key: `${tg.key}-mismatch`, receive: /absent/ });
  const checkOther = () => checkerFor(other).check(other, never);
  t.equal(await kindOf(again.counts, checkOther), 'negotiate');
  t.equal(await kindOf(again.counts, checkOther), 'negotiate');
});
