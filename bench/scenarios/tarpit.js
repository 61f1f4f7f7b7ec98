// Scenario 4: tarpit isolation. HTTP checks (no receive pattern). Phase A: k reals refuse at random moments (the
// baseline). Phase B: 10 % of the other reals accept and never answer (each check of them waits
// out negotiatetimeout), and once they are out of the table, k fresh reals refuse. The figure is
// how much later phase B's failures are detected than phase A's.
import { flipAndDetect, latencyFigures, restore } from './failures.js';
import { log, pick, rng, waitFor } from '../lib/util.js';
import { tableOf } from '../lib/daemons.js';
import { hostOf } from '../lib/util.js';

export const TARPIT_TIMEOUT_S = 2;

export async function tarpitRun(session, kind, n, { k, spreadMs, rep, mode = 'blackhole' }) {
  const tag = `s4-${kind}-${n}-${mode}-r${rep}`;
  // No receive pattern: what is measured is whether hung checks delay the others, apart from
  // the cost of matching bodies (scenario 1 has that).
  const { daemon } = await session.start(kind, tag, n, { check: 'http', interval: 1, timeout: TARPIT_TIMEOUT_S, receive: '' });
  const rand = rng(2000 + rep * 7 + n);
  const tarpits = Math.round(n / 10);
  // Serial ldirectord needs a whole pass, stretched by every tarpit, per detection.
  const bound = kind === 'lvsd' ? 15_000 : 60_000 + n * 300 + tarpits * TARPIT_TIMEOUT_S * 3000;
  try {
    const a = pick(rand, n, k);
    const before = await flipAndDetect(session, daemon, a, 'refuse', { spreadMs, boundMs: bound, rand });
    await restore(session, daemon, a, n, bound);
    const pits = pick(rand, n, tarpits, new Set(a));
    await session.farm.set(pits, mode);
    const pitReals = pits.map((i) => `${hostOf(i)}:${session.port}`);
    await waitFor(`${kind}: tarpits out of the table`, () => {
      const t = tableOf(daemon.state);
      return pitReals.every((r) => !(t.get(r) > 0));
    }, bound, 200);
    const b = pick(rand, n, k, new Set([...a, ...pits]));
    const during = await flipAndDetect(session, daemon, b, 'refuse', { spreadMs, boundMs: bound, rand });
    await session.farm.set([...pits, ...b], 'ok');
    const A = latencyFigures('without', before);
    const B = latencyFigures('with', during);
    const fig = {
      ...A,
      ...B,
      tarpits,
      delayP50Ms: B.withP50Ms - A.withoutP50Ms,
      delayP99Ms: B.withP99Ms - A.withoutP99Ms,
      samples: k,
    };
    log(`  ${tag}: p50/p99 without ${A.withoutP50Ms?.toFixed(0)}/${A.withoutP99Ms?.toFixed(0)} ms, with ${tarpits} tarpits ${B.withP50Ms?.toFixed(0)}/${B.withP99Ms?.toFixed(0)} ms`);
    return fig;
  } finally {
    await session.stop(daemon);
  }
}
