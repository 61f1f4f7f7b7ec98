// sd_notify end to end: the real daemon talks to a datagram socket this test binds and hands
// it as NOTIFY_SOCKET, the way systemd runs a Type=notify service.
import t from 'tap';
import { copyFileSync, renameSync, writeFileSync } from 'node:fs';
import { TempDir, saved, weightOf } from '../helpers/lvsd.js';
import { cf, daemon, datagrams, fields, noDgram, servers, sleep, waitFor } from './helpers.js';

const VIP = '127.0.1.100:80';
const VIP2 = '127.0.1.101:80';

t.test('READY after the first applied round, STATUS, watchdog, RELOADING/READY, STOPPING', { skip: noDgram }, async (t) => {
  const [a, b, c, d] = await servers(t, ['127.0.1.11', '127.0.1.12', '127.0.1.13', '127.0.1.14']);
  await c!.stop(); // down from the start
  const base = { vip: VIP, reals: [[a!, 1], [b!, 1]] as [typeof a, number][] };
  const text = cf(['autoreload=yes', 'quiescent=no'], [base, { vip: VIP2, reals: [[c!, 1]] }]);
  const dir = new TempDir();
  const sock = dir.file('notify');
  const state = dir.file('ipvs.json');
  // At READY=1 the stand-in kernel's table must already hold the healthy reals: copy it the
  // moment the datagram arrives (a quick file copy; the servers in this process barely notice).
  const atReady: string[] = [];
  const got = datagrams(t, sock, (m) => {
    if (fields(m).has('READY')) {
      const copy = dir.file(`ready-${atReady.length}.json`);
      try {
        copyFileSync(state, copy);
      } catch {
        writeFileSync(copy, '{}'); // no table at all yet
      }
      atReady.push(copy);
    }
  });
  const { lvsd, cfgPath } = daemon(t, text, { dir, env: { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '1000000' } });
  const msgs = () => got.map((g) => fields(g.text));
  const index = (pred: (m: Map<string, string>) => boolean, from = 0) => msgs().findIndex((m, i) => i >= from && pred(m));

  await waitFor('READY=1', () => atReady.length === 1);
  const first = index((m) => m.has('READY'));
  t.equal(msgs().slice(0, first).filter((m) => m.has('READY')).length, 0, 'no READY before it');
  const table = await saved(atReady[0]!);
  t.ok(table.some((l) => l.includes(` ${VIP} `) && l.includes(`-r ${a!.addr} `)), 'the first round was in the kernel at READY');
  t.ok(table.some((l) => l.includes(` ${VIP} `) && l.includes(`-r ${b!.addr} `)));
  t.equal(msgs()[first]!.get('STATUS'), 'Running: 2 virtual services, 2/3 real servers up', 'STATUS counts virtuals and reals up');

  // The watchdog pings every WATCHDOG_USEC/2 while the check scheduler runs.
  const pings = () => msgs().filter((m) => m.get('WATCHDOG') === '1').length;
  await waitFor('watchdog pings', () => pings() >= 2);
  // A stopped process cannot ping: systemd would restart it after WatchdogSec.
  lvsd.child.kill('SIGSTOP');
  await sleep(300); // a ping already in flight lands
  const frozen = pings();
  await sleep(2000); // four ping intervals
  t.equal(pings(), frozen, 'no WATCHDOG=1 while the daemon is stopped');
  lvsd.child.kill('SIGCONT');
  await waitFor('pings resume', () => pings() >= frozen + 2);

  // STATUS follows health changes.
  await c!.start();
  await waitFor('STATUS after c came up', () => msgs().some((m) => m.get('STATUS') === 'Running: 2 virtual services, 3/3 real servers up'));

  // SIGHUP: RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC, shared with this process), then READY=1.
  writeFileSync(`${cfgPath}.new`, cf(['autoreload=no', 'quiescent=no'], [{ vip: VIP, reals: [[a!, 1], [b!, 1], [d!, 3]] }, { vip: VIP2, reals: [[c!, 1]] }]));
  let mark = got.length;
  // autoreload=no is read only on the next reload: the rename below still autoreloads once.
  renameSync(`${cfgPath}.new`, cfgPath);
  await waitFor('autoreload: READY again', () => index((m) => m.has('READY'), mark) >= 0);
  let reloading = index((m) => m.has('RELOADING'), mark);
  let ready = index((m) => m.has('READY'), mark);
  t.ok(reloading >= 0 && reloading < ready, 'autoreload: RELOADING=1 before READY=1');
  const sent = BigInt(msgs()[reloading]!.get('MONOTONIC_USEC') ?? '0');
  t.ok(sent > 0n && sent <= got[reloading]!.at / 1000n, 'MONOTONIC_USEC is the monotonic clock at the reload');
  await waitFor('the new real is in', async () => (await weightOf(state, VIP, d!.addr)) === 3);

  mark = got.length;
  const before = process.hrtime.bigint() / 1000n;
  lvsd.child.kill('SIGHUP');
  await waitFor('SIGHUP: READY again', () => index((m) => m.has('READY'), mark) >= 0);
  reloading = index((m) => m.has('RELOADING'), mark);
  ready = index((m) => m.has('READY'), mark);
  t.ok(reloading >= 0 && reloading < ready, 'SIGHUP: RELOADING=1 before READY=1');
  const mono = BigInt(msgs()[reloading]!.get('MONOTONIC_USEC') ?? '0');
  t.ok(mono >= before && mono <= got[reloading]!.at / 1000n, 'MONOTONIC_USEC between the signal and its arrival');
  t.equal(msgs()[ready]!.get('STATUS'), 'Running: 2 virtual services, 4/4 real servers up');

  // A broken config: no RELOADING, the failure in STATUS, the running config stays.
  mark = got.length;
  writeFileSync(cfgPath, cf(['autoreload=no'], [{ vip: VIP, reals: [[a!, 1]] }]).replace('service=http', 'service=htp'));
  lvsd.child.kill('SIGHUP');
  await waitFor('failure STATUS', () => index((m) => (m.get('STATUS') ?? '').startsWith('Reload failed'), mark) >= 0);
  t.match(msgs()[index((m) => (m.get('STATUS') ?? '').startsWith('Reload failed'), mark)]!.get('STATUS'), `${cfgPath}:`, 'names the file');
  t.equal(index((m) => m.has('RELOADING'), mark), -1, 'a config that does not parse is no reload');

  // SIGTERM: STOPPING=1, then a clean exit.
  mark = got.length;
  t.equal(await lvsd.stop('SIGTERM'), 0);
  const stopping = index((m) => m.has('STOPPING'), mark);
  t.ok(stopping >= 0, 'STOPPING=1');
  t.match(msgs()[stopping]!.get('STATUS'), /^Stopping: /);
});
