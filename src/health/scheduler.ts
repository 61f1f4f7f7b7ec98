// One timer per distinct check, never a serial loop: a slow or hung real delays nobody else.
// Checks run at a fixed rate from a jittered first start; a check that outlives its interval
// delays only its own next run. Every run has a hard deadline.
import type { Checker, CheckResult, CheckTarget } from '../checks/types.js';
import { benchTrace } from './trace.js';

export interface ScheduledCheck {
  target: CheckTarget;
  intervalMs: number;
}

export interface SchedulerOptions {
  checkerFor: (t: CheckTarget) => Checker;
  onResult: (key: string, result: CheckResult & { forced?: boolean }, latencyMs: number) => void;
  /** Optional pre-check (maintenancedir): a reason string forces the real down without checking. */
  preCheck?: (t: CheckTarget) => string | undefined;
  /** extra time past the check's own timeout before the scheduler gives up on it. */
  graceMs?: number;
  /** spread first runs over min(interval, this). */
  maxJitterMs?: number;
  /** a check left the set: drop any per-check state a checker keeps. */
  onForget?: (key: string) => void;
}

interface Job {
  check: ScheduledCheck;
  timer?: NodeJS.Timeout;
  abort?: AbortController;
  nextAt: number;
  running: boolean;
  stopped: boolean;
}

/** Seconds a check may take, by checktype (spec §1.5). */
export function checkTimeoutSec(t: CheckTarget): number {
  switch (t.checktype) {
    case 'negotiate':
      return t.negotiatetimeout;
    case 'combined':
      return Math.max(t.negotiatetimeout, t.checktimeout);
    case 'ping':
      return t.checktimeout * Math.max(1, t.checkcount);
    default:
      return t.checktimeout;
  }
}

export class Scheduler {
  private jobs = new Map<string, Job>();
  private readonly graceMs: number;
  private readonly maxJitterMs: number;

  constructor(private readonly opts: SchedulerOptions) {
    this.graceMs = opts.graceMs ?? 500;
    this.maxJitterMs = opts.maxJitterMs ?? 1000;
  }

  /** Make the running set equal `checks`: unchanged keys keep their timers, others start or stop. */
  sync(checks: readonly ScheduledCheck[]): void {
    const want = new Map(checks.map((c) => [c.target.key, c]));
    for (const [key, job] of this.jobs) {
      const w = want.get(key);
      if (!w || w.intervalMs !== job.check.intervalMs) this.stopJob(key, job);
      else job.check = w;
    }
    for (const [key, c] of want) {
      if (this.jobs.has(key) || c.target.checktype === 'off') continue;
      const jitter = Math.random() * Math.min(c.intervalMs, this.maxJitterMs);
      const job: Job = { check: c, nextAt: performance.now() + jitter, running: false, stopped: false };
      this.jobs.set(key, job);
      this.arm(key, job);
    }
  }

  stop(): void {
    for (const [key, job] of this.jobs) this.stopJob(key, job);
  }

  size(): number {
    return this.jobs.size;
  }

  /**
   * Liveness for the systemd watchdog: false when some check is overdue by far more than its
   * deadline allows (the event loop or the scheduler is stuck).
   */
  isAlive(now = performance.now()): boolean {
    for (const job of this.jobs.values()) {
      const slack = checkTimeoutSec(job.check.target) * 1000 + this.graceMs + 5000;
      if (!job.running && now - job.nextAt > slack) return false;
    }
    return true;
  }

  private stopJob(key: string, job: Job): void {
    job.stopped = true;
    clearTimeout(job.timer);
    job.abort?.abort();
    this.jobs.delete(key);
    this.opts.onForget?.(key);
  }

  private arm(key: string, job: Job): void {
    const delay = Math.max(0, job.nextAt - performance.now());
    job.timer = setTimeout(() => void this.run(key, job), delay);
  }

  private async run(key: string, job: Job): Promise<void> {
    if (job.stopped) return;
    const t = job.check.target;
    const due = job.nextAt;
    const started = performance.now();
    job.running = true;
    const forced = this.opts.preCheck?.(t);
    let result: CheckResult & { forced?: boolean };
    if (forced) {
      result = { ok: false, message: forced, forced: true };
    } else {
      job.abort = new AbortController();
      result = await this.runWithDeadline(t, job.abort);
    }
    job.running = false;
    job.abort = undefined;
    if (job.stopped) return;
    benchTrace?.check(due, started, performance.now(), result.ok);
    this.opts.onResult(key, result, performance.now() - started);
    // Fixed rate: the next run is one interval after this one started, or now if it overran.
    job.nextAt = Math.max(started + job.check.intervalMs, performance.now());
    this.arm(key, job);
  }

  private async runWithDeadline(t: CheckTarget, abort: AbortController): Promise<CheckResult> {
    const limitMs = checkTimeoutSec(t) * 1000 + this.graceMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(() => {
        abort.abort();
        // Give the checker a moment to report its own reason, then stop waiting for it.
        setTimeout(() => resolve({ ok: false, message: `timeout after ${checkTimeoutSec(t)}s` }), 50).unref();
      }, limitMs);
    });
    try {
      const checker = this.opts.checkerFor(t);
      return await Promise.race([checker.check(t, abort.signal), deadline]);
    } catch (e) {
      // Checkers must not throw; if one does, it is a failed check, not a dead daemon.
      return { ok: false, message: `check error: ${(e as Error).message ?? String(e)}` };
    } finally {
      clearTimeout(timer);
    }
  }
}
