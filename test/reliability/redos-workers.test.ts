// A receive pattern that backtracks catastrophically is cut at its limit by terminating the
// worker thread that runs it. This holds the daemon to the terminating part, not only to the
// verdict: after a run of such matches and the real answering sanely again, the daemon's thread
// count is back where it was and it burns no CPU. A worker left running after its timeout would
// keep its thread and spin on a core for as long as the daemon lives (2^48 ways to fail).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { RealServer } from '../helpers/lvsd.js';
import { LogWatch, reals, sleep, startDaemon, waitFor } from './helpers.js';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const threadsOf = (pid: number): number => Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

/** CPU time the process has used so far (utime + stime of /proc/PID/stat), in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields 14 and 15 of stat(5), counted here from field 3 (the state)
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

const SANE = 'a'.repeat(48); // (a+)+$ matches at once
const EVIL = `${'a'.repeat(48)}b`; // and fails only after trying every split of the a's
const TIMEOUTS = 6;
const IDLE_S = 5;

t.setTimeout(180_000);

t.test('matches cut at their limit leave no thread and no CPU burning behind', async (t) => {
  const [real] = (await reals(t, ['127.0.23.1'])) as [RealServer];
  real.body = SANE;
  const config = ['checkinterval=1', 'checktimeout=5', 'negotiatetimeout=5', '', 'virtual=127.0.0.203:80', `    real=${real.addr} masq`, '    service=http', '    request="/"', '    receive="(a+)+$"', ''];
  const d = startDaemon(t, config.join('\n'), { args: ['-d'] });
  const pid = d.lvsd.child.pid!;
  const log = new LogWatch(d.lvsd);
  const check = (v: string) => new RegExp(`^Check \\S+:127\\.0\\.23\\.1:${real.port}#\\w+: ${v}`);
  const up = check('up');
  const cut = check('down receive pattern did not finish within 1000 ms');

  // Before: a few sane matches, so the warm matcher worker is part of the baseline.
  await log.waitCount('sane matches', up, 3);
  const baseline = threadsOf(pid);

  real.body = EVIL;
  await log.waitCount(`${TIMEOUTS} matches cut at the limit`, cut, TIMEOUTS, 120_000);
  real.body = SANE;
  const upsBefore = log.count(up);
  await log.waitCount('sane matches again', up, upsBefore + 2);

  // Killed workers' threads go at once; allow a moment for their exit on a loaded machine.
  let threads = threadsOf(pid);
  for (let i = 0; i < 100 && threads > baseline + 1; i++) {
    await sleep(200);
    threads = threadsOf(pid);
  }
  t.ok(threads <= baseline + 1, `threads back to the baseline: ${threads} now, ${baseline} before the ${TIMEOUTS} cut matches`);

  // Idle but for one sane check a second: a small share of one core (measured: 3 %). Runaway
  // workers take all the cores the machine gives them (measured: 39 % with the load at 14).
  const cpu0 = cpuSeconds(pid);
  const wall0 = performance.now();
  await sleep(IDLE_S * 1000);
  const used = cpuSeconds(pid) - cpu0;
  const wall = (performance.now() - wall0) / 1000;
  t.comment(`CPU used over ${wall.toFixed(1)} s after the cut matches: ${used.toFixed(2)} s`);
  t.ok(used < 0.2 * wall, `the daemon is nearly idle: ${used.toFixed(2)} s of CPU in ${wall.toFixed(1)} s`);
  t.equal(d.lvsd.child.exitCode, null, 'the daemon kept running');
});
