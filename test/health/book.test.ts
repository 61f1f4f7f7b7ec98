// The health state machine: failurecount, soft failures, shared checks, forced downs, rise.
import t from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import { bindingsOf } from '../../src/health/targets.js';
import { HealthBook } from '../../src/health/book.js';
import { DaemonBus } from '../../src/events/index.js';

const CF = `failurecount=3
virtual=10.0.0.1:80
    real=10.1.1.1:80 masq
    service=http
virtual=10.0.0.2:80
    real=10.1.1.1:80 masq
    service=http
`;

async function book(text = CF) {
  const cfg = await parseConfigText(text, '/t/x.cf', 'cf');
  const bus = new DaemonBus();
  const events: string[] = [];
  bus.on('softfail', (e) => events.push(`soft ${e.virtual.address} ${e.failures}/${e.failurecount}`));
  bus.on('softreset', (e) => events.push(`reset ${e.virtual.address}`));
  bus.on('softrise', (e) => events.push(`rise ${e.virtual.address} ${e.successes}/${e.rise}`));
  bus.on('risereset', (e) => events.push(`risereset ${e.virtual.address} after ${e.successes}`));
  bus.on('transition', (e) => events.push(`${e.virtual.address} ${e.from}->${e.to}`));
  const b = new HealthBook(bus);
  b.setBindings(bindingsOf(cfg), () => 'unknown');
  return { b, events, key: b.keys()[0]!, cfg };
}

const ok = { ok: true, message: 'Success' };
const bad = { ok: false, message: 'Connection refused' };

t.test('identical checks in two virtuals share one key', async (t) => {
  const { b } = await book();
  t.equal(b.keys().length, 1);
  t.equal(b.all().length, 2);
});

t.test('unknown → down on the first failure; up → down only after failurecount failures', async (t) => {
  const { b, events, key } = await book();
  b.record(key, bad, 1);
  t.same(events, ['10.0.0.1 unknown->down', '10.0.0.2 unknown->down']);
  events.length = 0;
  b.record(key, ok, 1);
  b.record(key, bad, 1);
  b.record(key, bad, 1);
  t.same(events.filter((e) => e.includes('->')), ['10.0.0.1 down->up', '10.0.0.2 down->up']);
  t.same(events.filter((e) => e.startsWith('soft')), ['soft 10.0.0.1 1/3', 'soft 10.0.0.2 1/3', 'soft 10.0.0.1 2/3', 'soft 10.0.0.2 2/3'], 'each virtual counts once per check');
  events.length = 0;
  b.record(key, ok, 1);
  t.same(events, ['reset 10.0.0.1', 'reset 10.0.0.2'], 'a success resets the count');
  events.length = 0;
  for (let i = 0; i < 3; i++) b.record(key, bad, 1);
  t.same(events.filter((e) => e.includes('->')), ['10.0.0.1 up->down', '10.0.0.2 up->down']);
});

t.test('a forced failure (maintenance) takes an up real down at once', async (t) => {
  const { b, events, key } = await book();
  b.record(key, ok, 1);
  events.length = 0;
  b.record(key, { ok: false, message: 'Server in maintenance', forced: true }, 0);
  t.same(events, ['10.0.0.1 up->down', '10.0.0.2 up->down']);
});

t.test('a reload keeps the state of unchanged bindings', async (t) => {
  const { b, key, cfg } = await book();
  b.record(key, ok, 1);
  b.setBindings(bindingsOf(cfg), () => 'unknown');
  t.same(b.all().map((x) => b.health(x)), ['up', 'up']);
  const changed = await parseConfigText(CF.replace('service=http\nvirtual=10.0.0.2', 'service=http\n    request="/other"\nvirtual=10.0.0.2'), '/t/x.cf', 'cf');
  b.setBindings(bindingsOf(changed), () => 'unknown');
  t.same(b.all().map((x) => b.health(x)), ['unknown', 'up'], 'a changed check starts over');
});

