// rise=: a real seen failing comes back only after N passing checks in a row; one that was never
// seen (start-up, a reload's new real) is up at its first pass. Counted per virtual service.
import t from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import { bindingsOf } from '../../src/health/targets.js';
import { HealthBook } from '../../src/health/book.js';
import { DaemonBus } from '../../src/events/index.js';

// one real in two virtuals: rise=3 globally, rise=1 in the second
const CF = `rise=3
virtual=10.0.0.1:80
    real=10.1.1.1:80 masq
    service=http
virtual=10.0.0.2:80
    real=10.1.1.1:80 masq
    service=http
    rise=1
`;

async function book() {
  const cfg = await parseConfigText(CF, '/t/x.cf', 'cf');
  const bus = new DaemonBus();
  const events: string[] = [];
  bus.on('softrise', (e) => events.push(`rise ${e.virtual.address} ${e.successes}/${e.rise}`));
  bus.on('risereset', (e) => events.push(`risereset ${e.virtual.address} after ${e.successes}`));
  bus.on('transition', (e) => events.push(`${e.virtual.address} ${e.from}->${e.to}`));
  const b = new HealthBook(bus);
  b.setBindings(bindingsOf(cfg), () => 'unknown');
  return { b, events, key: b.keys()[0]!, cfg };
}

const ok = { ok: true, message: 'Success' };
const bad = { ok: false, message: 'Connection refused' };

t.test('an unknown real is up at its first pass, whatever rise says', async (t) => {
  const { b, events, key } = await book();
  t.ok(b.record(key, ok, 1));
  t.same(events, ['10.0.0.1 unknown->up', '10.0.0.2 unknown->up']);
});

t.test('a down real returns after rise passes in a row; each virtual has its own rise', async (t) => {
  const { b, events, key } = await book();
  b.record(key, bad, 1);
  events.length = 0;
  t.notOk(b.record(key, ok, 1) && events.includes('10.0.0.1 down->up'));
  t.same(events, ['rise 10.0.0.1 1/3', '10.0.0.2 down->up']);
  t.equal(b.state(b.all()[0]!).successes, 1);
  events.length = 0;
  t.notOk(b.record(key, ok, 1), 'second pass: nothing changes');
  t.same(events, ['rise 10.0.0.1 2/3']);
  events.length = 0;
  t.ok(b.record(key, ok, 1));
  t.same(events, ['10.0.0.1 down->up']);
  t.equal(b.state(b.all()[0]!).successes, 0, 'the count is cleared once up');
});

t.test('a failure while rising starts the count again', async (t) => {
  const { b, events, key } = await book();
  b.record(key, bad, 1);
  b.record(key, ok, 1);
  b.record(key, ok, 1);
  events.length = 0;
  b.record(key, bad, 1);
  t.same(events, ['risereset 10.0.0.1 after 2', '10.0.0.2 up->down']);
  t.equal(b.state(b.all()[0]!).successes, 0);
  events.length = 0;
  b.record(key, ok, 1);
  b.record(key, ok, 1);
  t.same(events.filter((e) => e.startsWith('10.0.0.1')), [], 'two passes after the reset are not enough');
  b.record(key, ok, 1);
  t.same(events.filter((e) => e.startsWith('10.0.0.1')), ['10.0.0.1 down->up']);
});

t.test('a failure of a down real with no count says nothing', async (t) => {
  const { b, events, key } = await book();
  b.record(key, bad, 1);
  events.length = 0;
  b.record(key, bad, 1);
  t.same(events, []);
});
