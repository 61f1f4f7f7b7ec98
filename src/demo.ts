// `npm start`: a self-contained tour. Three real HTTP servers and a sorry server on loopback,
// the real lvsd pipeline checking them, and an in-memory IPVS table (the kernel is never touched).
// One server dies, then all do (the fallback takes over), then one comes back.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config/load.js';
import { checkerFor } from './checks/registry.js';
import { createDriver } from './ipvs/index.js';
import type { IpvsDriver } from './ipvs/types.js';
import { Daemon } from './daemon/daemon.js';
import { ctime } from './log/text.js';

interface Real {
  name: string;
  host: string;
  port: number;
  server?: Server;
}

function listen(host: string, port: number, body: string): Promise<Server> {
  const srv = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(req.url === '/health' ? `OK ${body}\n` : `${body}\n`);
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => resolve(srv));
  });
}

function close(srv: Server | undefined): Promise<void> {
  if (!srv) return Promise.resolve();
  srv.closeAllConnections();
  return new Promise((r) => srv.close(() => r()));
}

const say = (m: string) => process.stdout.write(`[${ctime()}] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function printTable(driver: IpvsDriver): Promise<void> {
  const t = await driver.read();
  for (const s of t.services) {
    process.stdout.write(`      ${s.key.protocol.toUpperCase()}  ${s.key.address}:${s.key.port} ${s.scheduler}\n`);
    if (s.dests.length === 0) process.stdout.write('        (no real servers)\n');
    for (const d of s.dests) process.stdout.write(`        -> ${d.address}:${d.port}  ${d.forward}  weight ${d.weight}\n`);
  }
}

export async function runDemo(): Promise<number> {
  const reals: Real[] = [
    { name: 'web-1', host: '127.0.0.11', port: 0 },
    { name: 'web-2', host: '127.0.0.12', port: 0 },
    { name: 'web-3', host: '127.0.0.13', port: 0 },
  ];
  for (const r of reals) {
    r.server = await listen(r.host, 0, r.name);
    r.port = (r.server.address() as AddressInfo).port;
  }
  const sorry = await listen('127.0.0.10', 0, 'sorry, we are down for maintenance');
  const sorryPort = (sorry.address() as AddressInfo).port;

  const dir = mkdtempSync(join(tmpdir(), 'lvsd-demo-'));
  const file = join(dir, 'demo.cf');
  writeFileSync(
    file,
    [
      '# lvsd demo: an ldirectord.cf like any other',
      'checkinterval=1',
      'checktimeout=1',
      'negotiatetimeout=1',
      'quiescent=no',
      '',
      'virtual=127.0.0.100:80',
      ...reals.map((r, i) => `    real=${r.host}:${r.port} masq ${i + 1}`),
      `    fallback=127.0.0.10:${sorryPort} masq`,
      '    service=http',
      '    request="/health"',
      '    receive="^OK"',
      '    scheduler=wrr',
      '',
    ].join('\n'),
  );
  say(`config ${file}:`);
  process.stdout.write(`${(await import('node:fs')).readFileSync(file, 'utf8').replace(/^/gm, '      ')}\n`);

  const driver = createDriver('memory', {});
  const daemon = new Daemon({ config: await loadConfig(file), driver, checkerFor, maxJitterMs: 200 });
  daemon.bus.on('ipvs', (e) => say(e.message));
  daemon.bus.on('transition', (e) => {
    if (e.from !== 'unknown') say(`health: ${e.real.address}:${e.real.port} ${e.from} -> ${e.to} (${e.message})`);
  });
  daemon.bus.on('applied', (e) => {
    if (e.changes > 0) void printTable(driver);
  });

  say('starting lvsd with an in-memory IPVS table (the kernel is not touched)');
  await daemon.start();
  say('first round of checks applied: all three real servers are in the table');
  await sleep(3000);

  say(`>>> stopping ${reals[1]!.name} (${reals[1]!.host}): it leaves the table at its next check`);
  await close(reals[1]!.server);
  await sleep(3000);

  say('>>> stopping the other two: no real server is left, the fallback (sorry server) takes over');
  await Promise.all([close(reals[0]!.server), close(reals[2]!.server)]);
  await sleep(3000);

  say(`>>> bringing ${reals[0]!.name} back: it returns and the fallback goes`);
  reals[0]!.server = await listen(reals[0]!.host, reals[0]!.port, reals[0]!.name);
  await sleep(3000);

  say('stopping lvsd (cleanstop=yes removes the virtual service)');
  await daemon.stop();
  await printTable(driver);
  await Promise.all([...reals.map((r) => close(r.server)), close(sorry)]);
  rmSync(dir, { recursive: true, force: true });
  say('demo finished. Run it on a director: see README.md, "Install on a director".');
  return 0;
}
