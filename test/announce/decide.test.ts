// The announce decision and its hold-down (src/announce/decide.ts), with an injected clock: no
// sleeps. And the include file's text (bird-routes.ts) and BIRD's reply framing (bird-control.ts).
import t from 'tap';
import { addressWishes, HoldDown, poolWants, routeOf, type PoolShare } from '../../src/announce/decide.js';
import { renderBirdRoutes } from '../../src/announce/bird-routes.js';
import { ReplyReader, isBirdError } from '../../src/announce/bird-control.js';

const pool = (serving: boolean[], threshold?: number, address = '192.0.2.10', weights?: number[]): PoolShare => ({
  address,
  family: address.includes(':') ? 6 : 4,
  ...(threshold !== undefined ? { threshold } : {}),
  reals: serving.map((s, i) => ({ weight: weights?.[i] ?? 1, serving: s })),
});

t.test('a pool wants announcing: any serving real by default, a share with a threshold, always with 0', async (t) => {
  t.equal(poolWants(pool([false, true])), true, 'one of two');
  t.equal(poolWants(pool([false, false])), false, 'none');
  t.equal(poolWants(pool([])), false, 'no real at all');
  t.equal(poolWants(pool([true], undefined, '192.0.2.10', [0])), false, 'a serving real of weight 0 does not count');
  t.equal(poolWants(pool([true, false], 0.5)), true, 'half of the weight, threshold 0.5');
  t.equal(poolWants(pool([true, false, false], 0.5)), false, 'a third');
  t.equal(poolWants(pool([true, false], 0.5, '192.0.2.10', [1, 3])), false, 'shares are of configured weight, not of reals');
  t.equal(poolWants(pool([false, true], 0.5, '192.0.2.10', [1, 3])), true);
  t.equal(poolWants(pool([true, true], 1)), true, 'threshold 1: all');
  t.equal(poolWants(pool([true, false], 1)), false);
  t.equal(poolWants(pool([false], 0)), true, 'threshold 0: always');
  t.equal(poolWants(pool([], 0)), true);
  t.equal(poolWants(pool([true], 0.5, '192.0.2.10', [0])), false, 'a pool of weight 0 has no share');
});

t.test('per address: every virtual service on it must want it; the role may forbid', async (t) => {
  const pools = [pool([true]), pool([false]), pool([true], undefined, '192.0.2.11'), pool([true], undefined, '2001:db8::1')];
  // the first two share 192.0.2.10 (two ports): one dead port takes the address away
  t.same([...addressWishes(pools, 'master')], [
    ['192.0.2.10/32', false],
    ['192.0.2.11/32', true],
    ['2001:db8::1/128', true],
  ]);
  t.same([...addressWishes([pool([false]), pool([true])], 'unknown')], [['192.0.2.10/32', false]], 'the order does not matter');
  t.same([...addressWishes([pool([true]), pool([true])], 'unknown')], [['192.0.2.10/32', true]], 'unknown announces');
  for (const role of ['backup', 'fault'] as const) t.same([...addressWishes([pool([true])], role)], [['192.0.2.10/32', false]], `${role} withdraws`);
  t.equal(routeOf('2001:db8::1', 6), '2001:db8::1/128');
});

