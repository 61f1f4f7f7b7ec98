// Wires the one-way pipeline: config → bindings → scheduler → checkers → health book →
// desired table → reconciler → IPVS driver. Everything else listens on `bus`.
import type { Config } from '../config/model.js';
import { effective, virtualLabel } from '../config/effective.js';
import { loadConfig } from '../config/load.js';
import type { Checker, CheckResult, CheckTarget } from '../checks/types.js';
import type { IpvsDriver, Table } from '../ipvs/types.js';
import { serviceKeyString } from '../ipvs/types.js';
import { HealthBook } from '../health/book.js';
import { AgentWeights } from '../health/agent-weights.js';
import { agentChecker } from '../checks/agent.js';
import { Maintenance } from '../health/maintenance.js';
import { Scheduler, checkTimeoutSec } from '../health/scheduler.js';
import { bindingId, bindingsOf, type Binding } from '../health/targets.js';
import { desiredTable, destKey, kernelPort, serviceKeyOf, type WeightStage } from '../table/desired.js';
import { addDraining, drainsFor, type Draining } from '../table/drain.js';
import type { Forget } from '../table/plan.js';
import { Reconciler, type DesiredState } from '../table/reconciler.js';
import { planReload, type ReloadPlan } from '../table/reload-plan.js';
import { Overrides } from '../table/override.js';
import { SyncReconciler, desiredDaemons } from '../table/sync.js';
import { SlowStart } from '../table/slow-start.js';
import { DaemonBus, type DaemonEvents, type DaemonState, type Health, type Role } from '../events/index.js';
import type { BgpStatus } from '../announce/announcer.js';

export interface DaemonOptions {
  config: Config;
  driver: IpvsDriver;
  checkerFor: (t: CheckTarget) => Checker;
  /** drop a checker's per-check state when a check leaves the config. */
  forgetTarget?: (key: string) => void;
  bus?: DaemonBus;
  /** re-read the kernel and repair drift this often (ms); default 10 s. */
  repairIntervalMs?: number;
  /** first-start jitter cap (ms) for check timers. */
  maxJitterMs?: number;
  /** a reason to refuse the config file before reading it on reload (strict modes). */
  checkConfig?: (file: string) => string | undefined;
  /** load what a config's checks need before they first run (the lazy checkers' modules). */
  loadCheckers?: (targets: CheckTarget[]) => Promise<void>;
}

/** Health of a binding a reload brings in (new, or its check changed): unknown until checked. */
const FRESH = (): Health => 'unknown';

/**
 * What a reload to a new config adds to the daemon's state, computed before anything is changed:
 * the reload installs it, `lvsd plan` only plans with it.
 */
interface ReloadStep {
  /** each binding's health once installed (kept where the real and its check stay). */
  health: (b: Binding) => Health;
  /** services the new config drops. */
  forget: Forget[];
  /** reals it drops from services that stay. */
  draining: Draining[];
}

export class Daemon {
  readonly bus: DaemonBus;
  config: Config;
  state: DaemonState = 'starting';
  /** this director's part in a pair, as its failover engine last said (`lvsd role`). */
  role: Role = 'unknown';
  readonly book: HealthBook;
  readonly scheduler: Scheduler;
  readonly reconciler: Reconciler;
  /** the IPVS connection sync daemons (managed with syncinterface=, else only read). */
  readonly sync: SyncReconciler;
  private forget: DesiredState['forget'] = [];
  private draining: Draining[] = [];
  private drainTimer?: NodeJS.Timeout;
  private firstRound = new Set<string>();
  /** the next fresh read of the kernel table is the first: adopt what it holds. */
  private adopting = false;
  private firstRoundDone?: () => void;
  private stopping = false;
  private maint?: { dir: string | undefined; names: Maintenance };
  private reloads: Promise<unknown> = Promise.resolve();
  /** announcing through BIRD, for status views (attached by the daemon process: announce/announcer.ts). */
  announce?: { status(): BgpStatus };
  /** pool policies that shape an up real's weight, in order (see WeightStage). */
  readonly weightStages: WeightStage[] = [];
  /** slowstart=: the weight ramps of reals back from down (a weight stage; status reads it). */
  readonly slowStart = new SlowStart();
  private rampTimer?: NodeJS.Timeout;
  /** what the reals' agents last said (agentport=, agentoutput=). */
  readonly agents: AgentWeights;
  /** the agent probes: timers of their own, beside the checks. */
  private readonly agentScheduler: Scheduler;
  /** the operator's overrides (`lvsd disable|drain|weight`; commands and state file: ./override.ts). */
  readonly overrides = new Overrides();
  /** a real's health for the table: what its checks say, unless the operator disabled it. */
  readonly health = (b: Binding): Health => this.overrides.health(b, this.book.health(b));

