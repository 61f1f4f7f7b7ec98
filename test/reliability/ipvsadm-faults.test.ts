// ipvsadm fails or hangs (the stand-in's <state>.fault): the daemon keeps checking, bounds each
// ipvsadm run, retries with back-off, and applies the desired table once ipvsadm works again.
import t, { type Test } from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import { invocations } from '../helpers/lvsd.js';
import { LogWatch, VIP, alive, httpConfig, processesWithEnv, reals, startDaemon, weightsBehindFault, waitFor } from './helpers.js';

/** Stand-in runs for this daemon's state file (the daemon itself has the variable too). */
const standIns = (d: { state: string; lvsd: { child: { pid?: number } } }) =>
  processesWithEnv('LVSD_IPVS_STATE', d.state).filter((p) => p !== d.lvsd.child.pid);

/** Two reals in the table, the daemon in debug mode (its check lines show that checks go on). */
async function setup(t: Test, hosts: string[]) {
  const rs = await reals(t, hosts);
  const d = startDaemon(t, httpConfig(rs, ['quiescent=no']), { args: ['-d'] });
  const log = new LogWatch(d.lvsd);
  const both = () => weightsBehindFault(d.state, rs);
  await waitFor('both reals in the table', async () => (await both()).every((w) => w !== undefined));
  return { rs, d, log, both };
}

t.test('ipvsadm fails: retried with back-off, the table catches up once it works', async (t) => {
  const { rs, d, log, both } = await setup(t, ['127.0.0.41', '127.0.0.42']);

  writeFileSync(`${d.state}.fault`, 'fail');
  await rs[1]!.stop();
  const failed = /IPVS update failed/;
  // 1 + 2 + 4 s of back-off between the first and the fourth failure (a drift repair every
  // 10 s may add one attempt in between, hence five lines for the bound).
  const lines = await log.waitCount('five failed IPVS updates', failed, 5, 60_000);
  const spread = lines[4]!.at - lines[0]!.at;
  t.ok(spread >= 6000, `failures are spaced by back-off (first to fifth: ${Math.round(spread)} ms, at least 6000)`);
  t.match(lines[0]!.line, /Can't initialize ipvs/, 'the reason is ipvsadm\'s own message');
  t.ok(log.count(/^Check negotiate:http:tcp:127\.0\.0\.41:\d+#\w+: up/) >= 3, 'checks went on while IPVS failed');
  t.same(await both(), [2, 3], 'nothing changed in the kernel meanwhile');

  rmSync(`${d.state}.fault`);
  await waitFor('the desired table applied after recovery', async () => {
    const [a, b] = await both();
    return a === 2 && b === undefined;
  }, 40_000);
  t.equal(d.lvsd.child.exitCode, null, 'the daemon kept running');
  t.match(d.lvsd.out, `Deleted real server: ${rs[1]!.addr} (${VIP})`);
});

t.test('ipvsadm hangs: each run is killed at its timeout, the table catches up once it answers', async (t) => {
  const { rs, d, log, both } = await setup(t, ['127.0.0.43', '127.0.0.44']);

  writeFileSync(`${d.state}.fault`, 'hang');
  const before = invocations(d.state).length;
  await rs[1]!.stop();
  const killed = await log.waitCount('a hung ipvsadm killed', /did not finish within \d+ ms and was killed/, 1, 40_000);
  t.match(killed[0]!.line, /IPVS update failed/, 'reported as a failed update');
  const hung = invocations(d.state).slice(before).map((e) => (JSON.parse(e) as { pid: number }).pid);
  t.ok(hung.length >= 1, 'the stand-in was run');
  t.notOk(alive(hung[0]!), 'the first hung run is gone (its process group was killed)');
  t.ok(standIns(d).length <= 1, 'hung runs do not pile up: at most one at a time');
  const checksWhileHung = log.count(/^Check negotiate:http:tcp:127\.0\.0\.43:\d+#\w+: up/);

  rmSync(`${d.state}.fault`);
  await waitFor('the desired table applied after recovery', async () => {
    const [a, b] = await both();
    return a === 2 && b === undefined;
  }, 60_000);
  t.ok(log.count(/^Check negotiate:http:tcp:127\.0\.0\.43:\d+#\w+: up/) > checksWhileHung, 'checks went on while ipvsadm hung');
  await waitFor('no stand-in left running', () => standIns(d).length === 0, 20_000);
  t.equal(d.lvsd.child.exitCode, null, 'the daemon kept running');
});
