// The sync daemon's pieces without a kernel: what the directives and the role ask for, the plan
// from what runs to what is wanted, ipvsadm's -L --daemon lines, the netlink attributes (checked
// against the real kernel in test/kernel/sync.test.js) and the in-memory driver's kernel rules.
import t from 'tap';
import { desiredDaemons, planDaemons, serves } from '../../src/table/sync.js';
import { daemonArgs, parseDaemons } from '../../src/ipvs/ipvsadm.js';
import { decodeDaemon, encodeDaemon } from '../../src/ipvs/netlink.js';
import { MemoryDriver } from '../../src/ipvs/memory.js';
import type { SyncDaemon } from '../../src/ipvs/types.js';

t.test('desired daemons: directives × role', (t) => {
  t.equal(desiredDaemons({}, 'master'), undefined, 'no syncinterface: not managed');
  const g = { syncinterface: 'eth1', syncid: 7 };
  t.same(desiredDaemons(g, 'master'), [{ state: 'master', ifname: 'eth1', syncid: 7 }]);
  for (const r of ['backup', 'fault', 'unknown'] as const) t.same(desiredDaemons(g, r)!.map((d) => d.state), ['backup'], r);
  t.same(desiredDaemons({ ...g, syncstate: 'both' }, 'backup')!.map((d) => d.state), ['master', 'backup']);
  t.same(desiredDaemons({ ...g, syncstate: 'master' }, 'backup')!.map((d) => d.state), ['master'], 'fixed state ignores the role');
  t.same(desiredDaemons({ syncinterface: 'e', syncgroup: '239.0.0.1', syncport: 1, syncttl: 2, syncmaxlen: 1000 }, 'master'), [
    { state: 'master', ifname: 'e', syncid: 0, group: '239.0.0.1', port: 1, ttl: 2, maxlen: 1000 },
  ]);
  t.end();
});

t.test('plan: stop what is wrong, start what is missing, leave what serves', (t) => {
  const m: SyncDaemon = { state: 'master', ifname: 'eth1', syncid: 7 };
  const kernel = (d: SyncDaemon) => ({ maxlen: 1472, group: '224.0.0.81', port: 8848, ttl: 1, ...d });
  t.same(planDaemons([kernel(m)], [m]), [], 'the kernel defaults serve a daemon that names none');
  t.same(planDaemons([], [m]), [{ op: 'start', daemon: m }]);
  const b = { ...m, state: 'backup' as const };
  t.same(planDaemons([kernel(b)], [m]), [{ op: 'stop', state: 'backup', daemon: kernel(b) }, { op: 'start', daemon: m }], 'a role switch');
  const m8 = { ...m, syncid: 8 };
  t.same(planDaemons([kernel(m)], [m8]).map((s) => s.op), ['stop', 'start'], 'another syncid: restarted');
  t.ok(serves(kernel({ ...b, maxlen: 1024 }), { ...b, maxlen: 100 }), 'a backup maxlen the kernel raised to 1024 serves');
  t.notOk(serves(kernel(m), { ...m, maxlen: 9000 }), 'a master maxlen is kept as given');
  t.ok(serves(kernel({ ...m, group: 'ff02::1:81' }), { ...m, group: 'FF02:0::1:81' }), 'IPv6 groups compared canonically');
  t.end();
});

t.test('ipvsadm: arguments and -L --daemon lines (as recorded from the real one)', (t) => {
  t.same(daemonArgs({ state: 'backup', ifname: 'eth1', syncid: 9, group: '239.1.2.3', port: 8849, ttl: 2, maxlen: 1400 }), [
    '--start-daemon', 'backup', '--mcast-interface', 'eth1', '--syncid', '9', '--mcast-group', '239.1.2.3', '--mcast-port', '8849', '--mcast-ttl', '2', '--sync-maxlen', '1400',
  ]);
  t.same(parseDaemons('master sync daemon (mcast=lvsd-sync0, syncid=0, maxlen=1452, group=ff02::1:81, port=8848, ttl=1)\nbackup sync daemon (mcast=eth0, syncid=3)\nsomething else\n'), [
    { state: 'master', ifname: 'lvsd-sync0', syncid: 0, maxlen: 1452, group: 'ff02::1:81', port: 8848, ttl: 1 },
    { state: 'backup', ifname: 'eth0', syncid: 3 },
  ]);
  t.end();
});

t.test('netlink: a daemon survives encode → decode (the kernel echoes the same attributes)', (t) => {
  for (const d of [
    { state: 'master', ifname: 'eth1', syncid: 7 },
    { state: 'backup', ifname: 'lvsd-s0', syncid: 255, group: '239.1.2.3', port: 8849, ttl: 2, maxlen: 1400 },
    { state: 'master', ifname: 'e', syncid: 0, group: 'ff02::1:81', port: 1, ttl: 255, maxlen: 65507 },
  ] as SyncDaemon[]) {
    t.same(decodeDaemon(encodeDaemon(d)), d, JSON.stringify(d));
  }
  t.equal(decodeDaemon(Buffer.alloc(0)), undefined, 'no daemon attribute');
  t.end();
});

t.test('memory driver: one daemon per state, defaults, clamps and ipvsadm errors', async (t) => {
  const d = new MemoryDriver(undefined, new Map([['eth1', 9000]]));
  await d.sync.startDaemon({ state: 'backup', ifname: 'eth1', syncid: 1, maxlen: 100 });
  await d.sync.startDaemon({ state: 'master', ifname: 'eth1', syncid: 2 });
  t.same(await d.sync.readDaemons(), [
    { state: 'master', ifname: 'eth1', syncid: 2, group: '224.0.0.81', port: 8848, ttl: 1, maxlen: 1472 },
    { state: 'backup', ifname: 'eth1', syncid: 1, group: '224.0.0.81', port: 8848, ttl: 1, maxlen: 1024 },
  ]);
  await t.rejects(d.sync.startDaemon({ state: 'master', ifname: 'eth1', syncid: 2 }), /^Daemon has already run$/);
  await t.rejects(d.sync.startDaemon({ state: 'master', ifname: 'eth9', syncid: 2 }), /^Daemon has already run$/);
  await d.sync.stopDaemon('master');
  await t.rejects(d.sync.stopDaemon('master'), /^No daemon is running$/);
  await t.rejects(d.sync.startDaemon({ state: 'master', ifname: 'eth9', syncid: 2 }), /^No such device$/);
  await d.sync.startDaemon({ state: 'master', ifname: 'eth1', syncid: 2 });
  t.equal((await d.sync.readDaemons())[0]!.maxlen, 1472, 'a master uses 1500 whatever the MTU');
  t.equal((await d.sync.readDaemons())[1]!.maxlen, 1024);
});
