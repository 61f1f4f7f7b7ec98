#!/usr/bin/env node
// The floor of a check in bare Node on this machine: the same exchange lvsd's checkers make
// (connect then close; or connect, one HTTP/1.0 GET, read to the end, close), with node:net
// alone and no lvsd code, `concurrency` at a time against the farm. Prints JSON: the process's
// CPU per check and checks per second. What lvsd costs above this is lvsd's.
//   node floor-client.js '{"hosts":[...],"port":N,"check":"connect"|"http","count":N,"concurrency":N}'
import net from 'node:net';

const { hosts, port, check, count, concurrency } = JSON.parse(process.argv[2]);

function one(host) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let head = '';
    s.setTimeout(2000, () => s.destroy());
    s.on('connect', () => {
      if (check === 'connect') s.destroy();
      else s.write(`GET / HTTP/1.0\r\nHost: ${host}\r\nUser-Agent: floor\r\nConnection: close\r\n\r\n`);
    });
    s.on('data', (d) => {
      if (head.length < 16) head += d.toString('latin1');
    });
    s.on('end', () => s.destroy());
    s.on('error', () => {});
    s.on('close', () => resolve(check === 'connect' || head.startsWith('HTTP/1.1 200')));
  });
}

async function run(n) {
  let next = 0;
  let ok = 0;
  const worker = async () => {
    while (next < n) {
      if (await one(hosts[next++ % hosts.length])) ok++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ok;
}

await run(Math.min(1000, count)); // warm-up: the JIT, the first connections
const c0 = process.cpuUsage();
const t0 = performance.now();
const ok = await run(count);
const cpu = process.cpuUsage(c0);
const secs = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ cpuPerCheckMs: (cpu.user + cpu.system) / 1000 / count, checksPerSec: count / secs, failed: count - ok }));
