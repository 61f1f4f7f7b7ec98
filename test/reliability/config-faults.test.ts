// The config file goes wrong under a running daemon with autoreload=yes: deleted, unreadable or
// half-written. The running configuration stays in force (its checks go on and still change
// the table) until a good file is back.
import t, { type Test } from 'tap';
import { appendFileSync, chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { runCli, weightOf, weightsOf } from '../helpers/lvsd.js';
import type { RealServer } from '../helpers/lvsd.js';
import { LogWatch, VIP, httpConfig, reals, startDaemon, waitFor } from './helpers.js';

// Unreadable for root means without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH: the daemon is
// started through setpriv with both out of its bounding set (it stays uid 0).
const DROP_DAC = ['setpriv', '--bounding-set', '-dac_override,-dac_read_search'];
const noSetpriv = spawnSync('setpriv', [...DROP_DAC, 'true']).status === 0 ? false : 'setpriv (util-linux) cannot drop capabilities here';

const weights = (state: string, rs: RealServer[]) => weightsOf(state, VIP, rs.map((r) => r.addr));
const RELOAD_FAILED = /Reload failed, keeping the running configuration/;

/** The daemon on reals[0..1] with autoreload; `next` is the config the tests try to load. */
async function setup(t: Test, hosts: string[], wrapper?: string[]) {
  const rs = await reals(t, hosts);
  const d = startDaemon(t, httpConfig(rs, ['autoreload=yes', 'quiescent=no']), { args: ['-d'], wrapper });
  const log = new LogWatch(d.lvsd);
  await waitFor('both reals in the table', async () => (await weights(d.state, rs)).join() === '2,3');
  // The same service with other weights: a successful reload is plain to see.
  const next = httpConfig(rs, ['autoreload=yes', 'quiescent=no']).replace(/ masq (\d+)/g, (_, w: string) => ` masq ${Number(w) + 5}`);
  return { rs, d, log, next };
}

t.test('config deleted: the running config stays; a new file is picked up', async (t) => {
  const { rs, d, log, next } = await setup(t, ['127.0.0.61', '127.0.0.62']);
  rmSync(d.cfg);
  d.lvsd.child.kill('SIGHUP');
  const failed = await log.waitCount('the reload on HUP refused', RELOAD_FAILED, 1);
  t.match(failed[0]!.line, /ENOENT|not found|no such file/i, 'says the file is missing');
  await rs[1]!.stop();
  await waitFor('the old config still checks and updates IPVS', async () => (await weightOf(d.state, VIP, rs[1]!.addr)) === undefined);
  await rs[1]!.start();

  writeFileSync(d.cfg, next);
  await waitFor('the re-created file reloaded', async () => (await weights(d.state, rs)).join() === '7,8');
  t.equal(d.lvsd.child.exitCode, null, 'the daemon kept running');
});

t.test('config unreadable: the running config stays; readable again, it is loaded', { skip: noSetpriv }, async (t) => {
  const { rs, d, log, next } = await setup(t, ['127.0.0.63', '127.0.0.64'], DROP_DAC);
  // Replace the file by rename with one nobody may read: the watcher sees a change it cannot read.
  writeFileSync(`${d.cfg}.new`, next, { mode: 0o000 });
  chmodSync(`${d.cfg}.new`, 0o000);
  renameSync(`${d.cfg}.new`, d.cfg);
  d.lvsd.child.kill('SIGHUP');
  const failed = await log.waitCount('the reload on HUP refused', RELOAD_FAILED, 1);
  t.match(failed[0]!.line, /EACCES|permission denied/i, 'says why');
  t.same(await weights(d.state, rs), [2, 3], 'the running table stays');
  await rs[0]!.stop();
  await waitFor('the old config still checks and updates IPVS', async () => (await weightOf(d.state, VIP, rs[0]!.addr)) === undefined);
  await rs[0]!.start();

  chmodSync(d.cfg, 0o644);
  d.lvsd.child.kill('SIGHUP');
  await waitFor('the readable file loaded', async () => (await weights(d.state, rs)).join() === '7,8');
  t.equal(d.lvsd.child.exitCode, null, 'the daemon kept running');
});

t.test('config half-written: the reload is refused with file and line; the complete file is loaded', async (t) => {
  const { rs, d, log, next } = await setup(t, ['127.0.0.65', '127.0.0.66']);
  // Cut inside the second real's line, where what is left cannot be a valid line.
  const cut = next.indexOf(`${rs[1]!.addr} masq`) + rs[1]!.addr.length + ' ma'.length;
  const half = next.slice(0, cut);
  const probe = `${d.cfg}.probe`;
  writeFileSync(probe, half);
  const checked = await runCli(['-t', probe]);
  t.equal(checked.code, 2, 'the half file is invalid on its own (lvsd -t)');
  rmSync(probe);

  writeFileSync(d.cfg, half); // in place, as a slow editor or a copy in progress leaves it
  const failed = await log.waitCount('the autoreload refused', RELOAD_FAILED, 1);
  t.match(failed[0]!.line, `${d.cfg}:`, 'the message names the file and line');
  t.same(await weights(d.state, rs), [2, 3], 'the running table stays');
  await rs[1]!.stop();
  await waitFor('the old config still checks and updates IPVS', async () => (await weightOf(d.state, VIP, rs[1]!.addr)) === undefined);
  await rs[1]!.start();

  appendFileSync(d.cfg, next.slice(cut));
  await waitFor('the completed file reloaded', async () => (await weights(d.state, rs)).join() === '7,8');
  t.equal(d.lvsd.child.exitCode, null, 'the daemon kept running');
});
