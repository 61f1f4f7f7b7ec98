// The differential harness: one case = one ldirectord.cf, its real servers, a mail sink, and
// both daemons on it (world.ts); a scenario of steps; after each step, once both have settled,
// a comparison of their tables, log lines, alert mails and CLI results (views.ts).
//
// "Settled" is counted, not timed: each daemon must have finished `checks` checks of every real
// since the step acted (ldirectord's `DEBUG2: Checking ...` lines, lvsd's `Check ...` lines), so a
// real that failed is past its failurecount; then both views are compared until they agree or a
// bound passes (lvsd mails after a 1.5 s coalescing window, and drains reals a reload removed).
import { existsSync } from 'node:fs';
import type { DifferenceId } from './differences.js';
import { limit, sleep, waitUntil } from './pool.js';
import { ALWAYS, checksSince, compareViews, viewOf, type DifferenceUse, type View } from './views.js';
import { World } from './world.js';

export type { DifferenceUse, View } from './views.js';
export { World } from './world.js';

export interface StepSpec {
  name: string;
  act?(w: World): Promise<void>;
  differences?: (DifferenceId | DifferenceUse)[];
  /** checks per real to wait for (default: the case's). 0: none (the step stops the daemons). */
  checks?: number;
  /** how long to wait for both views to agree once the checks are done (default 10 s). */
  convergeMs?: number;
  /** the step ends both daemons (their exit is awaited instead of checks). */
  stops?: boolean;
  /**
   * Log lines left out on both sides because whether they appear depends on timing in both
   * daemons (not a difference between them), e.g. a file change noticed before the HUP comes.
   */
  ignore?: RegExp;
}

export interface CaseSpec {
  name: string;
  title: string;
  /** the case's own addresses: 127.<net>.<s>.x (cases run in parallel; world.ts picks s). */
  net: number;
  /** checks per real before a step is compared (default 3: failurecount 1 + one in flight + one spare). */
  checks?: number;
  /** why the case cannot run here (a missing package), or undefined. */
  skip?(): string | undefined;
  setup(w: World): Promise<void>;
  steps: StepSpec[];
}

export interface StepReport {
  name: string;
  ms: number;
  differences: DifferenceId[];
  mismatches: string[];
  ld: View;
  lv: View;
}

export interface CaseReport {
  name: string;
  title: string;
  skipped?: string;
  steps: StepReport[];
  error?: string;
  ms: number;
}

async function runStep(w: World, spec: CaseSpec, step: StepSpec): Promise<StepReport> {
  const began = Date.now();
  const marks = { ld: w.ld.lines.length, lv: w.lv.lines.length, mail: w.mail.mails.length };
  w.notes.length = 0;
  await step.act?.(w);
  // Checks are counted from the end of the act: one that takes long (a CLI under load) must not
  // count checks made before its signal or file edit arrived.
  const acted = { ld: w.ld.lines.length, lv: w.lv.lines.length };
  const notes = [...w.notes];
  const problems: string[] = [];
  const checks = step.checks ?? spec.checks ?? 3;
  if (step.stops) {
    const gone = await waitUntil(() => !w.ld.running && !w.lv.running, 60_000);
    if (!gone) problems.push(`settle: still running 60 s after stop: ${[w.ld, w.lv].filter((s) => s.running).map((s) => s.which).join(', ')}`);
    else {
      const [ldCode, lvCode] = await Promise.all([w.ld.exited, w.lv.exited]);
      if (ldCode !== lvCode) problems.push(`daemon exit: ldirectord=${ldCode} lvsd=${lvCode}`);
    }
  } else if (checks > 0 && !w.stopped) {
    const ok = await waitUntil(() => checksSince(w.ld, acted.ld) >= checks && checksSince(w.lv, acted.lv) >= checks, 240_000, 200);
    if (!ok) problems.push(`settle: checks per real after 240 s: ldirectord ${checksSince(w.ld, acted.ld)}, lvsd ${checksSince(w.lv, acted.lv)} (wanted ${checks})`);
  }
  if (step.stops) w.stopped = true;
  for (const s of [w.ld, w.lv]) if (!w.stopped && !s.running) problems.push(`${s.which} is not running (exit ${s.child?.exitCode}): ${s.lines.slice(-5).join(' | ')}`);

  // Compare until both agree or the bound passes: lvsd mails after a coalescing window.
  const end = Date.now() + (step.convergeMs ?? 10_000);
  let report: StepReport;
  for (;;) {
    const [ldTable, lvTable] = await Promise.all([w.ld.table(), w.lv.table()]);
    const mails = w.mail.mails.slice(marks.mail);
    const ld = viewOf(w.ld, ldTable, marks.ld, mails, step.ignore);
    const lv = viewOf(w.lv, lvTable, marks.lv, mails, step.ignore);
    const shown = { ld: { ...ld, log: [...ld.log], mails: [...ld.mails] }, lv };
    const mismatches = [...problems, ...notes, ...compareViews(step.differences ?? [], ld, lv, w)];
    const differences = [...new Set([...ALWAYS, ...(step.differences ?? []).map((d) => (typeof d === 'string' ? d : d.id))])];
    report = { name: step.name, ms: Date.now() - began, differences, mismatches, ld: shown.ld, lv: shown.lv };
    if (mismatches.length === 0 || Date.now() > end) break;
    await sleep(500);
  }
  return report;
}

