// Cases → tap: the cases of a file run in parallel (runAll); each is one subtest with one
// assertion per step ("no mismatch"), and on a mismatch both daemons' views of that step.
import type { Test } from 'tap';
import { existsSync } from 'node:fs';
import { LDIRECTORD } from './daemons.js';
import { runAll, type CaseSpec, type StepReport } from './harness.js';

/** Why the differential suite cannot run here at all, or undefined. */
export function suiteSkip(): string | undefined {
  if (!existsSync(LDIRECTORD)) return `${LDIRECTORD} is not installed (Debian package "ldirectord"): there is nothing to compare with`;
  if (process.getuid?.() !== 0) return 'needs root: real servers and the mail sink listen on ports 80/25 of 127.x addresses, and ldirectord\'s pid file lives in /var/run';
  return undefined;
}

function show(s: StepReport): string {
  const part = (label: string, v: StepReport['ld']) =>
    [`  ${label} table:`, ...v.table.map((l) => `    ${l}`), `  ${label} log:`, ...v.log.map((l) => `    ${l}`), `  ${label} mails:`, ...v.mails.map((l) => `    ${l}`), `  ${label} verdicts:`, ...v.why.map((l) => `    ${l}`)].join('\n');
  return [`step "${s.name}" differs:`, ...s.mismatches.map((m) => `  - ${m}`), part('ldirectord', s.ld), part('lvsd', s.lv)].join('\n');
}

export function compareCases(t: Test, specs: CaseSpec[]): void {
  const skip = suiteSkip();
  if (skip) {
    t.comment(`skipping the differential suite: ${skip}`);
    t.pass(`skipped: ${skip}`);
    return;
  }
  const reports = runAll(specs);
  for (const spec of specs) {
    const why = spec.skip?.();
    t.test(spec.title, why ? { skip: why } : {}, async (t) => {
      const r = await reports.get(spec.name)!;
      if (r.error) t.fail(`case failed: ${r.error}`);
      t.equal(r.steps.length, spec.steps.length, 'every step ran');
      for (const s of r.steps) {
        const named = s.differences.filter((d) => d !== 'mail-coalescing' && d !== 'readd-mail-text');
        const label = `${s.name}: ldirectord and lvsd agree${named.length ? ` (named differences: ${named.join(', ')})` : ''}`;
        if (s.mismatches.length) t.comment(show(s));
        t.same(s.mismatches, [], label);
      }
      const times = r.steps.map((s) => `${s.name} ${(s.ms / 1000).toFixed(1)}`).join(', ');
      t.comment(`${spec.name}: ${r.steps.length} steps compared in ${(r.ms / 1000).toFixed(1)} s (${times})`);
    });
  }
}