  constructor(private readonly opts: DaemonOptions) {
    this.config = opts.config;
    this.bus = opts.bus ?? new DaemonBus();
    this.book = new HealthBook(this.bus);
    this.scheduler = new Scheduler({
      checkerFor: opts.checkerFor,
      onResult: (key, result, latencyMs) => this.onResult(key, result, latencyMs),
      preCheck: (t) => this.maintenance(t) ?? this.agents.holdBeforeCheck(t.key),
      maxJitterMs: opts.maxJitterMs,
      onForget: opts.forgetTarget,
    });
    this.agents = new AgentWeights(this.bus);
    this.weightStages.push(this.agents.stage);
    this.agentScheduler = new Scheduler({
      checkerFor: () => agentChecker,
      onResult: (key, result) => this.onAgent(key, result),
      maxJitterMs: opts.maxJitterMs,
    });
    this.reconciler = new Reconciler(opts.driver, this.bus, () => this.desired(), {
      repairIntervalMs: opts.repairIntervalMs ?? 10_000,
      onRead: (kernel) => this.adopt(kernel),
    });
    this.sync = new SyncReconciler(opts.driver.sync, this.bus, () => desiredDaemons(this.config.global, this.role), {
      repairIntervalMs: opts.repairIntervalMs ?? 10_000,
    });
    // an operator's weight comes before the ramp, which then ramps up to what is left of it
    this.weightStages.push(this.overrides.stage, this.slowStart.stage);
    this.bus.on('transition', (e) => this.ramp(e));
  }

  /**
   * Start every check, adopt the kernel's table, and resolve once the first round of checks has
   * been applied to the kernel (what READY=1 means).
   */
  async start(): Promise<void> {
    this.setState('starting');
    const config = this.config;
    const bindings = bindingsOf(config);
    await this.loadCheckers(bindings);
    if (this.stopping) return;
    // A reload that finished while the checkers loaded has put its own config in force.
    const bound = this.config === config ? bindings : bindingsOf(this.config);
    // Every real starts unknown (the kernel keeps whatever it has for it) and its checks start
    // at once: a slow or failing first read of the kernel table holds up neither the checks nor
    // what they find, which the reconciler applies as it comes once it has read the table
    // (retrying with back-off, reported as an IPVS error). The first read adopts (adopt()).
    this.book.setBindings(bound, () => 'unknown');
    this.agents.bind(bound);
    this.adopting = true;
    const round = this.waitFirstRound();
    this.syncScheduler();
    await this.reconciler.now('start');
    // the sync daemon needs no check round: a backup listens from the start (after the first
    // table read, so start-up's kernel reads come first)
    this.sync.request();
    await round;
    // stopped while starting (SIGTERM before READY): stop() owns the table now
    if (this.stopping) return;
    await this.reconciler.now('start');
    if (this.stopping) return;
    this.reconciler.startRepair();
    this.sync.startRepair();
    this.setState('running');
  }

  /**
   * The first read of the kernel table: a real it has with weight > 0 and no check has spoken
   * for yet is adopted as up, neither removed nor re-added; it stays unconfirmed until its first
   * check, and goes down at the first failed one (it may have died while no lvsd ran).
   */
  private adopt(kernel: Table): void {
    if (!this.adopting) return;
    this.adopting = false;
    const present = kernelWeights(kernel);
    for (const b of this.book.all()) if (adoptable(b, present)) this.book.adopt(b);
  }

