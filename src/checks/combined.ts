// checktype=N (spec §3.3 item 9): negotiate once, then N connect checks, so one negotiate every
// N+1 checks. A failed connect forces a negotiate next time; a failed negotiate is retried
// next time. State (ldirectord's num_connects) is kept per target.key.
import type { CheckTarget, Checker, CheckResult } from './types.js';

const FORCE_NEGOTIATE = Number.MAX_SAFE_INTEGER;

export class CombinedChecker implements Checker {
  private readonly connectsSinceNegotiate = new Map<string, number>();

  constructor(
    private readonly negotiator: (t: CheckTarget) => Checker,
    private readonly connector: Checker,
  ) {}

  async check(target: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
    const every = target.negotiateEvery ?? 0;
    const count = this.connectsSinceNegotiate.get(target.key) ?? FORCE_NEGOTIATE;
    if (count >= every) {
      const r = await this.negotiator(target).check(target, signal);
      this.connectsSinceNegotiate.set(target.key, r.ok ? 0 : FORCE_NEGOTIATE);
      return r;
    }
    const r = await this.connector.check(target, signal);
    this.connectsSinceNegotiate.set(target.key, r.ok ? count + 1 : FORCE_NEGOTIATE);
    return r;
  }

  /** Drop the state of a target that left the configuration. */
  forget(key: string): void {
    this.connectsSinceNegotiate.delete(key);
  }
}
