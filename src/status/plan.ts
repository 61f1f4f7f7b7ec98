// `lvsd plan`: the daemon's answer on the control socket (one JSON line) and its text form.
// The messages are the ones the daemon logs when it applies those changes.
import { printable } from './format.js';

export interface PlanEntry {
  /** the driver operation: add-service, edit-service, add-dest, edit-dest, del-dest, del-service. */
  op: string;
  /** ldirectord's vocabulary (ChangeKind): added-real, quiesced-real, purged-virtual, ... */
  kind: string;
  /** the log line the daemon writes when it applies the change. */
  message: string;
  /** `ip:port (vip)` for reals and fallbacks. */
  subject?: string;
  /** the change as the driver gets it (service key, attributes, destination). */
  change: unknown;
  /** later changes: what they wait for (a real's first passing check, or its drain's end). */
  after?: 'check' | 'drain';
  /** with `drain`: seconds until it ends. */
  seconds?: number;
}

export interface PlanDoc {
  /** the config file planned for. */
  file: string;
  /** the batch the reload applies at once. */
  atReload: PlanEntry[];
  /** what follows if health holds. */
  later: PlanEntry[];
}

export type PlanAnswer = { ok: true; plan: PlanDoc } | { ok: false; error: string; configError: boolean };

/** The text `lvsd plan` prints: the reload's batch, then what follows, then a summary line. */
export function formatPlan(doc: PlanDoc): string {
  const out: string[] = [];
  if (doc.atReload.length > 0) {
    out.push('At reload:');
    for (const e of doc.atReload) out.push(`  ${printable(e.message)}`);
  }
  if (doc.later.length > 0) {
    out.push('Later, if health holds:');
    for (const e of doc.later) out.push(`  ${printable(e.message)} (${e.after === 'drain' ? `when its drain ends, in ${e.seconds ?? 0} s` : 'when new reals pass their first check'})`);
  }
  out.push(summary(doc));
  return `${out.join('\n')}\n`;
}

function summary(doc: PlanDoc): string {
  const n = doc.atReload.length;
  const m = doc.later.length;
  if (n + m === 0) return 'no changes';
  const plural = (k: number) => `${k} change${k === 1 ? '' : 's'}`;
  return m === 0 ? `${plural(n)} at reload` : `${plural(n)} at reload, ${m} later`;
}