  /**
   * Apply a new config; on a parse error the running one stays in force. `trigger`: a signal
   * (HUP, `reload`) or autoreload of a changed file, which ldirectord does not log as a signal.
   * Reloads run one at a time, in order: two overlapping ones (an editor's save and a HUP) could
   * otherwise finish out of order and leave the older file in force.
   */
  reload(trigger: 'signal' | 'file' = 'signal'): Promise<boolean> {
    const run = this.reloads.then(() => this.reloadNow(trigger));
    this.reloads = run.catch(() => false);
    return run;
  }

  private async reloadNow(trigger: 'signal' | 'file'): Promise<boolean> {
    if (this.stopping) return false;
    if (trigger === 'signal') this.bus.emit('log', { level: 'info', message: 'Reloading Linux Director Daemon config on signal' });
    let next: Config;
    let bindings: Binding[];
    try {
      ({ next, bindings } = await this.readConfig(this.config.file));
      // a stop that began while the file was read wins: no checks may start again
      if (this.stopping) return false;
    } catch (e) {
      const error = (e as Error).message;
      this.bus.emit('log', { level: 'error', message: `Reload failed, keeping the running configuration: ${error}` });
      this.bus.emit('reload', { ok: false, file: this.config.file, error, at: Date.now() });
      return false;
    }
    this.setState('reloading');
    const step = this.reloadStep(next, bindings, performance.now());
    this.forget.push(...step.forget);
    this.config = next;
    this.book.setBindings(bindings, FRESH);
    this.slowStart.retain(bindings);
    this.armRampTimer();
    this.agents.bind(bindings);
    this.draining.push(...step.draining);
    this.armDrainTimer();
    this.syncScheduler();
    await this.reconciler.now('start');
    await this.sync.now();
    this.setState('running');
    this.bus.emit('reload', { ok: true, file: next.file, at: Date.now() });
    return true;
  }

  /**
   * What a reload to `file` would change in the kernel, changing nothing: the file is read as a
   * reload reads it (same errors), and the plan is the reconciler's own against the table its
   * next batch would see, with the desired state the reload would install. Waits for reloads
   * already asked for, so it plans from where they leave things.
   */
  async plan(file: string): Promise<ReloadPlan> {
    await this.reloads;
    if (this.state !== 'running') throw new Error(`the daemon is ${this.state}: no plan until it runs`);
    const { next, bindings } = await this.readConfig(file);
    const kernel = await this.reconciler.nextBase();
    const now = performance.now();
    const step = this.reloadStep(next, bindings, now);
    const draining = [...this.live(now), ...step.draining];
    const forget = [...this.forget, ...step.forget];
    const atReload = this.desiredOf(next, bindings, step.health, draining, forget);
    const settled = this.desiredOf(next, bindings, (b) => (step.health(b) === 'unknown' ? 'up' : step.health(b)), [], forget);
    return planReload(kernel, atReload, settled, draining, now);
  }

  /** Stop checking; with cleanstop (default) remove the managed virtual services. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.setState('stopping');
    this.scheduler.stop();
    this.agentScheduler.stop();
    this.firstRoundDone?.(); // a start() still waiting for its first round gives up
    clearTimeout(this.drainTimer);
    clearTimeout(this.rampTimer);
    // "(stop)" even when a batch that began before the stop is the one that deletes them.
    this.forget = this.config.virtuals
      .filter((v) => effective(this.config, v).cleanstop)
      .map((v) => ({ key: serviceKeyOf(v), label: virtualLabel(v), context: 'stop' as const }));
    this.reconciler.stop();
    await this.reconciler.now('stop');
    // cleanstop (the default): the sync daemons lvsd manages stop with it; cleanstop=no leaves them
    await this.sync.stop(this.config.global.cleanstop !== false);
    await this.opts.driver.close?.();
  }

  /**
   * Take the role the failover engine gives (or the state file kept across a restart). Both
   * roles check and keep the whole table: the role only switches the sync daemon and what is
   * reported. True when it changed.
   */
  setRole(to: Role, source: 'command' | 'restored'): boolean {
    const from = this.role;
    if (to === from) return false;
    this.role = to;
    this.bus.emit('role', { from, to, at: Date.now(), source });
    this.sync.request();
    return true;
  }

