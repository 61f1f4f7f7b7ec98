// Desired table and change planning: pure functions, driven by configs in ldirectord.cf form.
import t from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import { bindingsOf, type Binding } from '../../src/health/targets.js';
import { desiredTable } from '../../src/table/desired.js';
import { planChanges } from '../../src/table/plan.js';
import type { Health } from '../../src/events/index.js';
import type { Table } from '../../src/ipvs/types.js';
import { applyChangeToTable } from '../../src/ipvs/table-ops.js';

const CF = (extra = '', realForward = 'masq') => `checkinterval=1
${extra}
virtual=10.0.0.1:80
    real=10.1.1.1:80 ${realForward} 5
    real=10.1.1.2:8080 ${realForward} 3
    fallback=10.9.9.9:80 masq
    service=http
`;

async function plan(text: string, kernel: Table, health: (b: Binding) => Health) {
  const cfg = await parseConfigText(text, '/t/x.cf', 'cf');
  const desired = desiredTable(cfg, bindingsOf(cfg), health);
  return planChanges(kernel, desired, [], 'start');
}

const up = () => 'up' as const;
const empty = (): Table => ({ services: [] });

t.test('from an empty kernel: the service, then its reals at their weights', async (t) => {
  const p = await plan(CF(), empty(), up);
  t.same(p.map((x) => x.kind), ['added-virtual', 'added-real', 'added-real']);
  t.equal(p[1]!.message, 'Added real server: 10.1.1.1:80 (10.0.0.1:80) (Weight set to 5)');
});

t.test('applying a plan and planning again gives nothing to do', async (t) => {
  const k = empty();
  for (const c of await plan(CF(), k, up)) applyChangeToTable(k, c.change);
  t.same(await plan(CF(), k, up), []);
});

t.test('a down real: deleted, or quiesced with quiescent=yes; restored when up', async (t) => {
  const k = empty();
  for (const c of await plan(CF(), k, up)) applyChangeToTable(k, c.change);
  const oneDown = (b: Binding): Health => (b.real.address === '10.1.1.2' ? 'down' : 'up');
  const del = await plan(CF('quiescent=no'), structuredClone(k), oneDown);
  t.same(del.map((x) => [x.kind, x.change.op]), [['deleted-real', 'del-dest']]);
  t.equal(del[0]!.message, 'Deleted real server: 10.1.1.2:8080 (10.0.0.1:80)');
  const q = await plan(CF('quiescent=yes'), k, oneDown);
  t.same(q.map((x) => x.kind), ['quiesced-real']);
  t.equal(q[0]!.message, 'Quiescent real server: 10.1.1.2:8080 (10.0.0.1:80) (Weight set to 0)');
  applyChangeToTable(k, q[0]!.change);
  const back = await plan(CF('quiescent=yes'), k, up);
  t.same(back.map((x) => x.message), ['Restored real server: 10.1.1.2:8080 (10.0.0.1:80) (Weight set to 3)']);
});

t.test('all down: the fallback is added before the reals go, and goes when one is back', async (t) => {
  const k = empty();
  for (const c of await plan(CF(), k, up)) applyChangeToTable(k, c.change);
  const down = await plan(CF(), k, () => 'down');
  t.same(down.map((x) => x.kind), ['added-fallback', 'deleted-real', 'deleted-real'], 'adds come before deletes');
  t.equal(down[0]!.message, 'Added fallback server: 10.9.9.9:80 (10.0.0.1:80) (Weight set to 1)');
  for (const c of down) applyChangeToTable(k, c.change);
  const one = await plan(CF(), k, (b) => (b.real.address === '10.1.1.1' ? 'up' : 'down'));
  t.same(one.map((x) => x.kind), ['added-real', 'deleted-fallback']);
  t.equal(one[1]!.message, 'Deleted fallback server: 10.9.9.9:80 (10.0.0.1:80)');
});

t.test('quiescent=yes never quiesces the fallback', async (t) => {
  const k = empty();
  for (const c of await plan(CF('quiescent=yes'), k, () => 'down')) applyChangeToTable(k, c.change);
  const back = await plan(CF('quiescent=yes'), k, up);
  t.ok(back.some((x) => x.kind === 'deleted-fallback' && x.change.op === 'del-dest'));
});

t.test('unknown health keeps whatever the kernel has: nothing is touched before a check', async (t) => {
  const k = empty();
  for (const c of await plan(CF(), k, up)) applyChangeToTable(k, c.change);
  t.same(await plan(CF(), k, () => 'unknown'), []);
  t.same((await plan(CF(), empty(), () => 'unknown')).map((x) => x.kind), ['added-virtual'], 'no real and no fallback added while unknown');
});

