// Scheduler.isAlive(), the predicate that gates the systemd watchdog: a check whose timer is
// far overdue means a stuck scheduler (or loop), and then lvsd must stop pinging.
import t from 'tap';
import { Scheduler } from '../../src/health/scheduler.js';
import type { Checker, CheckTarget } from '../../src/checks/types.js';

function target(key: string, timeout = 1): CheckTarget {
  return {
    key, checktype: 'connect', service: 'http', protocol: 'tcp', family: 4, host: '127.0.0.1', port: 1, vip: '127.0.0.100',
    vport: 80, rport: 1, request: '/', httpmethod: 'GET', login: '', passwd: '', database: '', secret: '', checkcommand: '',
    checkcount: 1, checktimeout: timeout, negotiatetimeout: timeout, sslverify: false,
  };
}

const GRACE = 100;
/** How far past its due time a waiting check may be: its deadline, the grace, and 5 s. */
const slack = (timeoutSec: number) => timeoutSec * 1000 + GRACE + 5000;

t.test('overdue waiting checks make the scheduler not alive', async (t) => {
  const ran: string[] = [];
  const quick: Checker = { check: async () => ({ ok: true, message: 'Success' }) };
  const s = new Scheduler({ checkerFor: () => quick, onResult: (k) => ran.push(k), graceMs: GRACE, maxJitterMs: 0 });
  t.teardown(() => s.stop());
  t.ok(s.isAlive(performance.now() + 3_600_000), 'no checks: nothing can be overdue');

  const before = performance.now();
  // No jitter: each first run is due now; no timer can fire before this test yields.
  s.sync([{ target: target('a', 1), intervalMs: 60_000 }, { target: target('b', 3), intervalMs: 60_000 }]);
  const after = performance.now();
  t.ok(s.isAlive(), 'due now is not overdue');
  t.ok(s.isAlive(before + slack(1)), 'within its slack');
  t.notOk(s.isAlive(after + slack(1) + 1), 'the 1 s check is overdue past its slack');
  t.ok(s.isAlive(before + slack(1) - 1) && !s.isAlive(after + slack(3) + 1), 'each check has its own deadline');

  // Once the timers have fired, the next runs are an interval away: alive at that same instant.
  for (let i = 0; i < 100 && ran.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  t.same(ran.sort(), ['a', 'b'], 'both ran');
  t.ok(s.isAlive(after + slack(3) + 1), 'checks that ran are due again only an interval later');
  t.notOk(s.isAlive(after + 60_000 + slack(3) + 1), 'and overdue past that interval plus slack');

  s.stop();
  t.ok(s.isAlive(after + 3_600_000), 'a stopped scheduler has nothing overdue');
});

t.test('a check in progress is bounded by its own deadline, not counted as overdue', async (t) => {
  let started = false;
  const hung: Checker = {
    check: () => {
      started = true;
      return new Promise(() => {});
    },
  };
  const s = new Scheduler({ checkerFor: () => hung, onResult: () => {}, graceMs: GRACE, maxJitterMs: 0 });
  t.teardown(() => s.stop());
  s.sync([{ target: target('h', 1), intervalMs: 60_000 }]);
  const t0 = performance.now();
  t.notOk(s.isAlive(t0 + slack(1) + 10), 'waiting and overdue: not alive');
  for (let i = 0; i < 100 && !started; i++) await new Promise((r) => setTimeout(r, 20));
  t.ok(started, 'the check started');
  t.ok(s.isAlive(t0 + slack(1) + 10), 'running: its deadline, not the watchdog, ends it');
});
