// Start-up that a slow kernel table cannot hold hostage: a restart with cleanstop=no finds the
// table the last daemon left, with a real that died while no lvsd ran. Checks start at once, a
// first read of the table that hangs is reported (log and status) and retried with back-off,
// and what the checks found is applied as soon as a read succeeds. An adopted real that a check
// finds dead goes at its first failed check, whatever failurecount says.
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { TempDir, ipvsadm, runCli, type RealServer } from '../helpers/lvsd.js';
import { LogWatch, VIP, httpConfig, reals, startDaemon, waitFor, weightsBehindFault } from './helpers.js';

/**
 * The table a cleanstop=no stop leaves (both reals at weights 2 and 3) and the second real dead
 * since; `prepare` runs on the state file before the daemon starts on it.
 */
async function restart(t: Test, hosts: string[], extra: string[], prepare: (state: string) => void = () => {}) {
  const rs = await reals(t, hosts);
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const state = dir.file('ipvs.json');
  fillTable(state, rs);
  await rs[1]!.stop();
  prepare(state);
  const d = startDaemon(t, httpConfig(rs, ['quiescent=no', 'cleanstop=no', ...extra]), { args: ['-d'], dir });
  return { rs, d, log: new LogWatch(d.lvsd) };
}

function fillTable(state: string, rs: RealServer[]): void {
  ipvsadm(state, ['-A', '-t', VIP, '-s', 'wrr']);
  rs.forEach((r, i) => ipvsadm(state, ['-a', '-t', VIP, '-r', r.addr, '-m', '-w', String(i + 2)]));
}

const re = (addr: string) => addr.replace(/\./g, '\\.');

t.test('the first reads of the kernel table hang: checks go on, it is reported and retried, the dead real leaves', async (t) => {
  // Its first two ipvsadm runs (the read at start and its retry) hang until killed: 10 s, then
  // 20 s (the bound grows after a kill).
  const { rs, d, log } = await restart(t, ['127.0.0.51', '127.0.0.52'], [], (state) => writeFileSync(`${state}.fault`, 'hang 2'));
  const killed = /IPVS update failed .*-S -n did not finish within \d+ ms and was killed/;
  const first = await log.waitCount('the first hung read killed', killed, 1, 60_000);
  const status = await runCli(['--pid-file', d.dir.file('lvsd.pid'), d.cfg, 'status']);
  t.match(status.stdout, /IPVS update failing: .*-S -n did not finish within 10000 ms/, 'lvsd status reports the failed read');
  t.match(status.stdout, /IPVS table not read yet/);

  const second = await log.waitCount('the retried read killed too', killed, 2, 90_000);
  t.match(second[1]!.line, /within 20000 ms/, 'the retry was given twice as long');
  const checks = new RegExp(`^Check negotiate:http:tcp:${re(rs[0]!.addr)}#\\w+: up`);
  // the checks started with the first read, not after it: the first ran within its 10 s
  const before = log.matching(checks).filter((c) => c.at <= first[0]!.at).length;
  t.ok(before >= 1, `checks ran while the first read hung (${before} before it was killed)`);

  await waitFor('the dead real out once a read succeeds', async () => (await weightsBehindFault(d.state, rs)).join() === '2,');
  t.match(d.lvsd.out, `Deleted real server: ${rs[1]!.addr} (${VIP})`);
  t.notMatch(d.lvsd.out, /Added real server|Deleted real server: 127\.0\.0\.51/, 'the live real was neither re-added nor removed');
  t.equal(d.lvsd.child.exitCode, null, 'the daemon kept running');
});

t.test('an adopted real that died while no lvsd ran goes at its first failed check despite failurecount', async (t) => {
  const { rs, d, log } = await restart(t, ['127.0.0.53', '127.0.0.54'], ['failurecount=3']);
  await waitFor('the dead real out', async () => (await weightsBehindFault(d.state, rs)).join() === '2,');
  const dead = re(rs[1]!.addr);
  t.equal(log.count(new RegExp(`^Soft failure real server: ${dead}`)), 0, 'no soft failures counted for it');
  t.match(d.lvsd.out, new RegExp(`Real server ${dead} \\(tcp:${re(VIP)}\\) is down`));

  // a confirmed real keeps its failurecount: three failures before it goes
  await log.waitCount('the live real confirmed', new RegExp(`^Check negotiate:http:tcp:${re(rs[0]!.addr)}#\\w+: up`), 1);
  await rs[0]!.stop();
  await waitFor('the live real out after failurecount failures', async () => (await weightsBehindFault(d.state, rs))[0] === undefined);
  t.equal(log.count(/^Soft failure real server: 127\.0\.0\.53/), 2, 'two soft failures, then down at the third');
});
