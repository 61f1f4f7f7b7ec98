// The snapshot builder against a daemon that has not started (bus and kernel read by hand),
// and the terminal table it becomes.
import t from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { MemoryDriver } from '../../src/ipvs/memory.js';
import { onChecker } from '../../src/checks/static.js';
import { StatusCollector } from '../../src/status/snapshot.js';
import { formatStatus, printable, duration } from '../../src/status/format.js';

const CF = `checkinterval=1
virtual=127.0.0.100:80
\treal=127.0.0.11:80 gate 2
\treal=127.0.0.12:8080 masq 3
\tfallback=127.0.0.10:80 gate
\tservice=http
\tpasswd="S3cretValue"
`;

async function daemon() {
  const config = await parseConfigText(CF, '/t/lvsd.cf', 'cf');
  const driver = new MemoryDriver({
    services: [
      {
        key: { protocol: 'tcp', family: 4, address: '127.0.0.100', port: 80 },
        scheduler: 'wrr', ops: false,
        dests: [
          { address: '127.0.0.11', port: 80, forward: 'gate', weight: 2, upper: 0, lower: 0 },
          { address: '127.0.0.99', port: 80, forward: 'gate', weight: 1, upper: 0, lower: 0 },
        ],
      },
    ],
  });
  return new Daemon({ config, driver, checkerFor: () => onChecker });
}

t.test('kernel weights, DR port mapping, fallback, strangers; unknown before start', async (t) => {
  const d = await daemon();
  const c = new StatusCollector(d);
  t.teardown(() => c.detach());
  let s = c.snapshot();
  t.equal(s.ipvs.kernelKnown, false, 'no kernel read yet');
  t.same(s.virtuals[0]!.reals.map((r) => [r.address, r.health, r.kernelWeight]), [['127.0.0.11', 'unknown', null], ['127.0.0.12', 'unknown', null]]);
  await d.reconciler.read();
  s = c.snapshot();
  const v = s.virtuals[0]!;
  t.equal(s.ipvs.kernelKnown, true);
  t.equal(v.inKernel, true);
  t.same(v.reals.map((r) => r.kernelWeight), [2, null], 'gate real found on the virtual port; masq real absent');
  t.same(v.fallback, { address: '127.0.0.10', port: 80, forward: 'gate', active: false, kernelWeight: null });
  t.same(v.others, [{ address: '127.0.0.99', port: 80, weight: 1 }], 'a destination the config does not name');
  t.same(v.counts, { up: 0, down: 0, unknown: 2 });
  t.notMatch(JSON.stringify(s), /S3cretValue|passwd|request/, 'no secret fields at all');
});

t.test('transitions: newest first, bounded, messages redacted', async (t) => {
  const d = await daemon();
  const c = new StatusCollector(d, { transitions: 5 });
  t.teardown(() => c.detach());
  const v = d.config.virtuals[0]!;
  for (let i = 0; i < 8; i++) {
    d.bus.emit('transition', { virtual: v, real: v.reals[0]!, from: 'up', to: 'down', failures: 1, failurecount: 1, message: `#${i} said S3cretValue`, at: Date.now() });
  }
  const s = c.snapshot();
  t.equal(s.transitions.length, 5);
  t.same(s.transitions.map((x) => x.message), ['#7 said ***', '#6 said ***', '#5 said ***', '#4 said ***', '#3 said ***']);
  t.match(s.transitions[0], { virtual: '127.0.0.100:80', real: '127.0.0.11:80', from: 'up', to: 'down' });
  d.bus.emit('reload', { ok: false, file: '/t/lvsd.cf', error: '/t/lvsd.cf:7: bad line passwd="S3cretValue', at: Date.now() });
  t.same(c.snapshot().lastReload?.error, '/t/lvsd.cf:7: bad line passwd=***');
  c.detach();
  d.bus.emit('transition', { virtual: v, real: v.reals[0]!, from: 'down', to: 'up', failures: 0, failurecount: 1, message: 'x', at: Date.now() });
  t.equal(c.snapshot().transitions.length, 5, 'detached: no longer listening');
});

t.test('terminal table', async (t) => {
  const d = await daemon();
  const c = new StatusCollector(d);
  t.teardown(() => c.detach());
  await d.reconciler.read();
  const s = c.snapshot();
  s.virtuals[0]!.reals[1]!.health = 'down';
  s.virtuals[0]!.reals[1]!.lastMessage = 'evil \u001b]0;pwned\u0007 reply';
  s.transitions.push({ at: '2026-01-02T03:04:05.678Z', virtual: '127.0.0.100:80', real: '127.0.0.12:8080', from: 'up', to: 'down', message: 'refused' });
  const text = formatStatus(s);
  t.match(text, /^TCP 127\.0\.0\.100:80  wrr  http, check negotiate every 1s  0\/2 up$/m);
  t.match(text, /^  HEALTH +REAL +KERNEL WEIGHT +FOR +LATENCY +CHECKED +REASON$/m);
  t.match(text, /^  unknown +127\.0\.0\.11:80 gate +2 +\d+s +- +- +waiting for the first check$/m);
  t.match(text, /^  DOWN +127\.0\.0\.12:8080 masq +- +\d+s +- +- +evil \\x1b\]0;pwned\\x07 reply$/m, 'control characters escaped');
  t.notMatch(text, /\u001b|\u0007/, 'nothing reaches the terminal raw');
  t.match(text, /^  standby +127\.0\.0\.10:80 gate +- .*fallback server$/m);
  t.match(text, /^  draining +127\.0\.0\.99:80 +1 .*no longer in the configuration$/m);
  t.match(text, /^  2026-01-02 03:04:05Z  127\.0\.0\.12:8080 \(127\.0\.0\.100:80\)  up -> down  refused$/m);
  t.equal(printable('a\tb\u009b'), 'a\\x09b\\x9b');
  t.same([duration(5), duration(65), duration(3 * 3600 + 120), duration(2 * 86400 + 3600)], ['5s', '1m05s', '3h02m', '2d01h']);
});
