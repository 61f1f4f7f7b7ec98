// kill -9 and start again: the new daemon adopts the kernel table the dead one left: no flush,
// no healthy real removed or re-added; only what changed while nobody watched is corrected.
import t from 'tap';
import { invocations, weightsOf } from '../helpers/lvsd.js';
import { LogWatch, VIP, httpConfig, reals, startDaemon, waitFor } from './helpers.js';

interface Call {
  argv: string[];
  restoreLines?: number;
}

t.test('kill -9, start again: the table is adopted, no flush, no healthy real touched', async (t) => {
  const rs = await reals(t, ['127.0.0.81', '127.0.0.82', '127.0.0.83']);
  const first = startDaemon(t, httpConfig(rs, ['quiescent=no']));
  const { dir, state, cfg } = first;
  const table = () => weightsOf(state, VIP, rs.map((r) => r.addr));
  await waitFor('all reals in the table', async () => (await table()).join() === '2,3,4');

  first.lvsd.child.kill('SIGKILL');
  await first.lvsd.exit;
  t.same(await table(), [2, 3, 4], 'the table outlives the daemon (no clean stop ran)');
  // One real dies while no daemon watches.
  await rs[2]!.stop();

  const before = invocations(state).length;
  // the same directory: its pid file, the stand-in's table and the config
  const second = startDaemon(t, { file: cfg }, { dir, args: ['-d'] }).lvsd;
  const log = new LogWatch(second);
  await waitFor('the dead real removed by the new daemon', async () => (await table())[2] === undefined);
  // A few more rounds: a late removal or re-add would show up here.
  await log.waitCount('three more rounds of checks on the first real', /^Check negotiate:http:tcp:127\.0\.0\.81:\d+#\w+: up/, 3);

  t.same((await table()).slice(0, 2), [2, 3], 'healthy reals kept their place and weight');
  const calls = invocations(state).slice(before).map((l) => JSON.parse(l) as Call);
  const writes = calls.filter((c) => !c.argv.some((a) => a === '-S' || a === '-L'));
  t.notOk(calls.some((c) => c.argv.includes('-C') || c.argv.includes('--clear')), 'no flush (ipvsadm -C)');
  // One batch of one line: the dead real's removal (sent again only if ipvsadm failed, e.g. timed out on a loaded machine).
  t.ok(writes.length >= 1, 'the dead real was removed with ipvsadm -R');
  t.same(writes.map((w) => w.restoreLines), writes.map(() => 1), 'each write holds that one line and nothing else');
  t.equal(log.count(/IPVS update failed/), writes.length - 1, 'and was repeated only after a failure');
  t.match(second.out, `Deleted real server: ${rs[2]!.addr} (${VIP})`);
  t.notMatch(second.out, /Added real server|Deleted real server: 127\.0\.0\.8[12]/, 'healthy reals neither re-added nor removed');
  t.match(second.out, /stale pid file|Starting lvsd/, 'the stale pid file did not stop the start');
});