t.test('adopted from the kernel: down at its first failure despite failurecount; confirmed, it counts as usual', async (t) => {
  const { b, events, key } = await book();
  const [first, second] = b.all();
  b.adopt(first!);
  b.adopt(second!);
  t.equal(b.health(first!), 'up', 'adopted as up, without a transition');
  t.same(events, []);
  b.record(key, bad, 1);
  t.same(events, ['10.0.0.1 up->down', '10.0.0.2 up->down'], 'its first failed check takes it down: it may have died while no lvsd ran');

  const again = await book();
  for (const x of again.b.all()) again.b.adopt(x);
  again.b.record(again.key, ok, 1);
  again.b.record(again.key, bad, 1);
  t.same(again.events, ['soft 10.0.0.1 1/3', 'soft 10.0.0.2 1/3'], 'once a check confirmed it, failurecount applies');
});

t.test('adopt() leaves a binding a check has already decided alone', async (t) => {
  const { b, key } = await book();
  b.record(key, bad, 1);
  for (const x of b.all()) b.adopt(x);
  t.same(b.all().map((x) => b.health(x)), ['down', 'down']);
});

// rise=: a real seen failing comes back only after N passing checks in a row; one never seen
// (start-up, a reload's new real) is up at its first pass. Counted per virtual service. The same
// real in two virtuals: rise=3 globally, rise=1 in the second.
const RISE = 'rise=3\n' + CF.replace('failurecount=3\n', '') + '    rise=1\n';
/** (the failure counted when it went down is reset at its first pass, as before rise) */
const noReset = (events: string[]) => events.filter((e) => !e.startsWith('reset'));

t.test('an unknown real is up at its first pass, whatever rise says', async (t) => {
  const { b, events, key } = await book(RISE);
  t.ok(b.record(key, ok, 1));
  t.same(noReset(events), ['10.0.0.1 unknown->up', '10.0.0.2 unknown->up']);
});

t.test('a down real returns after rise passes in a row; each virtual has its own rise', async (t) => {
  const { b, events, key } = await book(RISE);
  b.record(key, bad, 1);
  events.length = 0;
  t.notOk(b.record(key, ok, 1) && events.includes('10.0.0.1 down->up'));
  t.same(noReset(events), ['rise 10.0.0.1 1/3', '10.0.0.2 down->up']);
  t.equal(b.state(b.all()[0]!).successes, 1);
  events.length = 0;
  t.notOk(b.record(key, ok, 1), 'second pass: nothing changes');
  t.same(noReset(events), ['rise 10.0.0.1 2/3']);
  events.length = 0;
  t.ok(b.record(key, ok, 1));
  t.same(noReset(events), ['10.0.0.1 down->up']);
  t.equal(b.state(b.all()[0]!).successes, 0, 'the count is cleared once up');
});

t.test('a failure while rising starts the count again', async (t) => {
  const { b, events, key } = await book(RISE);
  b.record(key, bad, 1);
  b.record(key, ok, 1);
  b.record(key, ok, 1);
  events.length = 0;
  b.record(key, bad, 1);
  t.same(noReset(events), ['risereset 10.0.0.1 after 2', '10.0.0.2 up->down']);
  t.equal(b.state(b.all()[0]!).successes, 0);
  events.length = 0;
  b.record(key, ok, 1);
  b.record(key, ok, 1);
  t.same(events.filter((e) => e.startsWith('10.0.0.1')), [], 'two passes after the reset are not enough');
  b.record(key, ok, 1);
  t.same(events.filter((e) => e.startsWith('10.0.0.1')), ['10.0.0.1 down->up']);
});

t.test('a failure of a down real with no count says nothing', async (t) => {
  const { b, events, key } = await book(RISE);
  b.record(key, bad, 1);
  events.length = 0;
  b.record(key, bad, 1);
  t.same(noReset(events), []);
});
