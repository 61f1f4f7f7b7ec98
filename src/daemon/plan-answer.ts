// The control socket's `plan FILE`: the daemon's plan for a reload to FILE as a PlanAnswer line.
import { isConfigError } from '../config/errors.js';
import type { PlannedChange } from '../table/plan.js';
import type { LaterChange } from '../table/reload-plan.js';
import type { PlanAnswer, PlanEntry } from '../status/plan.js';
import type { Daemon } from './daemon.js';

export async function planAnswer(daemon: Daemon, file: string): Promise<string> {
  let answer: PlanAnswer;
  try {
    const plan = await daemon.plan(file);
    answer = { ok: true, plan: { file, atReload: plan.atReload.map(entry), later: plan.later.map(entry) } };
  } catch (e) {
    answer = { ok: false, error: (e as Error).message, configError: isConfigError(e) };
  }
  return JSON.stringify(answer);
}

function entry(p: PlannedChange | LaterChange): PlanEntry {
  const later = 'after' in p ? { after: p.after, seconds: p.seconds } : {};
  return { op: p.change.op, kind: p.kind, message: p.message, subject: p.subject, change: p.change, ...later };
}