  /** Every binding with its state, for status views. */
  snapshot() {
    return this.book.all().map((b) => ({ binding: b, state: this.book.state(b) }));
  }

  private setState(state: DaemonState): void {
    this.state = state;
    this.bus.emit('state', { state, config: this.config });
  }

  /** Read a config as a reload does: strict modes, the parser, the checks it needs. Throws on error. */
  private async readConfig(file: string): Promise<{ next: Config; bindings: Binding[] }> {
    const refused = this.opts.checkConfig?.(file);
    if (refused) throw new Error(refused);
    const next = await loadConfig(file);
    const bindings = bindingsOf(next);
    await this.loadCheckers(bindings);
    return { next, bindings };
  }

  /** What a reload to `next` at `now` (monotonic ms) adds, from the state now; nothing is changed. */
  private reloadStep(next: Config, bindings: Binding[], now: number): ReloadStep {
    const nextKeys = new Set(next.virtuals.map((v) => serviceKeyString(serviceKeyOf(v))));
    const forget: Forget[] = [];
    for (const v of this.config.virtuals) {
      const key = serviceKeyOf(v);
      if (!nextKeys.has(serviceKeyString(key))) forget.push({ key, label: virtualLabel(v), context: 'start' });
    }
    // drained: what the table has now and the new config, every real up, no longer has
    const draining = drainsFor(this.desired().services, desiredTable(next, bindings, () => 'up'), next, now);
    // as desired() sees it: an operator's disable holds across the reload
    const after = this.book.healthAfter(bindings, FRESH);
    return { health: (b) => this.overrides.health(b, after(b)), forget, draining };
  }

  private async loadCheckers(bindings: readonly Binding[]): Promise<void> {
    await this.opts.loadCheckers?.(bindings.map((b) => b.target));
  }

  private syncScheduler(): void {
    const checks = new Map<string, { target: CheckTarget; intervalMs: number }>();
    for (const b of this.book.all()) {
      const ms = b.checkinterval * 1000;
      const have = checks.get(b.target.key);
      // A check shared by virtuals with different intervals runs at the shortest one.
      if (!have || ms < have.intervalMs) checks.set(b.target.key, { target: b.target, intervalMs: ms });
    }
    this.scheduler.sync([...checks.values()]);
    const agents = new Map<string, { target: CheckTarget; intervalMs: number }>();
    for (const b of this.book.all()) if (b.agent) agents.set(b.agent.target.key, { target: b.agent.target, intervalMs: b.agent.interval * 1000 });
    this.agentScheduler.sync([...agents.values()]);
  }

  private waitFirstRound(): Promise<void> {
    this.firstRound = new Set(this.book.all().filter((b) => b.target.checktype !== 'off').map((b) => b.target.key));
    if (this.firstRound.size === 0) return Promise.resolve();
    // Bounded: even a check that never reports cannot hold start-up past its own deadline.
    const limit = Math.max(...this.book.all().map((b) => checkTimeoutSec(b.target))) * 1000 + 2000 + (this.opts.maxJitterMs ?? 1000);
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, limit);
      this.firstRoundDone = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private onResult(key: string, result: Parameters<HealthBook['record']>[1], latencyMs: number): void {
    if (this.agents.sourceOfCheck(key) === key) result = this.agentOutput(key, result);
    this.bus.emit('check', { key, result, latencyMs, at: Date.now() });
    if (this.book.record(key, result, latencyMs)) this.reconciler.request();
    if (this.firstRound.delete(key) && this.firstRound.size === 0) this.firstRoundDone?.();
  }

