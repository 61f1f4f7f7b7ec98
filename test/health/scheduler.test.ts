// The scheduler: independent timers, hard deadlines, a misbehaving checker harms nobody else.
import t from 'tap';
import { Scheduler } from '../../src/health/scheduler.js';
import type { Checker, CheckTarget } from '../../src/checks/types.js';

function target(key: string, timeout = 1): CheckTarget {
  return {
    key, checktype: 'negotiate', service: 'http', protocol: 'tcp', family: 4, host: '127.0.0.1', port: 1, vip: '127.0.0.100',
    vport: 80, rport: 1, request: '/', httpmethod: 'GET', login: '', passwd: '', database: '', secret: '', checkcommand: '',
    checkcount: 1, checktimeout: timeout, negotiatetimeout: timeout, sslverify: false,
  };
}

t.test('a checker that never settles is cut at its deadline and delays no other check', async (t) => {
  const results: { key: string; ok: boolean; message: string }[] = [];
  const hung: Checker = { check: () => new Promise(() => {}) }; // ignores its signal, never settles
  const quick: Checker = { check: async () => ({ ok: true, message: 'Success' }) };
  const s = new Scheduler({
    checkerFor: (tg) => (tg.key === 'hung' ? hung : quick),
    onResult: (key, r) => results.push({ key, ok: r.ok, message: r.message }),
    graceMs: 100,
    maxJitterMs: 10,
  });
  s.sync([{ target: target('hung', 1), intervalMs: 200 }, { target: target('quick'), intervalMs: 100 }]);
  // Bounded wait for the hung check's first (deadline) result.
  for (let i = 0; i < 100 && !results.some((r) => r.key === 'hung'); i++) await new Promise((r) => setTimeout(r, 50));
  s.stop();
  const hungResult = results.find((r) => r.key === 'hung');
  t.ok(hungResult, 'the hung check produced a result');
  t.same(hungResult && { ok: hungResult.ok, message: hungResult.message }, { ok: false, message: 'timeout after 1s' });
  const quickBefore = results.findIndex((r) => r.key === 'hung');
  t.ok(results.slice(0, quickBefore).filter((r) => r.key === 'quick').length >= 3, 'the quick check kept its own rhythm meanwhile');
});

t.test('a checker that throws is a failed check, not a dead scheduler', async (t) => {
  const results: string[] = [];
  const s = new Scheduler({
    checkerFor: () => ({ check: async () => { throw new Error('boom'); } }),
    onResult: (_k, r) => results.push(r.message),
    maxJitterMs: 1,
  });
  s.sync([{ target: target('x'), intervalMs: 50 }]);
  for (let i = 0; i < 40 && results.length < 2; i++) await new Promise((r) => setTimeout(r, 25));
  s.stop();
  t.ok(results.length >= 2, 'kept checking');
  t.equal(results[0], 'check error: boom');
});

t.test('sync keeps unchanged timers, starts new ones and stops removed ones; off is never run', async (t) => {
  const seen = new Set<string>();
  const s = new Scheduler({ checkerFor: () => ({ check: async () => ({ ok: true, message: '' }) }), onResult: (k) => seen.add(k), maxJitterMs: 1 });
  s.sync([{ target: target('a'), intervalMs: 50 }, { target: { ...target('off'), checktype: 'off' }, intervalMs: 50 }]);
  t.equal(s.size(), 1);
  s.sync([{ target: target('a'), intervalMs: 50 }, { target: target('b'), intervalMs: 50 }]);
  t.equal(s.size(), 2);
  for (let i = 0; i < 40 && seen.size < 2; i++) await new Promise((r) => setTimeout(r, 25));
  s.sync([{ target: target('b'), intervalMs: 50 }]);
  t.equal(s.size(), 1);
  s.stop();
  t.same([...seen].sort(), ['a', 'b']);
  t.ok(s.isAlive(), 'alive when nothing is overdue');
});
