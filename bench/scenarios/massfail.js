// Scenario 3: mass failure (connect checks: what is measured is the table handling, not the
// check). Half of N (every other real) refuse at the same moment; the figure is
// the time from that moment until the last of them has left the table (the stand-in finished
// the driver call that removed it), and how many driver invocations (and writes) that took.
import fs from 'node:fs';
import { sideLog } from '../lib/standin.js';
import { driverCalls } from './failures.js';
import { hostOf, log, waitFor } from '../lib/util.js';
import { tableOf } from '../lib/daemons.js';

export async function massFailRun(session, kind, n, check, { rep, ipvsadm }) {
  const tag = `s3-${kind}-${check}-${n}${ipvsadm ? '-plain' : ''}-r${rep}`;
  const { daemon } = await session.start(kind, tag, n, { check, interval: 1, timeout: 2 }, { ipvsadm });
  try {
    const ids = [];
    for (let i = 0; i < n; i += 2) ids.push(i);
    const reals = ids.map((i) => `${hostOf(i)}:${session.port}`);
    const { start, end } = await session.farm.set(ids, 'refuse');
    const bound = kind === 'lvsd' ? 30_000 : 120_000 + n * 1000;
    let left = reals.length;
    try {
      await waitFor(`${kind}: ${reals.length} reals out of the table`, () => {
        const t = tableOf(daemon.state);
        left = reals.filter((r) => t.has(r) && t.get(r) > 0).length;
        return left === 0;
      }, bound, 50);
    } catch {
      log(`  ${tag}: ${left} of ${reals.length} still in the table after ${bound} ms`);
    }
    // The end: the finish of the last driver call that touched the table after the flip. In fast
    // mode the side log has it; with the plain stand-in, its state file's modification time.
    const calls = sideLog(daemon.state).filter((e) => e.ts >= start);
    const writes = calls.filter((e) => !e.argv.some((a) => a === '-L' || a === '-S'));
    const last = writes.length ? writes[writes.length - 1].done : fs.statSync(daemon.state).mtimeMs;
    const counted = driverCalls(daemon.state, start, last + 1);
    const fig = {
      failed: reals.length,
      allOutMs: left === 0 ? last - start : undefined,
      stillInAfterBound: left,
      driverCalls: counted.calls,
      driverWrites: counted.writes,
      flipSpreadMs: end - start,
    };
    log(`  ${tag}: ${fig.failed} out after ${fig.allOutMs?.toFixed(0)} ms in ${fig.driverCalls} driver calls (${fig.driverWrites} writes)`);
    return fig;
  } finally {
    await session.stop(daemon);
  }
}
