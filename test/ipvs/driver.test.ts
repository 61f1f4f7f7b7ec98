// IpvsadmDriver against the ipvsadm stand-in (real processes), and MemoryDriver against it:
// the same change sequences must leave equal tables and report the same failures.
import t from 'tap';
import { chmodSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { IpvsadmDriver } from '../../src/ipvs/ipvsadm.js';
import { MemoryDriver } from '../../src/ipvs/memory.js';
import { createDriver } from '../../src/ipvs/index.js';
import { IpvsError } from '../../src/ipvs/types.js';
import type { Change, Dest, ServiceAttrs, ServiceKey } from '../../src/ipvs/types.js';
import { invocations, ipvsadm, sandbox, STANDIN } from './helpers.js';

const web: ServiceKey = { protocol: 'tcp', family: 4, address: '10.0.0.1', port: 80 };
const dns6: ServiceKey = { protocol: 'udp', family: 6, address: '2001:db8::1', port: 53 };
const mark: ServiceKey = { protocol: 'fwm', family: 4, port: 0, fwmark: 7 };
const attrs = (a: Partial<ServiceAttrs> = {}): ServiceAttrs => ({ scheduler: 'wrr', ops: false, ...a });
const dest = (address: string, port: number, d: Partial<Dest> = {}): Dest => ({ address, port, forward: 'masq', weight: 1, upper: 0, lower: 0, ...d });

const sequences: { name: string; changes: Change[] }[] = [
  {
    name: 'build a table',
    changes: [
      { op: 'add-service', service: web, attrs: attrs({ persistent: 300, netmask: '255.255.255.0' }) },
      { op: 'add-dest', service: web, dest: dest('10.0.0.2', 8080, { weight: 5, upper: 100, lower: 10 }) },
      { op: 'add-dest', service: web, dest: dest('10.0.0.3', 80, { forward: 'gate', weight: 3 }) },
      { op: 'add-service', service: dns6, attrs: attrs({ scheduler: 'sh', ops: true, schedflags: 'sh-port' }) },
      { op: 'add-dest', service: dns6, dest: dest('2001:db8::5', 53) },
      { op: 'add-service', service: mark, attrs: attrs({ persistent: 60 }) },
      { op: 'add-dest', service: mark, dest: dest('10.0.0.50', 0, { forward: 'gate' }) },
    ],
  },
  {
    name: 'edit, quiesce, delete',
    changes: [
      { op: 'edit-service', service: web, attrs: attrs({ scheduler: 'rr' }) },
      { op: 'edit-dest', service: web, dest: dest('10.0.0.2', 8080, { weight: 0 }) },
      { op: 'del-dest', service: dns6, address: '2001:db8::5', port: 53 },
      { op: 'del-service', service: mark },
    ],
  },
  {
    name: 'failures in the middle of a batch',
    changes: [
      { op: 'add-dest', service: web, dest: dest('10.0.0.3', 9999, { forward: 'gate' }) }, // same as 10.0.0.3:80
      { op: 'add-dest', service: web, dest: dest('10.0.0.4', 80) },
      { op: 'del-dest', service: web, address: '10.0.0.9', port: 80 },
      { op: 'add-dest', service: web, dest: dest('10.0.0.5', 80, { weight: 70, lower: 5 }) }, // lower > upper
      { op: 'add-dest', service: web, dest: dest('10.0.0.6', 80, { weight: -1 }) }, // ipvsadm refuses
      { op: 'add-service', service: web, attrs: attrs() },
      { op: 'add-dest', service: mark, dest: dest('10.0.0.7', 0) },
      { op: 'add-dest', service: web, dest: dest('10.0.0.8', 80) },
    ],
  },
];

const expectedFailures = [
  [],
  [],
  [
    'Destination already exists',
    'No such destination',
    'Numerical result out of range',
    'ipvsadm refuses the line: illegal weight specified',
    'Service already exists',
    'Service not defined',
  ],
];

t.test('IpvsadmDriver and MemoryDriver end in equal tables and report the same failures', async (t) => {
  const sb = sandbox(t);
  const real = new IpvsadmDriver({ path: STANDIN, env: sb.env });
  const mem = new MemoryDriver();
  for (const [i, seq] of sequences.entries()) {
    const r1 = await real.apply(seq.changes);
    const r2 = await mem.apply(seq.changes);
    const errs = (r: typeof r1): string[] => r.failed.map((f) => f.error).sort();
    t.same(errs(r1), [...expectedFailures[i]!].sort(), `${seq.name}: ipvsadm failures`);
    t.same(errs(r2), errs(r1), `${seq.name}: memory reports the same failures`);
    const pairs = (r: typeof r1): string[] => r.failed.map((f) => JSON.stringify([f.change, f.error])).sort();
    t.same(pairs(r2), pairs(r1), `${seq.name}: the same change gets the same message`);
    t.same(await real.read(), await mem.read(), `${seq.name}: equal tables`);
  }
  const final = await real.read();
  const w = final.services.find((s) => s.key.address === '10.0.0.1');
  t.same(w?.dests.map((d) => `${d.address}:${d.port} ${d.forward} ${d.weight} ${d.upper}/${d.lower}`), [
    '10.0.0.2:8080 masq 0 0/0',
    '10.0.0.3:80 gate 3 0/0',
    '10.0.0.4:80 masq 1 0/0',
    '10.0.0.8:80 masq 1 0/0',
  ]);
});

t.test('read() returns what was applied, thresholds included', async (t) => {
  const sb = sandbox(t);
  const d = new IpvsadmDriver({ path: STANDIN, env: sb.env });
  t.same((await d.apply(sequences[0]!.changes)).failed, []);
  const table = await d.read();
  t.same(table.services.map((s) => s.key), [web, dns6, mark]);
  t.same(table.services[0], { key: web, scheduler: 'wrr', ops: false, persistent: 300, netmask: '255.255.255.0', dests: [
    dest('10.0.0.2', 8080, { weight: 5, upper: 100, lower: 10 }),
    dest('10.0.0.3', 80, { forward: 'gate', weight: 3 }),
  ] });
  t.same(table.services[1], { key: dns6, scheduler: 'sh', ops: true, schedflags: 'sh-port', dests: [dest('2001:db8::5', 53)] });
  t.same(table.services[2], { key: mark, scheduler: 'wrr', ops: false, persistent: 60, dests: [dest('10.0.0.50', 0, { forward: 'gate' })] });
  // without the thresholds read: one process, thresholds 0
  const quick = new IpvsadmDriver({ path: STANDIN, env: sb.env, readThresholds: false });
  const before = invocations(sb.state).length;
  t.equal((await quick.read()).services[0]!.dests[0]!.upper, 0);
  t.equal(invocations(sb.state).length - before, 1);
});

t.test('one ipvsadm -R process per apply, fed every line', async (t) => {
  const sb = sandbox(t);
  const d = createDriver('ipvsadm', { path: STANDIN, env: sb.env });
  await d.apply(sequences[0]!.changes);
  const log = invocations(sb.state);
  t.same(log.map(({ argv, restoreLines }) => ({ argv, restoreLines })), [{ argv: ['-R'], restoreLines: sequences[0]!.changes.length }]);
  t.equal((log[0] as { restore?: string[][] }).restore?.length, sequences[0]!.changes.length, 'the stand-in logged each line it was fed');
  const r = await d.apply([]);
  t.same(r.failed, []);
  t.equal(invocations(sb.state).length, 1, 'an empty batch runs nothing');
});

t.test('a usage error stops -R: the change is named and the rest reported as not applied', async (t) => {
  const sb = sandbox(t);
  ipvsadm(sb, ['-A', '-t', '10.0.0.1:80']);
  // Changes that would stop -R are refused before sending, so to reach ipvsadm's own stop this
  // wrapper breaks the line for 10.0.0.66 on its way to the stand-in ("-w 1" -> "-w bad").
  const wrapper = join(sb.dir, 'ipvsadm-wrapper');
  writeFileSync(wrapper, [
    '#!/usr/bin/env node',
    "const { spawnSync } = require('node:child_process');",
    "const input = require('node:fs').readFileSync(0, 'utf8').replace(/(-r 10\\.0\\.0\\.66:80 -m -w) 1/, '$1 bad');",
    `const r = spawnSync(${JSON.stringify(STANDIN)}, process.argv.slice(2), { input, stdio: ['pipe', 'inherit', 'inherit'] });`,
    'process.exitCode = r.status;',
    '',
  ].join('\n'));
  chmodSync(wrapper, 0o755);
  const d = new IpvsadmDriver({ path: wrapper, env: sb.env });
  const changes: Change[] = [
    { op: 'add-dest', service: web, dest: dest('10.0.0.2', 80) },
    { op: 'add-dest', service: web, dest: dest('10.0.0.2', 80) },
    { op: 'add-dest', service: web, dest: dest('10.0.0.66', 80) },
    { op: 'add-dest', service: web, dest: dest('10.0.0.3', 80) },
    { op: 'del-service', service: mark },
  ];
  const r = await d.apply(changes);
  t.same(r.failed.map((f) => [changes.indexOf(f.change), f.error]), [
    [1, 'Destination already exists'],
    [2, 'illegal weight specified'],
    [3, 'not applied: ipvsadm -R stopped at an earlier line (illegal weight specified)'],
    [4, 'not applied: ipvsadm -R stopped at an earlier line (illegal weight specified)'],
  ]);
  t.match(ipvsadm(sb, ['-S', '-n']).stdout, /10\.0\.0\.2:80/);
  t.notMatch(ipvsadm(sb, ['-S', '-n']).stdout, /10\.0\.0\.3:80/);
});

/**
 * This process's children running `program`, with their argv, read from /proc. Called right
 * after read()/apply(): the driver spawns before its first await and the child cannot be reaped
 * before the event loop runs, so the child is listed however slow it is to start (the
 * stand-in's own log is not used: under load a child can be killed before it writes it).
 */
function childrenRunning(program: string): { pid: number; argv: string[] }[] {
  const found: { pid: number; argv: string[] }[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const at = argv.indexOf(program);
      if (ppid === process.pid && at >= 0) found.push({ pid: Number(name), argv: argv.slice(at + 1) });
    } catch {
      // the process ended while /proc was read: not one of ours that is still running
    }
  }
  return found;
}

