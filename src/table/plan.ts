// Desired table vs the kernel's → the smallest ordered change set, each change labelled with
// what it means in ldirectord's vocabulary (for the log, alerts and metrics). Pure.
import type { VirtualService } from '../config/model.js';
import { hostPort, virtualLabel } from '../config/effective.js';
import type { Change, Dest, Service, ServiceAttrs, ServiceKey, Table } from '../ipvs/types.js';
import { serviceKeyString } from '../ipvs/types.js';
import { normalizeAttrs } from '../ipvs/rules.js';
import type { ChangeKind } from '../events/index.js';
import { destKey, type DesiredDest, type DesiredService } from './desired.js';

export interface PlannedChange {
  change: Change;
  kind: ChangeKind;
  virtual?: VirtualService;
  message: string;
  /** `ip:port (vip)` for reals and fallbacks. */
  subject?: string;
}

/** Why unknown destinations or services are being removed: ldirectord's "Purged ... (start|stop)". */
export type PurgeContext = 'start' | 'stop';

/**
 * A service lvsd managed that must go. `context` is why (a reload dropped it: start; the daemon
 * stops: stop), fixed when it is decided: the batch that applies it may be one already under way.
 */
export interface Forget {
  key: ServiceKey;
  label: string;
  context?: PurgeContext;
}

const ORDER: Change['op'][] = ['add-service', 'edit-service', 'add-dest', 'edit-dest', 'del-dest', 'del-service'];

/**
 * @param forget services lvsd managed before (a reload removed them) that must be deleted;
 *               any other service the kernel has and the config does not name is left alone.
 */
export function planChanges(
  kernel: Table,
  desired: readonly DesiredService[],
  forget: readonly Forget[],
  context: PurgeContext,
): PlannedChange[] {
  const current = new Map<string, Service>();
  for (const s of kernel.services) current.set(serviceKeyString(s.key), s);
  const out: PlannedChange[] = [];

  for (const d of desired) {
    const label = virtualLabel(d.virtual);
    const have = current.get(serviceKeyString(d.key));
    if (!have) {
      out.push({ change: { op: 'add-service', service: d.key, attrs: d.attrs }, kind: 'added-virtual', virtual: d.virtual, message: `Added virtual server: ${label}` });
    } else if (!sameAttrs(have, d.attrs, d.key)) {
      out.push({ change: { op: 'edit-service', service: d.key, attrs: d.attrs }, kind: 'changed-virtual', virtual: d.virtual, message: `Changed virtual server: ${label}` });
    }
    const existing = new Map<string, Dest>();
    for (const x of have?.dests ?? []) existing.set(destKey(x.address, x.port), x);
    const wanted = new Set<string>();
    for (const dest of d.dests) {
      const k = destKey(dest.address, dest.port);
      wanted.add(k);
      const cur = existing.get(k);
      const p = destChange(d, dest, cur, label);
      if (p) out.push(p);
    }
    for (const [k, x] of existing) {
      if (wanted.has(k) || d.keep.has(k)) continue;
      out.push(removal(d, x, label, context));
    }
  }
  for (const f of forget) {
    if (!current.has(serviceKeyString(f.key))) continue;
    out.push({ change: { op: 'del-service', service: f.key }, kind: 'purged-virtual', message: `Purged virtual server (${f.context ?? context}): ${f.label}` });
  }
  return out.sort((a, b) => ORDER.indexOf(a.change.op) - ORDER.indexOf(b.change.op));
}

function destChange(d: DesiredService, dest: DesiredDest, cur: Dest | undefined, label: string): PlannedChange | undefined {
  const configured = hostPort(dest.address, dest.configuredPort);
  const subject = `${configured} (${label})`;
  const plain: Dest = { address: dest.address, port: dest.port, forward: dest.forward, weight: dest.weight, upper: dest.upper, lower: dest.lower };
  const base = { virtual: d.virtual, subject };
  if (!cur) {
    const change: Change = { op: 'add-dest', service: d.key, dest: plain };
    if (dest.role === 'fallback') return { ...base, change, kind: 'added-fallback', message: `Added fallback server: ${configured} (${label}) (Weight set to 1)` };
    if (dest.weight === 0) return { ...base, change, kind: 'readd-quiescent-real', message: `Readd Quiescent real server: ${configured} (${label}) (Weight set to 0)` };
    return { ...base, change, kind: 'added-real', message: `Added real server: ${configured} (${label}) (Weight set to ${dest.weight})` };
  }
  if (cur.weight === dest.weight && cur.forward === dest.forward && cur.upper === dest.upper && cur.lower === dest.lower) return undefined;
  const change: Change = { op: 'edit-dest', service: d.key, dest: plain };
  if (dest.weight === 0 && dest.role === 'real') {
    return { ...base, change, kind: 'quiesced-real', message: `Quiescent real server: ${hostPort(dest.address, dest.port)}${mapped(dest)} (${label}) (Weight set to 0)` };
  }
  // a policy's step between two non-zero weights (a slow start ramp, an agent's 50%): news for
  // the log, not a mail each; the return to the configured weight is a restore as ldirectord's
  if (cur.weight > 0 && dest.weight > 0 && dest.staged) {
    return { ...base, change, kind: 'reweighted-real', message: `Changed weight of real server: ${configured} (${label}) (Weight set to ${dest.weight})` };
  }
  return { ...base, change, kind: 'restored-real', message: `Restored real server: ${configured} (${label}) (Weight set to ${dest.weight})` };
}

function removal(d: DesiredService, x: Dest, label: string, context: PurgeContext): PlannedChange {
  const change: Change = { op: 'del-dest', service: d.key, address: x.address, port: x.port };
  const at = hostPort(x.address, x.port);
  // Which configured entry is this? A real gone down (not quiescent), the fallback, or a stranger.
  const real = d.virtual.reals.find((r) => r.address === x.address && (r.port === x.port || d.key.protocol !== 'fwm' && r.forward !== 'masq' && x.port === d.key.port));
  if (real) {
    const from = real.port !== x.port ? ` mapped from ${hostPort(real.address, real.port)}` : '';
    return { change, kind: 'deleted-real', virtual: d.virtual, subject: `${at} (${label})`, message: `Deleted real server: ${at}${from} (${label})` };
  }
  const fb = isFallback(d, x);
  if (fb) return { change, kind: 'deleted-fallback', virtual: d.virtual, subject: `${at} (${label})`, message: `Deleted fallback server: ${at} (${label})` };
  return { change, kind: 'purged-real', virtual: d.virtual, subject: `${at} (${label})`, message: `Purged real server (${context}): ${at} (${label})` };
}

function isFallback(d: DesiredService, x: Dest): boolean {
  return d.fallback !== undefined && d.fallback.address === x.address && d.fallback.port === x.port;
}

function mapped(dest: DesiredDest): string {
  return dest.configuredPort !== dest.port ? ` mapped from ${hostPort(dest.address, dest.configuredPort)}` : '';
}

/** Compare kernel attributes with the desired ones in ipvsadm's normal form (defaults dropped). */
function sameAttrs(have: ServiceAttrs, want: ServiceAttrs, key: ServiceKey): boolean {
  const a = normalizeAttrs(key, have);
  const b = normalizeAttrs(key, want);
  return a.scheduler === b.scheduler && a.persistent === b.persistent && a.netmask === b.netmask && a.schedflags === b.schedflags && a.ops === b.ops;
}
