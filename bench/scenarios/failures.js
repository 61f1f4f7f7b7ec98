// Failures the farm injects and the moment each reaches the ipvs driver: the farm records when
// it flipped each server (its clock), the fast stand-in's side log when the change arrived
// (same host clock). Shared by scenarios 2 (detection), 3 (mass failure) and 4 (tarpits).
import { removalTimes, sideLog, invocations } from '../lib/standin.js';
import { upCount } from '../lib/daemons.js';
import { hostOf, log, percentile, waitFor } from '../lib/util.js';

/**
 * Flip servers `ids` to `mode` at random offsets within `spreadMs`, wait (at most `boundMs` after
 * the last flip) until the daemon has removed each from the table, and return the latencies.
 */
export async function flipAndDetect(session, daemon, ids, mode, { spreadMs, boundMs, rand }) {
  const steps = ids.map((id) => ({ id, mode, offsetMs: rand() * spreadMs }));
  const { times } = await session.farm.plan(steps);
  const flipped = new Map(times.map((t) => [`${hostOf(t.id)}:${session.port}`, t.at]));
  const since = Math.min(...flipped.values());
  let found = new Map();
  try {
    await waitFor(`${daemon.name} to remove ${flipped.size} ${mode} reals`, () => {
      found = removalTimes(daemon.state, [...flipped.keys()], since);
      return found.size === flipped.size;
    }, boundMs, 100);
  } catch {
    log(`  ${daemon.name}: ${flipped.size - found.size} of ${flipped.size} ${mode} reals not removed within ${boundMs} ms`);
  }
  const latencies = [...found].map(([real, at]) => at - flipped.get(real));
  return { latencies, missed: flipped.size - found.size };
}

/** Put servers back to ok and wait until all n reals are up in the table again. */
export async function restore(session, daemon, ids, n, boundMs) {
  await session.farm.set(ids, 'ok');
  await waitFor(`${daemon.name} to re-add ${ids.length} reals`, () => upCount(daemon.state) >= n, boundMs, 200);
}

export function latencyFigures(prefix, r) {
  return {
    [`${prefix}P50Ms`]: percentile(r.latencies, 50),
    [`${prefix}P99Ms`]: percentile(r.latencies, 99),
    [`${prefix}MaxMs`]: r.latencies.length ? Math.max(...r.latencies) : undefined,
    [`${prefix}Missed`]: r.missed,
  };
}

/** Driver invocations the stand-in logged at or after `since` (epoch ms), and the writes among them. */
export function driverCalls(state, since, until = Infinity) {
  const calls = invocations(state).filter((e) => e.ts >= Math.floor(since) && e.ts <= until);
  const writes = calls.filter((e) => !e.argv.some((a) => a === '-L' || a === '-S' || a === '-l'));
  return { calls: calls.length, writes: writes.length };
}

export { sideLog };