t.test('errors: hung ipvsadm is killed at the timeout, no IPVS, missing program', async (t) => {
  const sb = sandbox(t);
  writeFileSync(`${sb.state}.fault`, 'hang');
  // one process per read: the run that shows the bound restored is then one short run
  const d = new IpvsadmDriver({ path: STANDIN, env: sb.env, timeoutMs: 1500, readThresholds: false });
  const reading = d.read();
  const readers = childrenRunning(STANDIN);
  await t.rejects(reading, new IpvsError(`${STANDIN} -S -n did not finish within 1500 ms and was killed`));
  const applying = d.apply(sequences[0]!.changes);
  const appliers = childrenRunning(STANDIN);
  // after a run killed at its bound the next gets twice as long: a starved machine, not a hang
  await t.rejects(applying, new IpvsError(`${STANDIN} -R did not finish within 3000 ms and was killed`));
  t.same(readers.map((c) => c.argv), [['-S', '-n']], 'read() ran one ipvsadm -S -n');
  t.same(appliers.map((c) => c.argv), [['-R']], 'apply() ran one ipvsadm -R');
  for (const { pid } of [...readers, ...appliers]) t.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `process ${pid} is gone`);
  rmSync(`${sb.state}.fault`);
  await d.read(); // within the grown bound (6000 ms): no timing of its own
  writeFileSync(`${sb.state}.fault`, 'hang 1');
  await t.rejects(d.read(), new IpvsError(`${STANDIN} -S -n did not finish within 1500 ms and was killed`), 'a run that finished restores the bound');

  // a driver with the default timeout: a slow start under load must not look like a hang here
  const patient = new IpvsadmDriver({ path: STANDIN, env: sb.env });
  writeFileSync(`${sb.state}.fault`, 'fail');
  await t.rejects(patient.read(), { name: 'IpvsError', message: /exit 2\): Can't initialize ipvs: Protocol not available/ });
  await t.rejects(patient.apply(sequences[0]!.changes), { name: 'IpvsError', message: /Can't initialize ipvs/ });
  rmSync(`${sb.state}.fault`);

  const missing = new IpvsadmDriver({ path: `${sb.dir}/no-such-ipvsadm` });
  await t.rejects(missing.read(), { name: 'IpvsError', message: /cannot run .*no-such-ipvsadm: spawn .* ENOENT/ });
});
