// The health state machine: check results in, per-binding transitions out.
// One result of a shared check feeds every binding that uses it, each with its own failure
// count (ldirectord counted a shared real K times per failed check, spec §3.4 — fixed).
import type { CertInfo, CheckResult } from '../checks/types.js';
import type { DaemonBus, Health } from '../events/index.js';
import type { Binding } from './targets.js';

export interface BindingState {
  health: Health;
  /** consecutive failures while up (ldirectord's failcount). */
  failures: number;
  /** consecutive passing checks while down, toward rise= (0 when not down). */
  successes?: number;
  /** monotonic ms when the current health began. */
  since: number;
  lastMessage?: string;
  lastLatencyMs?: number;
  lastCheckAt?: number;
  /** the last TLS certificate a check of it was shown (kept through checks that saw none). */
  cert?: CertInfo;
  /**
   * up because the kernel had it at start (adopted), not yet confirmed by a check of this
   * daemon: it may have died while no lvsd ran, so its first failed check takes it down.
   */
  adopted?: boolean;
}

export class HealthBook {
  private bindings = new Map<string, Binding>();
  private byKey = new Map<string, Binding[]>();
  private states = new Map<string, BindingState>();

  constructor(
    private readonly bus: DaemonBus,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Install a (new) set of bindings. A binding whose id and check are unchanged keeps its state
   * (a reload never resets health); others start from `initial`.
   */
  setBindings(list: readonly Binding[], initial: (b: Binding) => Health): void {
    const old = this.bindings;
    const oldStates = this.states;
    this.bindings = new Map();
    this.byKey = new Map();
    this.states = new Map();
    for (const b of list) {
      this.bindings.set(b.id, b);
      const peers = this.byKey.get(b.target.key) ?? [];
      peers.push(b);
      this.byKey.set(b.target.key, peers);
      this.states.set(b.id, this.carry(b, initial, old, oldStates));
    }
  }

  /**
   * The health each binding of `list` would have after setBindings(list, initial), with nothing
   * installed (`lvsd plan` asks what a reload would do).
   */
  healthAfter(list: readonly Binding[], initial: (b: Binding) => Health): (b: Binding) => Health {
    const after = new Map(list.map((b) => [b.id, this.carry(b, initial, this.bindings, this.states).health]));
    return (b) => after.get(b.id) ?? 'unknown';
  }

  /** A binding's state kept from `old` when its id and check are unchanged, else a fresh one. */
  private carry(b: Binding, initial: (b: Binding) => Health, old: Map<string, Binding>, oldStates: Map<string, BindingState>): BindingState {
    const prev = old.get(b.id);
    const kept = prev && prev.target.key === b.target.key ? oldStates.get(b.id) : undefined;
    // checktype=off never runs: such reals are down for good (ldirectord leaves them out).
    const h = b.target.checktype === 'off' ? 'down' : initial(b);
    return kept ?? { health: h, failures: 0, since: this.now() };
  }

  all(): Binding[] {
    return [...this.bindings.values()];
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }

  bindingsFor(key: string): readonly Binding[] {
    return this.byKey.get(key) ?? [];
  }

  state(b: Binding): BindingState {
    return this.states.get(b.id) ?? { health: 'unknown', failures: 0, since: this.now() };
  }

  health = (b: Binding): Health => this.state(b).health;

  /** Take an unchecked binding as up because the kernel has it (start-up); no transition. */
  adopt(b: Binding): void {
    const s = this.states.get(b.id);
    if (!s || s.health !== 'unknown') return; // a check has already spoken
    s.health = 'up';
    s.adopted = true;
    s.since = this.now();
  }

  /** Feed one check result; returns true when any binding changed health. */
  record(key: string, result: CheckResult & { forced?: boolean }, latencyMs: number): boolean {
    let changed = false;
    const at = this.now();
    for (const b of this.byKey.get(key) ?? []) {
      const s = this.states.get(b.id);
      if (!s) continue;
      s.lastMessage = result.message;
      s.lastLatencyMs = latencyMs;
      s.lastCheckAt = at;
      if (result.cert) s.cert = result.cert;
      if (result.ok) {
        s.adopted = false;
        if (s.failures > 0) this.bus.emit('softreset', { virtual: b.virtual, real: b.real });
        s.failures = 0;
        // rise= guards a real seen failing; an unknown one (start, a reload's new real) is up at once
        if (s.health === 'down') {
          s.successes = (s.successes ?? 0) + 1;
          if (s.successes < b.rise) {
            this.bus.emit('softrise', { virtual: b.virtual, real: b.real, successes: s.successes, rise: b.rise, message: result.message });
            continue;
          }
        }
        s.successes = 0;
        if (s.health !== 'up') changed = this.move(b, s, 'up', result.message, at) || changed;
        continue;
      }
      if (s.health === 'down') {
        // failures are counted only while up (spec §3.4); one failure restarts the rise count
        if (s.successes) this.bus.emit('risereset', { virtual: b.virtual, real: b.real, successes: s.successes, message: result.message });
        s.successes = 0;
        continue;
      }
      s.failures += 1;
      // A real never seen up (adopted ones included), or forced down (maintenance), goes down at once.
      if (s.health === 'up' && !result.forced && !s.adopted && s.failures < b.failurecount) {
        this.bus.emit('softfail', { virtual: b.virtual, real: b.real, failures: s.failures, failurecount: b.failurecount, message: result.message });
        continue;
      }
      changed = this.move(b, s, 'down', result.message, at) || changed;
    }
    return changed;
  }

  private move(b: Binding, s: BindingState, to: Health, message: string, at: number): boolean {
    const from = s.health;
    s.health = to;
    s.adopted = false;
    s.since = at;
    this.bus.emit('transition', { virtual: b.virtual, real: b.real, from, to, failures: s.failures, failurecount: b.failurecount, message, at: Date.now() });
    return true;
  }
}
