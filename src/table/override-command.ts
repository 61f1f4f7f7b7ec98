// The words of an override command (`disable|drain|enable [VIRTUAL] REAL`, `weight [VIRTUAL]
// REAL N`) and the reals of the config they name. The CLI checks the form before it asks; the
// daemon checks again and resolves the names against the config in force.
// VIRTUAL is written as status shows it: `10.0.0.1:80`, `[2001:db8::1]:80`, a firewall mark `7`,
// or with its protocol, `udp:10.0.0.1:53`, `fwm:7`, when an address has several. REAL is the
// configured `address:port`, or a bare address for every port of it. Without VIRTUAL, the command
// applies to every virtual service that has the real: taking a server out for maintenance means
// out of every pool at once, and the operator should not have to list them.
import { hostPort, virtualId, virtualLabel } from '../config/effective.js';
import type { Config, RealServer, VirtualService } from '../config/model.js';
import { OVERRIDE_ACTIONS, type OverrideAction } from './override.js';

export type OverrideVerb = OverrideAction | 'enable';
export const OVERRIDE_VERBS: readonly OverrideVerb[] = [...OVERRIDE_ACTIONS, 'enable'];

export interface OverrideRequest {
  verb: OverrideVerb;
  virtual?: string;
  real: string;
  weight?: number;
}

export interface OverrideTarget {
  virtual: VirtualService;
  real: RealServer;
  /** virtualId(virtual) and the real's `address:port`: the override's key. */
  virtualId: string;
  realId: string;
}

const MAX_WEIGHT = 65535;
export const OVERRIDE_USAGE = 'disable|drain|enable [VIRTUAL] REAL, weight [VIRTUAL] REAL N';

/** The request the words make, or what is wrong with them. */
export function parseOverride(words: readonly string[]): OverrideRequest | string {
  const [verb, ...args] = words;
  if (!OVERRIDE_VERBS.includes(verb as OverrideVerb)) return `unknown override command ${JSON.stringify(String(verb).slice(0, 40))} (${OVERRIDE_USAGE})`;
  const v = verb as OverrideVerb;
  if (v === 'weight') {
    if (args.length < 2 || args.length > 3) return `usage: weight [VIRTUAL] REAL N`;
    const n = args[args.length - 1]!;
    if (!/^\d{1,5}$/.test(n) || Number(n) > MAX_WEIGHT) return `the weight must be a whole number from 0 to ${MAX_WEIGHT}, got ${JSON.stringify(n.slice(0, 40))}`;
    return { verb: v, virtual: args.length === 3 ? args[0] : undefined, real: args[args.length - 2]!, weight: Number(n) };
  }
  if (args.length < 1 || args.length > 2) return `usage: ${v} [VIRTUAL] REAL`;
  return { verb: v, virtual: args.length === 2 ? args[0] : undefined, real: args[args.length - 1]! };
}

/** Every (virtual, real) of the config the request names, or why it names none. */
export function resolveOverride(cfg: Config, req: OverrideRequest): OverrideTarget[] | string {
  const virtuals = req.virtual === undefined ? cfg.virtuals : cfg.virtuals.filter((v) => namesVirtual(req.virtual!, v));
  if (virtuals.length === 0) {
    return `no virtual service ${JSON.stringify(req.virtual!.slice(0, 80))} in ${cfg.file} (it has: ${listOf(cfg.virtuals.map(virtualId))})`;
  }
  const out: OverrideTarget[] = [];
  const seen = new Set<string>();
  for (const v of virtuals) {
    for (const r of v.reals) {
      if (!namesReal(req.real, r)) continue;
      const t = { virtual: v, real: r, virtualId: virtualId(v), realId: hostPort(r.address, r.port) };
      const k = `${t.virtualId} ${t.realId}`;
      if (seen.has(k)) continue; // listed twice: one real
      seen.add(k);
      out.push(t);
    }
  }
  if (out.length > 0) return out;
  const real = JSON.stringify(req.real.slice(0, 80));
  if (req.virtual === undefined) return `no real server ${real} in any virtual service of ${cfg.file}`;
  const reals = [...new Set(virtuals.flatMap((v) => v.reals.map((r) => hostPort(r.address, r.port))))];
  return `no real server ${real} in virtual service ${virtuals.map(virtualId).join(', ')} of ${cfg.file} (it has: ${listOf(reals)})`;
}

function namesVirtual(arg: string, v: VirtualService): boolean {
  const a = arg.toLowerCase();
  return a === virtualId(v).toLowerCase() || a === virtualLabel(v).toLowerCase();
}

function namesReal(arg: string, r: RealServer): boolean {
  const a = arg.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return a === hostPort(r.address, r.port).toLowerCase() || a === r.address.toLowerCase();
}

function listOf(items: string[]): string {
  if (items.length === 0) return 'none';
  return items.length > 8 ? `${items.slice(0, 8).join(', ')}, … ${items.length - 8} more` : items.join(', ');
}