t.test('gate/ipip reals live on the virtual port; messages say what they were mapped from', async (t) => {
  const k = empty();
  const add = await plan(CF('', 'gate'), k, up);
  t.same(add.filter((x) => x.change.op === 'add-dest').map((x) => x.change.op === 'add-dest' && x.change.dest.port), [80, 80]);
  for (const c of add) applyChangeToTable(k, c.change);
  t.same(await plan(CF('', 'gate'), k, up), [], 'steady state: no churn');
  const del = await plan(CF('', 'gate'), k, (b) => (b.real.port === 8080 ? 'down' : 'up'));
  t.equal(del[0]!.message, 'Deleted real server: 10.1.1.2:80 mapped from 10.1.1.2:8080 (10.0.0.1:80)');
  const q = await plan(CF('quiescent=yes', 'gate'), k, (b) => (b.real.port === 8080 ? 'down' : 'up'));
  t.equal(q[0]!.message, 'Quiescent real server: 10.1.1.2:80 mapped from 10.1.1.2:8080 (10.0.0.1:80) (Weight set to 0)');
});

t.test('services the config does not name are left alone; strangers under managed ones are purged', async (t) => {
  const k: Table = {
    services: [
      { key: { protocol: 'tcp', family: 4, address: '10.0.0.1', port: 80 }, scheduler: 'wrr', ops: false, dests: [{ address: '10.7.7.7', port: 80, forward: 'masq', weight: 1, upper: 0, lower: 0 }] },
      { key: { protocol: 'tcp', family: 4, address: '10.0.0.2', port: 443 }, scheduler: 'rr', ops: false, dests: [] },
    ],
  };
  const p = await plan(CF(), k, up);
  t.ok(p.some((x) => x.kind === 'purged-real' && x.message === 'Purged real server (start): 10.7.7.7:80 (10.0.0.1:80)'));
  t.notOk(p.some((x) => 'service' in x.change && x.change.service.address === '10.0.0.2'));
});

t.test('attributes: unchanged kernel defaults are not rewritten, real changes are', async (t) => {
  const text = CF().replace('service=http', 'service=http\n    persistent=300\n    scheduler=wlc');
  const k = empty();
  for (const c of await plan(text, k, up)) applyChangeToTable(k, c.change);
  k.services[0]!.netmask = '255.255.255.255'; // what the kernel reports when no -M was given
  t.same(await plan(text, k, up), []);
  const changed = await plan(text.replace('scheduler=wlc', 'scheduler=rr'), k, up);
  t.same(changed.map((x) => [x.kind, x.message]), [['changed-virtual', 'Changed virtual server: 10.0.0.1:80']]);
});

t.test('forget deletes services a reload removed', async (t) => {
  const cfg = await parseConfigText(CF(), '/t/x.cf', 'cf');
  const k: Table = { services: [{ key: { protocol: 'udp', family: 4, address: '10.0.0.5', port: 53 }, scheduler: 'rr', ops: false, dests: [] }] };
  const p = planChanges(k, desiredTable(cfg, bindingsOf(cfg), up), [{ key: k.services[0]!.key, label: '10.0.0.5:53' }], 'start');
  t.ok(p.some((x) => x.kind === 'purged-virtual' && x.message === 'Purged virtual server (start): 10.0.0.5:53'));
});

t.test('weight stages run in order and are clamped to 0..configured; down reals are not weighed', async (t) => {
  const cfg = await parseConfigText(CF('quiescent=yes'), '/t/x.cf', 'cf');
  const seen: string[] = [];
  const weights = (health: (b: Binding) => Health, ...stages: ((b: Binding, w: number) => number)[]) =>
    desiredTable(cfg, bindingsOf(cfg), health, stages)[0]!.dests.filter((d) => d.role === 'real').map((d) => d.weight);
  t.same(weights(up, (b, w) => (seen.push(`a${b.real.address}:${w}`), w - 1), (b, w) => (seen.push(`b:${w}`), w * 10)), [5, 3], 'grown past the config: clamped to it');
  t.same(seen, ['a10.1.1.1:5', 'b:4', 'a10.1.1.2:3', 'b:2'], 'each stage gets the weight so far');
  t.same(weights(up, () => -3), [0, 0], 'below zero: 0');
  t.same(weights(up, (_b, w) => w / 2), [3, 2], 'fractions rounded');
  t.same(weights((b) => (b.real.address === '10.1.1.1' ? 'down' : 'up'), () => 1), [0, 1], 'a down real stays quiesced at 0');
});

t.test('a stage moving an up real between two non-zero weights is a weight change, not a restore', async (t) => {
  const k = empty();
  for (const c of await plan(CF(), k, up)) applyChangeToTable(k, c.change);
  const cfg = await parseConfigText(CF(), '/t/x.cf', 'cf');
  const planWith = (stage: (b: Binding, w: number) => number) => planChanges(k, desiredTable(cfg, bindingsOf(cfg), up, [stage]), [], 'start');
  const half = planWith((_b, w) => w / 2);
  t.same(half.map((p) => p.kind), ['reweighted-real', 'reweighted-real']);
  t.equal(half[0]!.message, 'Changed weight of real server: 10.1.1.1:80 (10.0.0.1:80) (Weight set to 3)');
  for (const c of half) applyChangeToTable(k, c.change);
  const back = planWith((_b, w) => w);
  t.same(back.map((p) => p.kind), ['restored-real', 'restored-real'], 'back at the configured weight: a restore, as ldirectord logs it');
});
