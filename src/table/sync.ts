// Keeps the kernel's IPVS connection sync daemons as the config and the role want them, the way
// the reconciler keeps the table: read, compare, start or stop what differs, one run at a time;
// re-read every repair interval so a daemon stopped by hand is started again.
//
// Managed only while `syncinterface=` is set. Otherwise (keepalived's `lvs_sync_daemon` owns
// them) nothing is ever started or stopped: the daemons are only read, for status, at start, on a
// reload and on a role change (when keepalived switches them), never on the repair timer: an
// ipvsadm run every 10 s for a status line nobody asked for, whose failures crowded the log.
import type { GlobalSettings } from '../config/model.js';
import type { DaemonBus, Role } from '../events/index.js';
import { canonicalAddress } from '../ipvs/rules.js';
import type { SyncDaemon, SyncDaemonControl, SyncState, SyncView } from '../ipvs/types.js';
import { syncDaemonString } from '../ipvs/types.js';
import { kernelMaxlen } from '../ipvs/sync-kernel.js';

const STATES: readonly SyncState[] = ['master', 'backup'];

/**
 * The sync daemons the directives and the role ask for; undefined when lvsd does not manage them.
 * syncstate=role (the default): a master daemon while the role is master, a backup one otherwise
 * (backup, fault, or not yet told), so a director that is not sure it holds the VIP listens.
 */
export function desiredDaemons(g: GlobalSettings, role: Role): SyncDaemon[] | undefined {
  if (g.syncinterface === undefined) return undefined;
  const mode = g.syncstate ?? 'role';
  const states: SyncState[] = mode === 'both' ? ['master', 'backup'] : mode === 'role' ? [role === 'master' ? 'master' : 'backup'] : [mode];
  return states.map((state) => ({
    state,
    ifname: g.syncinterface!,
    syncid: g.syncid ?? 0,
    ...(g.syncgroup !== undefined ? { group: g.syncgroup } : {}),
    ...(g.syncport !== undefined ? { port: g.syncport } : {}),
    ...(g.syncttl !== undefined ? { ttl: g.syncttl } : {}),
    ...(g.syncmaxlen !== undefined ? { maxlen: g.syncmaxlen } : {}),
  }));
}

/**
 * A running daemon serves a wanted one when state, interface and syncid agree, and each optional
 * setting the config gives is what the kernel reports (unset ones: the kernel's defaults, any).
 * maxlen is compared as the kernel keeps it (clamped: see ../ipvs/sync-kernel.ts).
 */
export function serves(have: SyncDaemon, want: SyncDaemon): boolean {
  return (
    have.state === want.state &&
    have.ifname === want.ifname &&
    have.syncid === want.syncid &&
    (want.group === undefined || canonicalAddress(have.group ?? '') === canonicalAddress(want.group)) &&
    (want.port === undefined || have.port === want.port) &&
    (want.ttl === undefined || have.ttl === want.ttl) &&
    (want.maxlen === undefined || have.maxlen === kernelMaxlen(want))
  );
}

/** One step toward the wanted daemons (a state runs one daemon at most). */
export type SyncStep = { op: 'stop'; state: SyncState; daemon: SyncDaemon } | { op: 'start'; daemon: SyncDaemon };

export function planDaemons(kernel: SyncDaemon[], want: SyncDaemon[]): SyncStep[] {
  const stops: SyncStep[] = [];
  const starts: SyncStep[] = [];
  for (const state of STATES) {
    const have = kernel.find((d) => d.state === state);
    const w = want.find((d) => d.state === state);
    if (have && (!w || !serves(have, w))) stops.push({ op: 'stop', state, daemon: have });
    if (w && (!have || !serves(have, w))) starts.push({ op: 'start', daemon: w });
  }
  // every stop first, as keepalived switches (a backup daemon stops before the master one starts)
  return [...stops, ...starts];
}

export interface SyncReconcilerOptions {
  /** re-read (and repair) this often, ms; 0 = never. */
  repairIntervalMs?: number;
}

