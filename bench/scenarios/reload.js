// Scenario 5: reload of a large config (lvsd). With N reals up: SIGHUP with the file unchanged
// (IPVS writes must be 0), then with 1 % of the reals' weights changed (exactly those must be
// written). Reload time: from the signal to lvsd's `reload ok` trace event. Writes are counted
// for a settling period afterwards; the periodic repair's reads are not writes.
import fs from 'node:fs';
import { configText } from '../lib/daemons.js';
import { sideLog } from '../lib/standin.js';
import { log, now, sleep, waitFor } from '../lib/util.js';

async function hup(daemon, settleMs) {
  const sent = now();
  daemon.child.kill('SIGHUP');
  let done;
  await waitFor('reload event', () => {
    done = daemon.events().find((e) => e.name === 'reload' && e.at >= sent);
    return done !== undefined;
  }, 180_000, 20);
  await sleep(settleMs);
  const writes = sideLog(daemon.state).filter((e) => e.ts >= sent && !e.argv.some((a) => a === '-L' || a === '-S'));
  const lines = writes.flatMap((e) => e.lines ?? [e.argv.join(' ')]);
  // Did the reload stall the checks? The worst lag of a check due in the reload's window.
  const lags = daemon.checks(sent - 1000, done.at + 1000).map((c) => c.started - c.due);
  return { ms: done.at - sent, ok: done.detail === 'ok', writes: writes.length, lines, maxLagMs: lags.length ? Math.max(...lags) : undefined };
}

export async function reloadRuns(session, n, { repeats, settleMs }) {
  const tag = `s5-lvsd-${n}`;
  const cfg = { check: 'connect', interval: 1, timeout: 2 };
  const { daemon } = await session.start('lvsd', tag, n, cfg);
  const runs = [];
  try {
    await sleep(2000);
    for (let rep = 0; rep < repeats; rep++) {
      const same = await hup(daemon, settleMs);
      // 1 %: every 100th real gets a new weight (rep + 2), so each repeat is a change.
      const changed = (i) => i % 100 === 0;
      fs.writeFileSync(daemon.config, configText(n, session.port, { ...cfg, weight: (i) => (changed(i) ? rep + 2 : 1) }));
      const diff = await hup(daemon, settleMs);
      const expected = Math.ceil(n / 100);
      const onlyThose = diff.lines.length === expected && diff.lines.every((l) => / -w \d+/.test(l) && l.startsWith('-e'));
      const fig = {
        unchangedMs: same.ms,
        unchangedWrites: same.writes,
        unchangedMaxLagMs: same.maxLagMs,
        changedMs: diff.ms,
        changedRulesWritten: diff.lines.length,
        changedExpected: expected,
        changedOnlyThose: onlyThose ? 1 : 0,
        changedWrites: diff.writes,
        changedMaxLagMs: diff.maxLagMs,
      };
      log(`  ${tag} #${rep}: unchanged ${same.ms.toFixed(0)} ms, ${same.writes} writes; 1% changed ${diff.ms.toFixed(0)} ms, ${diff.lines.length} rules written (${expected} expected) in ${diff.writes} calls`);
      runs.push(fig);
      // back to the original file for the next repeat's "unchanged" (itself a reload with changes)
      fs.writeFileSync(daemon.config, configText(n, session.port, cfg));
      await hup(daemon, settleMs);
    }
  } finally {
    await session.stop(daemon);
  }
  return runs;
}
