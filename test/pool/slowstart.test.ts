// slowstart= end to end: the real daemon, real HTTP servers on loopback, the stand-in ipvsadm. A
// real back from down enters at weight 1 and the kernel weight climbs through the ramp's steps to
// its configured weight; one that fails mid-ramp leaves, and its next return starts again from 1.
// Start-up is not a return: reals go in at their full weight at once.
import t from 'tap';
import { weightOf, waitFor } from '../helpers/lvsd.js';
import { startLvsd, queryControl, parseMetrics, metric, VIP } from '../status/helpers.js';
import type { RealServer } from '../helpers/lvsd.js';
import type { RealStatus } from '../../src/status/types.js';

// slowstart=16: a step every 4 s (1, 5, 10, 15, 20 for weight 20), wide enough for a loaded machine
const text = (reals: RealServer[]) =>
  [
    'checkinterval=1',
    'checktimeout=3',
    'negotiatetimeout=3',
    'quiescent=no',
    'slowstart=16',
    '',
    `virtual=${VIP}`,
    `\treal=${reals[0]!.addr} masq 20`,
    `\treal=${reals[1]!.addr} masq 3`,
    '\tservice=http',
    '\treceive="OK"',
    '',
  ].join('\n');

/** "Weight set to N" of `addr`'s adds, steps and restores in `out`, in order. */
function weightsLogged(out: string, addr: string): number[] {
  const re = new RegExp(`(?:Added|Restored|Changed weight of) real server: ${addr.replace(/\./g, '\\.')} \\(${VIP.replace(/\./g, '\\.')}\\) \\(Weight set to (\\d+)\\)`, 'g');
  return [...out.matchAll(re)].map((m) => Number(m[1]));
}

t.test('slowstart: the kernel weight climbs 1 → 20 in steps; a failure mid-ramp restarts it from 1', async (t) => {
  const d = await startLvsd(t, ['127.0.14.21', '127.0.14.22'], { text });
  const [a] = d.reals as [RealServer];
  await waitFor('both reals in at start', async () => (await weightOf(d.state, VIP, a.addr)) === 20 && (await weightOf(d.state, VIP, d.reals[1]!.addr)) === 3);
  t.same(weightsLogged(d.lvsd.out, a.addr), [20], 'start-up: in at full weight, no ramp');

  // First return: watch the kernel weight until the ramp is past its first step, then fail it.
  await a.stop();
  await waitFor('a out', async () => (await weightOf(d.state, VIP, a.addr)) === undefined);
  let mark = d.lvsd.out.length;
  await a.start();
  let ramp: RealStatus['slowstart'] = null;
  await waitFor('a past its first step', async () => {
    const [s, w] = await Promise.all([d.status(), weightOf(d.state, VIP, a.addr)]);
    if (!ramp && d.real(s, a)?.slowstart) ramp = d.real(s, a)!.slowstart;
    return w !== undefined && w > 1;
  });
  const first = weightsLogged(d.lvsd.out.slice(mark), a.addr);
  t.equal(first[0], 1, 'back at weight 1 first');
  t.ok(first.length >= 2 && first.at(-1)! > 1 && first.at(-1)! < 20, `then an intermediate weight (${first.join(' → ')})`);
  t.match(ramp, { target: 20 }, 'status showed the ramp');
  t.ok(ramp!.weight >= 1 && ramp!.weight < 20 && ramp!.secondsLeft > 0 && ramp!.secondsLeft <= 16, `ramp ${JSON.stringify(ramp)}`);

  await a.stop();
  await waitFor('a out again', async () => (await weightOf(d.state, VIP, a.addr)) === undefined);
  // the log line follows the kernel write it reports
  await d.lvsd.logged(`Deleted real server: ${a.addr} (${VIP})`);
  const cut = weightsLogged(d.lvsd.out.slice(mark), a.addr);
  t.ok(cut.at(-1)! < 20, `taken out mid-ramp (last weight ${cut.at(-1)})`);
  t.equal(d.real(await d.status(), a)!.slowstart, null, 'no ramp while down');

  // Second return: from 1 again, through every step to 20.
  mark = d.lvsd.out.length;
  await a.start();
  const kernel: number[] = [];
  let metricSeen: number | undefined;
  await waitFor('a at full weight', async () => {
    const w = await weightOf(d.state, VIP, a.addr);
    if (w !== undefined && w !== kernel.at(-1)) kernel.push(w);
    if (metricSeen === undefined && w !== undefined && w < 20) {
      metricSeen = metric(parseMetrics(await queryControl(d.sock, 'metrics')), 'lvsd_real_slowstart_weight', { real: a.addr });
    }
    return w === 20;
  }, 90_000);
  await d.lvsd.logged(`Restored real server: ${a.addr} (${VIP}) (Weight set to 20)`);
  const second = weightsLogged(d.lvsd.out.slice(mark), a.addr);
  // Each step is one write (1, 5, 10, 15, 20); a machine too loaded to apply a step before the
  // next one is due writes the later weight instead, so only the steps' values and order are firm.
  // the steps between are logged as weight changes (not mailed); the last is a restore
  t.notMatch(d.lvsd.out.slice(mark), new RegExp(`Restored real server: ${a.addr.replace(/\./g, '\\.')} \\(${VIP.replace(/\./g, '\\.')}\\) \\(Weight set to (1|5|10|15)\\)`), 'no step is logged as a restore');
  t.ok(second.length >= 3 && second[0] === 1 && second.at(-1) === 20, `from 1 to 20 through intermediate weights (${second.join(' → ')})`);
  t.ok(second.every((w, i) => [1, 5, 10, 15, 20].includes(w) && (i === 0 || w > second[i - 1]!)), 'each write is a later step of the ramp');
  t.ok(kernel.length >= 3 && kernel[0] === 1, `the stand-in's table went through intermediate weights (${kernel.join(' → ')})`);
  t.same([...kernel].sort((x, y) => x - y), kernel, 'never down on the way');
  t.ok(metricSeen !== undefined && metricSeen >= 1 && metricSeen < 20, `metrics showed the ramp (${metricSeen})`);
  await waitFor('the ramp gone from status', async () => d.real(await d.status(), a)!.slowstart === null);
  t.equal(await weightOf(d.state, VIP, d.reals[1]!.addr), 3, 'the other real untouched');
});
