// planReload and the drains, pure: the reload's batch, then what follows; the kernel given is
// not touched (it is the reconciler's own view).
import t from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import { bindingsOf, type Binding } from '../../src/health/targets.js';
import { desiredTable } from '../../src/table/desired.js';
import { addDraining, drainsFor } from '../../src/table/drain.js';
import { planChanges } from '../../src/table/plan.js';
import { planReload } from '../../src/table/reload-plan.js';
import type { Health } from '../../src/events/index.js';
import type { Table } from '../../src/ipvs/types.js';
import { applyChangeToTable } from '../../src/ipvs/table-ops.js';

const CF = (reals: string[]) => `checkinterval=2\nvirtual=10.0.0.1:80\n${reals.map((r) => `    real=${r}\n`).join('')}    fallback=10.9.9.9:80 masq\n    service=http\n`;
const up = () => 'up' as const;

t.test('a real removed, one added, a weight changed: batch, then check and drain', async (t) => {
  const before = await parseConfigText(CF(['10.1.1.1:80 masq 5', '10.1.1.2:80 masq 3']), '/t/a.cf', 'cf');
  const kernel: Table = { services: [] };
  const previous = desiredTable(before, bindingsOf(before), up);
  for (const p of planChanges(kernel, previous, [], 'start')) applyChangeToTable(kernel, p.change);
  const snapshot = structuredClone(kernel);

  const next = await parseConfigText(CF(['10.1.1.1:80 masq 7', '10.1.1.3:80 masq 2']), '/t/a.cf', 'cf');
  const bindings = bindingsOf(next);
  const drains = drainsFor(previous, desiredTable(next, bindings, up), next, 1000);
  t.same(drains.map((d) => [d.dest.address, d.dest.weight, d.until]), [['10.1.1.2', 0, 1000 + 5000]], 'drained at weight 0 for at least 5 s');
  const health = (b: Binding): Health => (b.real.address === '10.1.1.3' ? 'unknown' : 'up');
  const atReload = desiredTable(next, bindings, health);
  addDraining(atReload, drains);
  const settled = desiredTable(next, bindings, up);

  const plan = planReload(kernel, { services: atReload, forget: [] }, { services: settled, forget: [] }, drains, 2500);
  t.same(plan.atReload.map((p) => p.message), [
    'Restored real server: 10.1.1.1:80 (10.0.0.1:80) (Weight set to 7)',
    'Quiescent real server: 10.1.1.2:80 (10.0.0.1:80) (Weight set to 0)',
  ]);
  t.same(plan.later.map((p) => [p.message, p.after, p.seconds]), [
    ['Added real server: 10.1.1.3:80 (10.0.0.1:80) (Weight set to 2)', 'check', undefined],
    ['Purged real server (start): 10.1.1.2:80 (10.0.0.1:80)', 'drain', 4],
  ]);
  t.same(kernel, snapshot, 'the kernel view given is left as it was');
  // a monotonic clock is a float: (now + 5000) - now can come out a hair above 5000
  const now = 3194.416931789;
  const drift = drainsFor(previous, desiredTable(next, bindings, up), next, now);
  t.ok(drift[0]!.until - now > 5000, 'this clock value shows the float drift');
  const fresh = planReload(kernel, { services: atReload, forget: [] }, { services: settled, forget: [] }, drift, now);
  t.equal(fresh.later.find((p) => p.after === 'drain')?.seconds, 5, 'a fresh 5 s drain says 5 s, not 6');
});

t.test('the last real removed: its fallback comes in at reload, the real goes after its drain', async (t) => {
  const before = await parseConfigText(CF(['10.1.1.1:80 masq']), '/t/b.cf', 'cf');
  const kernel: Table = { services: [] };
  const previous = desiredTable(before, bindingsOf(before), up);
  for (const p of planChanges(kernel, previous, [], 'start')) applyChangeToTable(kernel, p.change);
  const next = await parseConfigText(CF([]), '/t/b.cf', 'cf');
  const drains = drainsFor(previous, desiredTable(next, [], up), next, 0);
  const atReload = desiredTable(next, [], up);
  addDraining(atReload, drains);
  const plan = planReload(kernel, { services: atReload, forget: [] }, { services: desiredTable(next, [], up), forget: [] }, drains, 0);
  t.same(plan.atReload.map((p) => p.kind), ['added-fallback', 'quiesced-real']);
  t.same(plan.later.map((p) => [p.kind, p.after]), [['purged-real', 'drain']]);
});

t.test('nothing changed: no changes at all', async (t) => {
  const cfg = await parseConfigText(CF(['10.1.1.1:80 masq']), '/t/c.cf', 'cf');
  const kernel: Table = { services: [] };
  const want = desiredTable(cfg, bindingsOf(cfg), up);
  for (const p of planChanges(kernel, want, [], 'start')) applyChangeToTable(kernel, p.change);
  t.same(planReload(kernel, { services: want, forget: [] }, { services: want, forget: [] }, [], 0), { atReload: [], later: [] });
});
