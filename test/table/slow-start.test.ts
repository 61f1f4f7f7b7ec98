// Slow start's weight stage: the step rule (1, then k/4 of the weight at k·T/4), restart on a new
// return, a weight of 0 left at 0, the next-step timer, and a reload's new setting.
import t from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import { bindingsOf, type Binding } from '../../src/health/targets.js';
import { SlowStart, SLOWSTART_STEPS } from '../../src/table/slow-start.js';
import { desiredTable } from '../../src/table/desired.js';

const CF = `slowstart=8
virtual=10.0.0.1:80
    real=10.1.1.1:80 masq 100
    real=10.1.1.2:80 masq 10
    service=http
`;

async function setup() {
  const cfg = await parseConfigText(CF, '/t/x.cf', 'cf');
  const bindings = bindingsOf(cfg);
  let now = 1000;
  const s = new SlowStart(() => now);
  return { cfg, bindings, s, at: (ms: number) => void (now = 1000 + ms), b: bindings[0]! };
}

const weights = (cfg: Awaited<ReturnType<typeof setup>>['cfg'], bs: Binding[], s: SlowStart) =>
  desiredTable(cfg, bs, () => 'up', [s.stage])[0]!.dests.map((d) => d.weight);

t.test('a ramp climbs 1, 25, 50, 75, 100 over slowstart seconds, in 4 steps', async (t) => {
  const { cfg, bindings, s, at, b } = await setup();
  t.equal(SLOWSTART_STEPS, 4);
  t.same(weights(cfg, bindings, s), [100, 10], 'no ramp: the configured weights');
  s.begin(b.id, b.slowstart);
  const seen: number[] = [];
  for (const ms of [0, 1999, 2000, 3999, 4000, 6000, 7999, 8000]) {
    at(ms);
    seen.push(weights(cfg, bindings, s)[0]!);
  }
  t.same(seen, [1, 1, 25, 25, 50, 75, 75, 100]);
  at(4000);
  t.same(s.ramp(b), { weight: 50, target: 100, secondsLeft: 4 });
  t.equal(weights(cfg, bindings, s)[1], 10, 'the other real has no ramp');
});

t.test('nextStepMs points at the next step and drops a finished ramp', async (t) => {
  const { s, at, b } = await setup();
  t.equal(s.nextStepMs(), undefined);
  s.begin(b.id, 8);
  t.equal(s.nextStepMs(), 2000);
  at(4500);
  t.equal(s.nextStepMs(), 1500);
  at(8000);
  t.equal(s.nextStepMs(), undefined);
  t.equal(s.ramp(b), undefined);
});

t.test('a new return restarts from 1; end() drops the ramp; 0 seconds is no ramp', async (t) => {
  const { cfg, bindings, s, at, b } = await setup();
  s.begin(b.id, 8);
  at(6000);
  t.equal(weights(cfg, bindings, s)[0], 75);
  s.end(b.id);
  t.equal(weights(cfg, bindings, s)[0], 100);
  s.begin(b.id, 8);
  t.equal(weights(cfg, bindings, s)[0], 1, 'restarted at 1');
  s.begin(b.id, 0);
  t.equal(weights(cfg, bindings, s)[0], 100);
});

t.test('a weight of 0 from an earlier stage stays 0; small weights never drop below 1', async (t) => {
  const { bindings, s, b } = await setup();
  s.begin(b.id, 8);
  t.equal(s.stage(b, 0), 0);
  t.equal(s.stage(b, 3), 1, 'step 0');
  t.equal(s.stage(bindings[1]!, 3), 3, 'no ramp for the other real');
});

t.test('retain: a reload drops ramps of reals gone and applies a new slowstart', async (t) => {
  const { bindings, s, at, b } = await setup();
  s.begin(b.id, 8);
  s.begin(bindings[1]!.id, 8);
  at(4000);
  s.retain([{ ...b, slowstart: 16 }]);
  t.equal(s.ramp(b)?.weight, 25, 'now 4 s of 16');
  t.equal(s.ramp(bindings[1]!), undefined, 'gone from the config');
  s.retain([{ ...b, slowstart: 0 }]);
  t.equal(s.ramp(b), undefined, 'slowstart=0: ramp over');
});