export class SyncReconciler implements SyncView {
  /** the daemons the kernel ran at the last read or change; undefined before the first read. */
  known?: SyncDaemon[];
  /** what lvsd wants now; undefined while it does not manage them. */
  desired?: SyncDaemon[];
  /** the last failure (a read, or a start the kernel refused); cleared by a run that succeeds. */
  lastError?: { message: string; at: number };
  private managedBefore?: SyncDaemon[];
  private busy?: Promise<void>;
  private dirty = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly control: SyncDaemonControl | undefined,
    private readonly bus: DaemonBus,
    private readonly want: () => SyncDaemon[] | undefined,
    private readonly opts: SyncReconcilerOptions = {},
  ) {}

  /** Whether lvsd manages the sync daemons (syncinterface= is set). */
  get managed(): boolean {
    return this.want() !== undefined;
  }

  /** Ask for a run soon (a role change, a reload); coalesced with one under way. */
  request(): void {
    if (this.stopped) return;
    this.dirty = true;
    this.busy ??= this.loop();
  }

  /** Run now and wait. */
  async now(): Promise<void> {
    this.request();
    while (this.busy) await this.busy;
  }

  startRepair(): void {
    const every = this.opts.repairIntervalMs ?? 0;
    if (every <= 0 || this.timer || this.stopped) return;
    this.timer = setInterval(() => {
      if (this.managed || this.managedBefore) this.request();
    }, every);
    this.timer.unref();
  }

  /**
   * Stop repairing. With `stopDaemons` (a clean stop with cleanstop, the default) the daemons lvsd
   * manages are stopped; with cleanstop=no they keep running for the next lvsd to adopt.
   */
  async stop(stopDaemons: boolean): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.busy) await this.busy;
    const managed = this.want();
    if (!stopDaemons || !managed || !this.control) return;
    try {
      const kernel = await this.control.readDaemons();
      for (const d of kernel) if (managed.some((w) => w.state === d.state)) await this.step({ op: 'stop', state: d.state, daemon: d });
    } catch (e) {
      this.fail(`cannot stop the IPVS sync daemon: ${(e as Error).message}`);
    }
  }

  private loop(): Promise<void> {
    const run = async () => {
      while (this.dirty) {
        this.dirty = false;
        await this.once();
      }
    };
    return run().finally(() => {
      this.busy = undefined;
    });
  }

  private async once(): Promise<void> {
    const control = this.control;
    const want = this.want();
    this.desired = want;
    if (!control) {
      if (want) this.fail('the IPVS driver cannot reach the sync daemon');
      return;
    }
    try {
      let kernel = await control.readDaemons();
      this.known = kernel;
      // a reload dropped syncinterface=: stop what lvsd ran, then hands off
      const target = want ?? (this.managedBefore ? [] : undefined);
      const scope = want ? undefined : this.managedBefore;
      this.managedBefore = want;
      if (!target) {
        this.lastError = undefined;
        return;
      }
      const steps = planDaemons(scope ? kernel.filter((d) => scope.some((w) => w.state === d.state)) : kernel, target);
      for (const s of steps) await this.step(s);
      if (steps.length) this.known = kernel = await control.readDaemons();
      const missing = target.filter((w) => !kernel.some((d) => serves(d, w)));
      if (missing.length === 0) this.lastError = undefined;
    } catch (e) {
      this.fail(`cannot read the IPVS sync daemons: ${(e as Error).message}`);
    }
  }

  private async step(s: SyncStep): Promise<void> {
    const control = this.control!;
    try {
      if (s.op === 'stop') {
        await control.stopDaemon(s.state);
        this.bus.emit('log', { level: 'info', message: `Stopped IPVS ${syncDaemonString(s.daemon)}` });
      } else {
        await control.startDaemon(s.daemon);
        this.bus.emit('log', { level: 'info', message: `Started IPVS ${syncDaemonString(s.daemon)}` });
      }
    } catch (e) {
      const what = s.op === 'stop' ? `stop the IPVS ${s.state} sync daemon` : `start the IPVS ${syncDaemonString(s.daemon)}`;
      this.fail(`cannot ${what}: ${(e as Error).message}`);
    }
  }

  /** Logged once per distinct message while it persists (the repair retries every interval). */
  private fail(message: string): void {
    if (this.lastError?.message !== message) this.bus.emit('log', { level: 'error', message });
    this.lastError = { message, at: Date.now() };
  }
}