t.test('hold-down: announce after the wish has held for the whole hold-down; withdraw at once', async (t) => {
  let now = 1000;
  const h = new HoldDown(5000, () => now);
  const want = (on: boolean) => new Map([['192.0.2.10/32', on]]);
  let s = h.step(want(true));
  t.same([...s.announced], [], 'not at once (at start too)');
  t.equal(s.wakeInMs, 5000, 'told when to look again');
  t.equal(h.pendingSince('192.0.2.10/32'), 1000);
  now = 5999;
  s = h.step(want(true));
  t.same([...s.announced], []);
  t.equal(s.wakeInMs, 1);
  now = 6000;
  s = h.step(want(true));
  t.same([...s.announced], ['192.0.2.10/32'], 'after 5 s without a break');
  t.equal(s.wakeInMs, undefined, 'nothing left to wait for');
  t.equal(h.pendingSince('192.0.2.10/32'), undefined);
  now = 6001;
  t.same([...h.step(want(false)).announced], [], 'withdrawn at once');
  // a flap inside the hold-down starts it again
  now = 7000;
  h.step(want(true));
  now = 10000;
  h.step(want(false));
  now = 10500;
  s = h.step(want(true));
  t.equal(s.wakeInMs, 5000, 'the hold-down starts again after a break');
  now = 15499;
  t.same([...h.step(want(true)).announced], []);
  now = 15500;
  t.same([...h.step(want(true)).announced], ['192.0.2.10/32']);
  // an address that leaves the config goes with it
  t.same([...h.step(new Map()).announced], [], 'gone from the wishes: withdrawn');
});

t.test('hold-down 0 announces at once; a shorter hold-down set later counts from when the wish began', async (t) => {
  let now = 0;
  const h = new HoldDown(0, () => now);
  t.same([...h.step(new Map([['a/32', true]])).announced], ['a/32']);
  const g = new HoldDown(60_000, () => now);
  g.step(new Map([['b/32', true]]));
  now = 10_000;
  g.setHold(5000);
  t.same([...g.step(new Map([['b/32', true]])).announced], ['b/32']);
});

t.test('the include file: both static protocols always, sorted host routes, blackhole', async (t) => {
  const empty = renderBirdRoutes([]);
  t.match(empty, /\nprotocol static lvsd4 \{\n  ipv4;\n\}\nprotocol static lvsd6 \{\n  ipv6;\n\}\n$/);
  t.ok(empty.split('\n').filter((l) => l.startsWith('#')).length >= 1, 'says who writes it');
  const text = renderBirdRoutes(['192.0.2.11/32', '2001:db8::1/128', '192.0.2.10/32']);
  t.match(text, /protocol static lvsd4 \{\n  ipv4;\n  route 192\.0\.2\.10\/32 blackhole;\n  route 192\.0\.2\.11\/32 blackhole;\n\}\nprotocol static lvsd6 \{\n  ipv6;\n  route 2001:db8::1\/128 blackhole;\n\}\n$/);
  t.equal(renderBirdRoutes(['192.0.2.11/32', '192.0.2.10/32']), renderBirdRoutes(['192.0.2.10/32', '192.0.2.11/32']), 'equal sets, equal text');
});

t.test("BIRD's replies: codes, continuation lines, split reads, errors", async (t) => {
  const r = new ReplyReader();
  t.same(r.push('0001 BIRD 2.0.12 ready.\n'), [{ code: 1, lines: ['BIRD 2.0.12 ready.'] }]);
  t.same(r.push('0002-Reading configuration from /etc/bird/bird.conf\n00'), [], 'nothing until the last line');
  t.same(r.push('03 Reconfigured\n'), [{ code: 3, lines: ['Reading configuration from /etc/bird/bird.conf', 'Reconfigured'] }]);
  t.same(r.push('1000-BIRD 2.0.12\n1011-Router ID is 127.0.18.1\n Hostname is vm\n0013 Daemon is up and running\n'), [
    { code: 13, lines: ['BIRD 2.0.12', 'Router ID is 127.0.18.1', 'Hostname is vm', 'Daemon is up and running'] },
  ], 'a line that starts with a space continues');
  const two = r.push('0002-Reading configuration from x\n8002 x:1:37 syntax error, unexpected NUM\r\n0003 Reconfigured\n');
  t.same(two.map((x) => x.code), [8002, 3], 'two replies in one read, CRLF tolerated');
  t.equal(isBirdError(8002), true);
  t.equal(isBirdError(9001), true);
  t.equal(isBirdError(3), false);
  t.equal(isBirdError(18), false);
  t.throws(() => new ReplyReader().push('x'.repeat(70000)), /longer than 64 KiB/, 'an endless line is refused');
});
