// Operator overrides (`lvsd disable|drain|weight|enable`): per real server in one virtual
// service, what the operator forced over what the checks say. Pure state, no I/O: the daemon
// keeps it in a file (daemon/override-file.ts) and takes commands for it (daemon/override.ts).
//   disable  out of the table, as if down: the virtual's quiescent= rule applies (weight 0 or
//            removed) and its fallback steps in when no real is left, like a maintenancedir file;
//   drain    weight 0, kept in the table: its connections go on, no new ones come;
//   weight N that weight (0..configured; the desired table clamps anyway).
// The checks go on under every override, so status still tells whether the real is healthy.
import { hostPort, virtualId } from '../config/effective.js';
import type { Config } from '../config/model.js';
import type { Health } from '../events/index.js';
import type { Binding } from '../health/targets.js';
import type { WeightStage } from './desired.js';

export type OverrideAction = 'disable' | 'drain' | 'weight';
export const OVERRIDE_ACTIONS: readonly OverrideAction[] = ['disable', 'drain', 'weight'];

export interface Override {
  /** the virtual's id as status shows it: `tcp:10.0.0.1:80`, `fwm:7`. */
  virtual: string;
  /** the real's configured `address:port`. */
  real: string;
  action: OverrideAction;
  /** with `weight` only. */
  weight?: number;
  /** when it was set (ms since the epoch). */
  at: number;
}

const keyOf = (virtual: string, real: string) => `${virtual} ${real}`;

/** Every (virtual id, real) pair the config has, the keys overrides may name. */
export function configuredPairs(cfg: Config): Set<string> {
  const out = new Set<string>();
  for (const v of cfg.virtuals) for (const r of v.reals) out.add(keyOf(virtualId(v), hostPort(r.address, r.port)));
  return out;
}

export class Overrides {
  private readonly map = new Map<string, Override>();

  /** The override on this binding's real in its virtual, if any. */
  of(b: Binding): Override | undefined {
    if (this.map.size === 0) return undefined;
    return this.map.get(keyOf(virtualId(b.virtual), hostPort(b.real.address, b.real.port)));
  }

  /** A disabled real is down for the table, whatever its checks say. */
  health(b: Binding, checked: Health): Health {
    return this.of(b)?.action === 'disable' ? 'down' : checked;
  }

  /** The weight stage: drain is 0, weight N is N; disable and no override leave the weight alone. */
  readonly stage: WeightStage = (b, weight) => {
    const o = this.of(b);
    if (o?.action === 'drain') return 0;
    if (o?.action === 'weight') return o.weight ?? weight;
    return weight;
  };

  get(virtual: string, real: string): Override | undefined {
    return this.map.get(keyOf(virtual, real));
  }

  set(o: Override): void {
    this.map.set(keyOf(o.virtual, o.real), { ...o });
  }

  /** Clear one; the override that was there, if any. */
  clear(virtual: string, real: string): Override | undefined {
    const k = keyOf(virtual, real);
    const had = this.map.get(k);
    this.map.delete(k);
    return had;
  }

  all(): Override[] {
    return [...this.map.values()].map((o) => ({ ...o }));
  }

  /** Drop every override whose real the config no longer has in that virtual; the dropped ones. */
  prune(cfg: Config): Override[] {
    const pairs = configuredPairs(cfg);
    const dropped: Override[] = [];
    for (const [k, o] of this.map) {
      if (pairs.has(k)) continue;
      this.map.delete(k);
      dropped.push(o);
    }
    return dropped;
  }
}

/** One line for the log, the mail and the control socket's answer. */
export function overrideText(o: Pick<Override, 'action' | 'weight' | 'real' | 'virtual'>): string {
  const what = o.action === 'weight' ? `weight ${o.weight}` : o.action === 'drain' ? 'drain (weight 0)' : 'disable (out of the table)';
  return `${what} for real server ${o.real} (${o.virtual})`;
}
