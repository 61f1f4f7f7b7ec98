// Which virtual addresses this director should announce, and when (the hold-down). Pure: the
// clock is injected, nothing here does I/O.
import type { Role } from '../events/index.js';

/** A virtual service's pool as applied to the kernel: each real's configured weight and whether it serves. */
export interface PoolShare {
  /** the virtual address (fwmark services have none and are not announced). */
  address: string;
  family: 4 | 6;
  /** announcethreshold= (undefined: any serving real with weight > 0; 0: always). */
  threshold?: number;
  /** `serving`: up and held in the kernel table with a weight above 0. */
  reals: { weight: number; serving: boolean }[];
}

/** The route BIRD is given for an address: a host route. */
export function routeOf(address: string, family: 4 | 6): string {
  return `${address}/${family === 6 ? 128 : 32}`;
}

/** Whether one virtual service's pool is healthy enough to be announced. */
export function poolWants(p: PoolShare): boolean {
  if (p.threshold === 0) return true;
  const total = p.reals.reduce((n, r) => n + r.weight, 0);
  const healthy = p.reals.reduce((n, r) => n + (r.serving ? r.weight : 0), 0);
  if (p.threshold === undefined) return healthy > 0;
  return total > 0 && healthy / total >= p.threshold;
}

/** Roles that let this director announce: a backup or a faulty director withdraws everything. */
export function roleAnnounces(role: Role): boolean {
  return role === 'master' || role === 'unknown';
}

/**
 * Route → wants it announced. An address is wanted only while EVERY virtual service on it wants
 * it: a router sends the whole address here, so one dead port must take it away.
 */
export function addressWishes(pools: readonly PoolShare[], role: Role): Map<string, boolean> {
  const out = new Map<string, boolean>();
  const allowed = roleAnnounces(role);
  for (const p of pools) {
    const route = routeOf(p.address, p.family);
    out.set(route, allowed && (out.get(route) ?? true) && poolWants(p));
  }
  return out;
}

/**
 * Anti-flap: a withdraw takes effect at once; an announce only after the address has wanted it
 * without a break for `holdMs` (at start too).
 */
export class HoldDown {
  private readonly since = new Map<string, number>();
  private readonly on = new Set<string>();

  constructor(
    private holdMs: number,
    private readonly now: () => number,
  ) {}

  setHold(ms: number): void {
    this.holdMs = ms;
  }

  /** Routes announced now. */
  get announced(): ReadonlySet<string> {
    return this.on;
  }

  /** When a route that wants announcing began to (undefined: it does not, or is announced). */
  pendingSince(route: string): number | undefined {
    return this.on.has(route) ? undefined : this.since.get(route);
  }

  /**
   * Feed the current wishes; returns the announced routes and, while some wait out the
   * hold-down, how long until the next one is due (call step again then).
   */
  step(wishes: ReadonlyMap<string, boolean>): { announced: ReadonlySet<string>; wakeInMs?: number } {
    const now = this.now();
    let wake: number | undefined;
    for (const route of new Set([...this.since.keys(), ...this.on])) {
      if (!wishes.get(route)) {
        this.since.delete(route);
        this.on.delete(route);
      }
    }
    for (const [route, wants] of wishes) {
      if (!wants || this.on.has(route)) continue;
      const since = this.since.get(route) ?? now;
      this.since.set(route, since);
      const due = since + this.holdMs - now;
      if (due <= 0) this.on.add(route);
      else wake = Math.min(wake ?? due, due);
    }
    return { announced: this.on, ...(wake !== undefined ? { wakeInMs: wake } : {}) };
  }
}
