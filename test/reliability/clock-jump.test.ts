// The wall clock jumps (NTP step, an operator's `date -s`): check timers, IPVS retries and
// repeat alerts run on monotonic time, so a day back or forth neither stalls nor bursts them.
// The machine's clock is left alone: libfaketime (Debian package libfaketime) shifts only the
// daemon's realtime clock, read afresh from a file on every call; CLOCK_MONOTONIC stays real.
import t from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TempDir, weightOf } from '../helpers/lvsd.js';
import { startSmtp } from '../alerts/smtp.js';
import { LogWatch, VIP, httpConfig, reals, sleep, startDaemon, waitFor } from './helpers.js';

const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const noFaketime = existsSync(LIBFAKETIME) ? false : `${LIBFAKETIME} is missing (Debian package libfaketime)`;

/** The day of a supervised log line, `[Mon Nov 23 15:27:56 2026] ...` → `Nov 23 2026`. */
function dayOf(line: string): string | undefined {
  const m = /^\[\w{3} (\w{3}) +(\d+) [\d:]+ (\d+)\]/.exec(line);
  return m ? `${m[1]} ${m[2]} ${m[3]}` : undefined;
}

t.test('wall clock jumps back a day and forward two: checks, IPVS and repeat alerts go on', { skip: noFaketime }, async (t) => {
  const smtp = await startSmtp();
  t.teardown(() => smtp.close());
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const clock = dir.file('faketime', '+0\n');
  const rs = await reals(t, ['127.0.0.91', '127.0.0.92']);
  const d = startDaemon(
    t,
    httpConfig(rs, ['quiescent=no', 'emailalert="ops@example.com"', `smtp=127.0.0.1:${smtp.port}`, 'emailalertfreq=2']),
    {
      dir,
      // -f without logfile=: supervised lines with the daemon's idea of the date.
      args: ['-f'],
      env: {
        LD_PRELOAD: LIBFAKETIME,
        FAKETIME_TIMESTAMP_FILE: clock,
        FAKETIME_NO_CACHE: '1',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
      },
    },
  );
  const log = new LogWatch(d.lvsd);
  const repeat = new RegExp(`emailalert: Inaccessible real server: ${rs[1]!.addr.replace(/\./g, '\\.')}`);
  await waitFor('both reals in the table', async () => (await weightOf(d.state, VIP, rs[1]!.addr)) === 3);
  const today = dayOf(log.matching(/^\[/)[0]!.line);
  t.ok(today, 'log lines carry the date');

  await rs[1]!.stop();
  await waitFor('the dead real removed', async () => (await weightOf(d.state, VIP, rs[1]!.addr)) === undefined);
  await log.waitCount('repeat alerts', repeat, 2);

  writeFileSync(clock, '-1d\n');
  const seen = log.count(repeat);
  await log.waitCount('repeat alerts after the jump back', repeat, seen + 2);
  const back = log.matching(repeat).slice(-1)[0]!.line;
  t.not(dayOf(back), today, `the daemon saw the clock go back a day (${dayOf(back)})`);
  await rs[1]!.start();
  await waitFor('checks go on: the real re-added', async () => (await weightOf(d.state, VIP, rs[1]!.addr)) === 3);

  writeFileSync(clock, '+2d\n');
  await rs[0]!.stop();
  await waitFor('checks go on: the other real removed', async () => (await weightOf(d.state, VIP, rs[0]!.addr)) === undefined);
  // The table may change before the daemon's log line reaches us.
  const fwd = (await log.waitCount('the removal logged', new RegExp(`Deleted real server: ${rs[0]!.addr.replace(/\./g, '\\.')}`), 1))[0]!.line;
  t.not(dayOf(fwd), today, `the daemon saw the clock go forward (${dayOf(fwd)})`);
  // Forward by two days with emailalertfreq=2 s: wall-clock repeats would fire at once; monotonic ones keep their pace.
  const repeat0 = new RegExp(`emailalert: Inaccessible real server: ${rs[0]!.addr.replace(/\./g, '\\.')}`);
  await log.waitCount('repeat alerts after the jump forward', repeat0, 2);
  t.equal(d.lvsd.child.exitCode, null, 'the daemon kept running');
});

// The jump lands while a check is in flight: the server holds its answer until the clock went
// back. A scheduler that reckoned the next run on wall time (start + interval, read before the
// jump, against now, read after it) would wait a day for it; on monotonic time it comes as due.
t.test('a jump back while a check is in flight does not delay that real\'s next checks', { skip: noFaketime }, async (t) => {
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const clock = dir.file('faketime', '+0\n');
  let requests = 0;
  let failing = false;
  let hold: ((release: () => void) => void) | undefined;
  const server = createServer((_req, res) => {
    requests++;
    const answer = (): void => void res.writeHead(failing ? 500 : 200).end('OK');
    const h = hold;
    hold = undefined;
    if (h) h(answer);
    else answer();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.93', () => r()));
  t.teardown(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  const addr = `127.0.0.93:${(server.address() as AddressInfo).port}`;
  const config = ['checkinterval=1', 'checktimeout=10', 'negotiatetimeout=10', 'quiescent=no', '', `virtual=${VIP}`, `    real=${addr} masq`, '    service=http', '    request="/"', '    receive="OK"', ''];
  const d = startDaemon(t, config.join('\n'), {
    dir,
    args: ['-f'],
    env: { LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: clock, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' },
  });
  const log = new LogWatch(d.lvsd);
  await waitFor('the real in the table', async () => (await weightOf(d.state, VIP, addr)) === 1);
  const today = dayOf(log.matching(/^\[/)[0]!.line);

  // The next check's request is held; the clock goes back a day; then the answer goes out.
  const held = new Promise<() => void>((r) => (hold = r));
  const release = await held;
  writeFileSync(clock, '-1d\n');
  await sleep(200);
  release();
  const after = requests;
  await waitFor('three more checks after the jump', () => requests >= after + 3);
  t.pass(`checks went on: ${requests - after} since the jump`);
  // And the daemon did see the jump: the real failing now is logged a day back.
  failing = true;
  await waitFor('the failing real removed', async () => (await weightOf(d.state, VIP, addr)) === undefined);
  // The table may change before the daemon's log line reaches us.
  const gone = (await log.waitCount('the removal logged', new RegExp(`Deleted real server: ${addr.replace(/\./g, '\\.')}`), 1))[0]!.line;
  t.not(dayOf(gone), today, `the daemon saw the clock go back a day (${dayOf(gone)})`);
  t.equal(d.lvsd.child.exitCode, null, 'the daemon kept running');
});