  /**
   * agentoutput=yes: the external check's first output line is its agent's word, judged before
   * the result itself, so a check that passes while its agent says down keeps the real down.
   */
  private agentOutput(key: string, result: Parameters<HealthBook['record']>[1]): Parameters<HealthBook['record']>[1] {
    const change = this.agents.record(key, result.output !== undefined ? { ok: true, message: result.output } : { ok: false, message: 'the check printed nothing' });
    if (change.weight) this.reconciler.request();
    const hold = this.agents.holdFor(key);
    return hold && result.ok ? { ok: false, message: hold, forced: true } : result;
  }

  /** An agent probe's result: a new hold takes the real down at once; a new weight re-plans. */
  private onAgent(source: string, result: CheckResult): void {
    const change = this.agents.record(source, result);
    let changed = change.weight;
    if (change.hold) {
      for (const key of this.agents.checksOf(source)) {
        const hold = this.agents.holdFor(key);
        // a hold that ended lets the real's next passing check bring it back
        if (hold && this.book.record(key, { ok: false, message: hold, forced: true }, 0)) changed = true;
      }
    }
    if (changed) this.reconciler.request();
  }

  private desired(): DesiredState {
    if (this.stopping) return { services: [], forget: this.forget };
    return this.desiredOf(this.config, this.book.all(), this.health, this.live(performance.now()), this.forget);
  }

  /** The desired state for a config, its bindings' health, the drains in force and the services to forget. */
  private desiredOf(config: Config, bindings: readonly Binding[], health: (b: Binding) => Health, draining: readonly Draining[], forget: Forget[]): DesiredState {
    const services = desiredTable(config, bindings, health, this.weightStages);
    addDraining(services, draining);
    return { services, forget };
  }

  /** The drains not ended yet. */
  private live(now: number): Draining[] {
    return this.draining.filter((d) => d.until > now);
  }

  private armDrainTimer(): void {
    clearTimeout(this.drainTimer);
    if (this.draining.length === 0) return;
    const next = Math.min(...this.draining.map((d) => d.until));
    this.drainTimer = setTimeout(() => {
      this.reconciler.request();
      this.armDrainTimer();
    }, Math.max(0, next - performance.now()) + 10);
    this.drainTimer.unref();
    this.draining = this.draining.filter((d) => d.until > performance.now() - 1);
  }

  /** Down → up starts a slow-start ramp (start-up and adoption are not returns); down ends it. */
  private ramp(e: DaemonEvents['transition'][0]): void {
    const id = bindingId(e.virtual, e.real);
    if (e.from === 'down' && e.to === 'up') this.slowStart.begin(id, effective(this.config, e.virtual).slowstart);
    else this.slowStart.end(id);
    this.armRampTimer();
  }

  /** Re-plan at each ramp's next step (the transition itself already asks for one). */
  private armRampTimer(): void {
    clearTimeout(this.rampTimer);
    const ms = this.slowStart.nextStepMs();
    if (ms === undefined || this.stopping) return;
    this.rampTimer = setTimeout(() => {
      this.reconciler.request();
      this.armRampTimer();
    }, ms + 10);
    this.rampTimer.unref();
  }

  private maintenance(t: CheckTarget): string | undefined {
    const dir = this.config.global.maintenancedir;
    if (!this.maint || this.maint.dir !== dir) this.maint = { dir, names: new Maintenance(dir) };
    return this.maint.names.reason(t.host, t.rport, t.family);
  }
}

function kernelWeights(kernel: Table): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of kernel.services) for (const d of s.dests) m.set(`${serviceKeyString(s.key)}/${destKey(d.address, d.port)}`, d.weight);
  return m;
}

function adoptable(b: Binding, present: Map<string, number>): boolean {
  const port = kernelPort(b.virtual, b.real.forward, b.real.port);
  const w = present.get(`${serviceKeyString(serviceKeyOf(b.virtual))}/${destKey(b.real.address, port)}`);
  return w !== undefined && w > 0;
}

export type { Health };