export async function runCase(spec: CaseSpec): Promise<CaseReport> {
  const started = Date.now();
  const skipped = spec.skip?.();
  if (skipped) return { name: spec.name, title: spec.title, skipped, steps: [], ms: 0 };
  const w = new World(spec);
  const steps: StepReport[] = [];
  try {
    await w.mail.start();
    await spec.setup(w);
    for (const step of spec.steps) {
      const r = await runStep(w, spec, step);
      steps.push(r);
      if (!w.stopped && (!w.ld.running || !w.lv.running)) break;
    }
    return { name: spec.name, title: spec.title, steps, ms: Date.now() - started };
  } catch (e) {
    return { name: spec.name, title: spec.title, steps, error: (e as Error).stack ?? String(e), ms: Date.now() - started };
  } finally {
    await w.cleanup();
  }
}

/** Run cases with at most `jobs` at a time; each report's promise resolves when its case is done. */
export function runAll(specs: CaseSpec[], jobs = Number(process.env.LVSD_COMPAT_JOBS ?? 2)): Map<string, Promise<CaseReport>> {
  const nets = new Set<number>();
  for (const s of specs) {
    if (nets.has(s.net)) throw new Error(`two cases on 127.${s.net}.x.x`);
    nets.add(s.net);
  }
  const gate = limit(jobs);
  return new Map(specs.map((s) => [s.name, gate(() => runCase(s))]));
}

/**
 * An edit then `reload` (autoreload=no): each daemon may notice the edit before the HUP arrives
 * ("has changed on disk", " - ignore new configuration") or only after it reloaded (nothing).
 */
export const EDIT_NOTICES = /has changed on disk$|^ - ignore new configuration$/;

/** The start step every scenario begins with. */
export const START: StepSpec = {
  name: 'start',
  act: (w) => w.startDaemons(),
  differences: ['start-churn'],
};

/** The stop step: both CLIs' `stop`; lvsd's returns once its daemon is gone. */
export const STOP: StepSpec = {
  name: 'stop',
  stops: true,
  checks: 0,
  differences: ['stop-purge', 'cli-stop-waits'],
  act: async (w) => {
    await w.both([w.cfg, 'stop'], (ld, lv) => {
      const out: string[] = [];
      if (ld.code !== 0 || lv.code !== 0) out.push(`exit ldirectord=${ld.code} lvsd=${lv.code} (both 0 expected)`);
      // cli-stop-waits: lvsd's stop returns after its daemon has removed the pid file.
      if (existsSync(w.lv.pidFile)) out.push('lvsd stop returned while its pid file was still there');
      return out;
    });
  },
};

