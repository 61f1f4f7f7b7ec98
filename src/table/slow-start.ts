// Slow start (slowstart=SECONDS): a real that returns from down earns its weight back in steps,
// so a server just recovered is not handed its full share of new connections at once. A weight
// stage (see WeightStage); the ramps begun are kept here, keyed by binding id. No I/O: the clock
// is injected, and the daemon re-plans the table at each step (nextStepMs).
import type { Binding } from '../health/targets.js';
import type { WeightStage } from './desired.js';

/**
 * Steps of a ramp over T seconds: weight 1 at once, then k/STEPS of the weight from k·T/STEPS on
 * (weight 100: 1, 25, 50, 75, 100): the add, then four kernel writes.
 */
export const SLOWSTART_STEPS = 4;

/** A ramp in progress, for status. */
export interface Ramp {
  /** the weight the ramp allows now, and the one it climbs to (the configured weight). */
  weight: number;
  target: number;
  secondsLeft: number;
}

interface Started {
  at: number;
  seconds: number;
}

/** The share k/STEPS of `weight`, never below 1 (a weight of 0 stays 0: a drain wins). */
function share(weight: number, k: number): number {
  if (weight <= 0) return weight;
  return Math.max(1, Math.round((weight * k) / SLOWSTART_STEPS));
}

export class SlowStart {
  private readonly ramps = new Map<string, Started>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A real returned from down: its ramp (re)starts now. `seconds` ≤ 0: no ramp. */
  begin(id: string, seconds: number): void {
    if (seconds > 0) this.ramps.set(id, { at: this.now(), seconds });
    else this.ramps.delete(id);
  }

  /** It went down again: the next return starts a fresh ramp. */
  end(id: string): void {
    this.ramps.delete(id);
  }

  /** After a reload: ramps of bindings gone are dropped; the others take the new slowstart=. */
  retain(bindings: readonly Binding[]): void {
    const seconds = new Map(bindings.map((b) => [b.id, b.slowstart]));
    for (const [id, r] of this.ramps) {
      const s = seconds.get(id);
      if (s === undefined || s <= 0) this.ramps.delete(id);
      else r.seconds = s;
    }
  }

  /** The step a ramp is on now (0..STEPS-1), or undefined when there is none or it is done. */
  private step(id: string, at: number): number | undefined {
    const r = this.ramps.get(id);
    if (!r) return undefined;
    const k = Math.floor(((at - r.at) * SLOWSTART_STEPS) / (r.seconds * 1000));
    return k < SLOWSTART_STEPS ? Math.max(0, k) : undefined;
  }

  readonly stage: WeightStage = (b, weight) => {
    const k = this.step(b.id, this.now());
    return k === undefined ? weight : share(weight, k);
  };

  /** The ramp of a binding, for status; undefined when it has none (or it is done). */
  ramp(b: Binding): Ramp | undefined {
    const at = this.now();
    const k = this.step(b.id, at);
    const r = this.ramps.get(b.id);
    if (k === undefined || !r) return undefined;
    const left = Math.max(0, r.seconds - (at - r.at) / 1000);
    return { weight: share(b.real.weight, k), target: b.real.weight, secondsLeft: Math.round(left * 10) / 10 };
  }

  /** ms until the next step of any ramp (finished ramps are dropped here); undefined: none left. */
  nextStepMs(): number | undefined {
    const at = this.now();
    let next: number | undefined;
    for (const [id, r] of this.ramps) {
      const k = this.step(id, at);
      if (k === undefined) {
        this.ramps.delete(id);
        continue;
      }
      const ms = r.at + ((k + 1) * r.seconds * 1000) / SLOWSTART_STEPS - at;
      next = next === undefined ? ms : Math.min(next, ms);
    }
    return next;
  }
}
