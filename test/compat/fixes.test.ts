// Small lvsd bugs the differential suite found, each pinned down here without ldirectord:
//  1. autoreload logged "Reloading Linux Director Daemon config on signal" (ldirectord logs it for
//     HUP/`reload` only; seen in the debian corpus case's autoreload step);
//  2. a clean stop logged "Purged virtual server (start): ..." when the batch that deleted the
//     service had begun before the stop (a repair read under way; seen in the stop steps).
import t from 'tap';
import { parseConfigText, loadConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { checkerFor } from '../../src/checks/registry.js';
import { MemoryDriver } from '../../src/ipvs/memory.js';
import type { IpvsDriver } from '../../src/ipvs/types.js';
import { planChanges } from '../../src/table/plan.js';
import { serviceKeyOf } from '../../src/table/desired.js';
import { TempDir, runCli } from '../helpers/lvsd.js';

const CF = 'checkinterval=1\n\nvirtual=127.0.0.100:80\n    real=127.0.0.11:80 masq\n    checktype=on\n';

/** A memory kernel whose reads take `ms`, so a repair read is under way when the stop comes. */
function slowReads(ms: number): IpvsDriver {
  const inner = new MemoryDriver();
  return {
    name: 'slow-memory',
    read: async () => {
      await new Promise((r) => setTimeout(r, ms));
      return inner.read();
    },
    apply: (c) => inner.apply(c),
  };
}

t.test('a service a stop forgets is purged "(stop)" whichever batch deletes it', async (t) => {
  const cfg = await parseConfigText(CF, '/t/x.cf', 'cf');
  const v = cfg.virtuals[0]!;
  const kernel = { services: [{ key: serviceKeyOf(v), scheduler: 'wrr', dests: [] }] };
  const p = planChanges(kernel as never, [], [{ key: serviceKeyOf(v), label: '127.0.0.100:80', context: 'stop' }], 'start');
  t.same(p.map((x) => x.message), ['Purged virtual server (stop): 127.0.0.100:80']);

  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const daemon = new Daemon({ config: await loadConfig(dir.file('x.cf', CF)), driver: slowReads(150), checkerFor, repairIntervalMs: 40, maxJitterMs: 0 });
  const purged: string[] = [];
  daemon.bus.on('ipvs', (e) => e.kind === 'purged-virtual' && purged.push(e.message));
  await daemon.start();
  await new Promise((r) => setTimeout(r, 100)); // a repair batch is reading the kernel now
  await daemon.stop();
  t.same(purged, ['Purged virtual server (stop): 127.0.0.100:80']);
});

t.test('autoreload is not logged as a reload on signal; HUP/reload is', async (t) => {
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const daemon = new Daemon({ config: await loadConfig(dir.file('x.cf', CF)), driver: new MemoryDriver(), checkerFor, maxJitterMs: 0 });
  const lines: string[] = [];
  daemon.bus.on('log', (e) => lines.push(e.message));
  await daemon.start();
  await daemon.reload('file');
  t.notOk(lines.includes('Reloading Linux Director Daemon config on signal'), 'autoreload');
  await daemon.reload();
  t.ok(lines.includes('Reloading Linux Director Daemon config on signal'), 'signal');
  await daemon.stop();
});

// 3. `reload` with a config that does not parse: ldirectord exits 2 without signalling (it parses
//    the config before any command); lvsd sent HUP and exited 0 (seen in the broken-reload case).
t.test('reload refuses a config that does not parse: exit 2 and FILE:LINE: message', async (t) => {
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const cfg = dir.file('x.cf', `${CF}    quiescent=maybe\n`);
  const pid = dir.file('pid', '999999\n');
  const r = await runCli(['--pid-file', pid, cfg, 'reload']);
  t.equal(r.code, 2);
  t.match(r.stderr, `${cfg}:6: `);
});
