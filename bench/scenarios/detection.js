// Scenario 2: detection latency. With all N reals up, k of them fail at random moments within a
// few seconds: first refused (listener closed), then — after they are back — k others black-holed
// (http: accepted and never answered, bounded by negotiatetimeout; connect: SYNs dropped, bounded
// by checktimeout). Latency = from the farm's flip to the change reaching the ipvs driver.
import { flipAndDetect, latencyFigures, restore } from './failures.js';
import { log, pick, rng } from '../lib/util.js';

export const DETECT_TIMEOUT_S = 2;

export async function detectionRun(session, kind, n, check, { k, spreadMs, rep }) {
  const tag = `s2-${kind}-${check}-${n}-r${rep}`;
  const { daemon } = await session.start(kind, tag, n, { check, interval: 1, timeout: DETECT_TIMEOUT_S });
  const rand = rng(1000 + rep * 7 + n);
  // ldirectord's pass can take long (serial checks): bound its waits by the config size.
  const bound = kind === 'lvsd' ? 15_000 : 60_000 + n * 300;
  try {
    const refusedIds = pick(rand, n, k);
    const refused = await flipAndDetect(session, daemon, refusedIds, 'refuse', { spreadMs, boundMs: bound, rand });
    await restore(session, daemon, refusedIds, n, bound);
    const holeIds = pick(rand, n, k, new Set(refusedIds));
    const hole = await flipAndDetect(session, daemon, holeIds, check === 'http' ? 'blackhole' : 'drop', { spreadMs, boundMs: bound, rand });
    await restore(session, daemon, holeIds, n, bound + 10_000);
    const fig = { ...latencyFigures('refused', refused), ...latencyFigures('blackholed', hole), samples: k };
    log(`  ${tag}: refused p50/p99 ${fig.refusedP50Ms?.toFixed(0)}/${fig.refusedP99Ms?.toFixed(0)} ms, black-holed p50/p99 ${fig.blackholedP50Ms?.toFixed(0)}/${fig.blackholedP99Ms?.toFixed(0)} ms (k=${k})`);
    return fig;
  } finally {
    await session.stop(daemon);
  }
}
