// rise= end to end: the real daemon, real HTTP servers on loopback, the stand-in ipvsadm. A real
// that failed comes back only after its third passing check in a row, and status (JSON, text,
// metrics) shows the count on the way; at start-up rise does not hold the table empty. `lvsd -t`
// refuses bad values with file and line.
import t from 'tap';
import { runCli, weightOf, waitFor } from '../helpers/lvsd.js';
import { startLvsd, queryControl, parseMetrics, metric, VIP } from '../status/helpers.js';
import { formatStatus } from '../../src/status/format.js';
import type { StatusSnapshot } from '../../src/status/types.js';

t.test('rise=3: a recovering real enters after its third success, counted in status on the way', async (t) => {
  const d = await startLvsd(t, ['127.0.14.11', '127.0.14.12'], { extra: ['quiescent=no'], virtualExtra: ['rise=3', 'checkinterval=2'] });
  const [a, b] = d.reals as [(typeof d.reals)[0], (typeof d.reals)[0]];
  await waitFor('both reals in at start', async () => (await weightOf(d.state, VIP, a.addr)) === 2 && (await weightOf(d.state, VIP, b.addr)) === 3);
  t.notMatch(d.lvsd.out, /Soft rise/, 'start-up: each real is in at its first passing check, rise or not');

  await b.stop();
  await waitFor('b out of the kernel', async () => (await weightOf(d.state, VIP, b.addr)) === undefined);
  const before = d.lvsd.out.length;
  await b.start();

  // While b earns its way back: it is down, out of the kernel, and status counts its successes.
  const seen = new Map<number, { snap: StatusSnapshot; metrics: string; kernel: number | undefined }>();
  await waitFor('b back in the kernel', async () => {
    const [snap, metrics, kernel] = await Promise.all([d.status(), queryControl(d.sock, 'metrics'), weightOf(d.state, VIP, b.addr)]);
    const r = d.real(snap, b)!;
    if (r.health === 'down' && r.successes > 0 && !seen.has(r.successes)) seen.set(r.successes, { snap, metrics, kernel });
    return kernel === 3;
  });
  // a poll slower than a check (a loaded machine) may miss one step; the log below has them all
  t.ok(seen.size >= 1 && [...seen.keys()].every((n) => n === 1 || n === 2), `status showed the count on the way while b was down (${[...seen.keys()].sort().join(', ')} of 1, 2)`);
  for (const [n, { snap, metrics, kernel }] of seen) {
    const r = d.real(snap, b)!;
    t.match(r, { health: 'down', successes: n, rise: 3 }, `JSON: rising ${n}/3`);
    // the kernel read may come a moment after the status; it must not be in before the third pass
    if (n === 1) t.equal(kernel, undefined, 'not in the kernel after one success');
    t.match(formatStatus(snap), new RegExp(`DOWN +${b.addr.replace(/\./g, '\\.')} masq +- .*rising ${n}/3; `), `text: rising ${n}/3`);
    t.equal(metric(parseMetrics(metrics), 'lvsd_real_rise_successes', { real: b.addr }), n, `metrics: ${n}`);
  }

  // the log line follows the kernel write it reports
  await waitFor('the add logged', () => d.lvsd.out.slice(before).includes(`Added real server: ${b.addr} (${VIP}) (Weight set to 3)`));
  const out = d.lvsd.out.slice(before);
  const soft = (n: number) => out.indexOf(`Soft rise real server: ${b.addr} (tcp:${VIP}) success ${n}/3`);
  const added = out.indexOf(`Added real server: ${b.addr} (${VIP}) (Weight set to 3)`);
  t.ok(soft(1) >= 0 && soft(2) > soft(1), 'the log has each step: success 1/3, 2/3');
  t.ok(added > soft(2), 'added only after the second soft rise, at the third success');
  t.equal(soft(3), -1, 'the third success is the return itself, not a soft rise');
  const s = await d.status();
  t.match(d.real(s, b), { health: 'up', successes: 0, rise: 3, kernelWeight: 3 });
  t.equal(d.real(s, a)!.rise, 3);
});

t.test('lvsd -t refuses bad rise and slowstart values with file and line', async (t) => {
  const { TempDir } = await import('../helpers/lvsd.js');
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const cases: [string, string, number, RegExp][] = [
    ['rise=0', 'rise=0\n', 1, /rise must be from 1 to 100000, got 0/],
    ['rise=x', 'checkinterval=1\nrise=x\n', 2, /rise needs a whole number from 1 to 100000, got "x"/],
    ['slowstart=-1 (per virtual)', 'virtual=127.0.14.1:80\n\treal=127.0.14.2:80 masq\n\tslowstart=-1\n', 3, /slowstart needs a whole number from 0 to 86400, got "-1"/],
    ['rise=2.5', 'rise=2.5\n', 1, /rise needs a whole number/],
  ];
  for (const [name, text, line, message] of cases) {
    const cfg = dir.file(`${name.replace(/\W/g, '_')}.cf`, text);
    const r = await runCli(['-t', cfg]);
    t.equal(r.code, 2, `${name}: exit 2`);
    t.match(r.stderr + r.stdout, `${cfg}:${line}: `, `${name}: file and line`);
    t.match(r.stderr + r.stdout, message, `${name}: the reason`);
  }
  const ok = dir.file('ok.cf', 'rise=2\nslowstart=0\nvirtual=127.0.14.1:80\n\treal=127.0.14.2:80 masq\n\trise=5\n\tslowstart=30\n');
  t.equal((await runCli(['-t', ok])).code, 0, 'good values pass');
});
