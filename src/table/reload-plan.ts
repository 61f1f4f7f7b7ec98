// `lvsd plan`: what a reload would do to the kernel, from the same desired tables the reload
// itself installs (the daemon computes both; nothing here is a second model of a reload). Pure.
import type { Table } from '../ipvs/types.js';
import { serviceKeyString } from '../ipvs/types.js';
import { applyChangeToTable } from '../ipvs/table-ops.js';
import { destKey } from './desired.js';
import type { Draining } from './drain.js';
import { planChanges, type PlannedChange } from './plan.js';
import type { DesiredState } from './reconciler.js';

/** A change that waits: for the first passing check of a real not checked yet, or for a drain to end. */
export interface LaterChange extends PlannedChange {
  after: 'check' | 'drain';
  /** with `drain`: seconds from now until the drain ends. */
  seconds?: number;
}

export interface ReloadPlan {
  /** the batch the reload applies at once (the reconciler's plan against `kernel`). */
  atReload: PlannedChange[];
  /** what follows if health holds: unchecked reals pass their first check, drains end. */
  later: LaterChange[];
}

/**
 * @param atReload the desired state right after the reload (its health, its drains)
 * @param settled  the same once every unchecked real is up and every drain has ended
 * @param draining the drains in force after the reload, to say which later deletion waits for one
 */
export function planReload(kernel: Table, atReload: DesiredState, settled: DesiredState, draining: readonly Draining[], now: number): ReloadPlan {
  const first = planChanges(kernel, atReload.services, atReload.forget, 'start');
  // The kernel once the reload's batch is in (a copy: the reconciler's own view is not touched).
  const after = structuredClone(kernel);
  for (const p of first) applyChangeToTable(after, p.change);
  const ends = new Map<string, number>();
  for (const d of draining) ends.set(`${d.service}/${destKey(d.dest.address, d.dest.port)}`, d.until);
  const later = planChanges(after, settled.services, settled.forget, 'start').map((p): LaterChange => {
    const c = p.change;
    const until = c.op === 'del-dest' ? ends.get(`${serviceKeyString(c.service)}/${destKey(c.address, c.port)}`) : undefined;
    if (until === undefined) return { ...p, after: 'check' };
    return { ...p, after: 'drain', seconds: Math.max(0, Math.ceil(Math.round(until - now) / 1000)) /* whole ms first: (now + 5000) - now may be 5000.000000001 */ };
  });
  return { atReload: first, later };
}
