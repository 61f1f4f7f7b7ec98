// Keeps the kernel equal to the desired table: plans the difference, applies it as one batch
// through the driver, one batch at a time; coalesces requests that arrive meanwhile; retries with
// back-off after a failure; re-reads the kernel periodically to repair changes made by hand.
import type { DaemonBus } from '../events/index.js';
import type { IpvsDriver, Table } from '../ipvs/types.js';
import { applyChangeToTable } from '../ipvs/table-ops.js';
import type { DesiredService } from './desired.js';
import { planChanges, type Forget, type PlannedChange, type PurgeContext } from './plan.js';

export interface DesiredState {
  services: DesiredService[];
  /** services a reload removed from the config: delete them if the kernel still has them. */
  forget: Forget[];
}

export interface ReconcilerOptions {
  /** how often to re-read the kernel and repair drift (0 = never). */
  repairIntervalMs?: number;
  /** first retry delay after a failed apply; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
  /** told of every fresh read of the kernel table, before it is planned against (adoption at start). */
  onRead?: (kernel: Table) => void;
}

export class Reconciler {
  private kernel?: Table;
  /** the periodic repair asks for a fresh read; `kernel` stays what status views show meanwhile. */
  private stale = false;
  private busy?: Promise<void>;
  private dirty = false;
  private retryDelay: number;
  private retryTimer?: NodeJS.Timeout;
  private repairTimer?: NodeJS.Timeout;
  private stopped = false;
  /** the last apply failed and a retry is pending. */
  failing = false;
  applies = 0;

  constructor(
    private readonly driver: IpvsDriver,
    private readonly bus: DaemonBus,
    private readonly desired: () => DesiredState,
    private readonly opts: ReconcilerOptions = {},
  ) {
    this.retryDelay = opts.retryMs ?? 1000;
  }

  /** The kernel table as last read and applied; undefined while unknown (status views read it). */
  get known(): Table | undefined {
    return this.kernel;
  }

  /** A fresh read of the kernel table (also refreshes the cached view). */
  async read(): Promise<Table> {
    this.kernel = await this.driver.read();
    this.stale = false;
    this.opts.onRead?.(this.kernel);
    return this.kernel;
  }

  /**
   * The table the next batch will plan against, once the batch under way (if any) is done: the
   * one known, or a fresh read when a repair or a failure has made it stale. A fresh read here is
   * not kept (`lvsd plan` must leave the reconciler as it found it).
   */
  async nextBase(): Promise<Table> {
    while (this.busy) await this.busy;
    return this.kernel && !this.stale ? this.kernel : this.driver.read();
  }

  /** Ask for a reconcile soon; requests made while one runs are coalesced into the next batch. */
  request(): void {
    if (this.stopped) return;
    this.dirty = true;
    this.busy ??= this.run('start');
  }

  /** Reconcile now and wait for it (start, reload, stop). */
  async now(context: PurgeContext): Promise<boolean> {
    while (this.busy) await this.busy;
    this.dirty = true;
    this.busy = this.run(context);
    await this.busy;
    return !this.failing;
  }

  startRepair(): void {
    const every = this.opts.repairIntervalMs ?? 0;
    if (every <= 0 || this.repairTimer) return;
    this.repairTimer = setInterval(() => {
      if (this.busy) return;
      this.stale = true; // force a fresh read: someone may have used ipvsadm by hand
      this.request();
    }, every);
    this.repairTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.repairTimer);
  }

  /** Run batches until no request is pending; `busy` is cleared only after it has been set. */
  private run(context: PurgeContext): Promise<void> {
    const loop = async () => {
      while (this.dirty && !(this.stopped && context !== 'stop')) {
        this.dirty = false;
        await this.once(context);
      }
    };
    return loop().finally(() => {
      this.busy = undefined;
    });
  }

  private async once(context: PurgeContext): Promise<void> {
    let plan: PlannedChange[] = [];
    try {
      const kernel = this.kernel && !this.stale ? this.kernel : await this.read();
      const want = this.desired();
      plan = planChanges(kernel, want.services, want.forget, context);
      if (plan.length > 0) {
        this.applies += 1;
        const result = await this.driver.apply(plan.map((p) => p.change));
        const failed = new Set(result.failed.map((f) => f.change));
        const at = Date.now();
        for (const p of plan) {
          if (failed.has(p.change)) continue;
          applyChangeToTable(kernel, p.change);
          this.bus.emit('ipvs', { kind: p.kind, change: p.change, virtual: p.virtual, message: p.message, subject: p.subject, at });
        }
        if (result.failed.length > 0) {
          throw new Error(result.failed.map((f) => f.error).join('; '));
        }
      }
      this.failing = false;
      this.retryDelay = this.opts.retryMs ?? 1000;
      this.bus.emit('applied', { changes: plan.length, at: Date.now() });
    } catch (e) {
      this.failing = true;
      this.kernel = undefined; // we no longer know what the kernel holds
      this.bus.emit('ipvs-error', { error: (e as Error).message, changes: plan.map((p) => p.change) });
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(delay * 2, this.opts.maxRetryMs ?? 30_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.request();
    }, delay);
  }
}
