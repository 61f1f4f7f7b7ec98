// Builds the status document from the running daemon: the config, the health book, the kernel
// table the reconciler last read or applied, and what the bus said recently (transitions,
// last failure per check, last reload, last IPVS error). Read-only: it never asks for a check
// or a kernel read, so any number of status requests cost the pipeline nothing.
import type { Config, VirtualService } from '../config/model.js';
import { effective, hostPort, virtualId, virtualLabel } from '../config/effective.js';
import type { DaemonEvents } from '../events/index.js';
import type { Table } from '../ipvs/types.js';
import { serviceKeyString } from '../ipvs/types.js';
import { destKey, kernelPort, serviceKeyOf } from '../table/desired.js';
import { version } from '../version.js';
import { certStatus } from './cert.js';
import { redactor, type Redact } from './redact.js';
import type { DaemonView } from './daemon-view.js';
import type { Binding } from '../health/targets.js';
import type { RealStatus, StatusSnapshot, TransitionRecord, VirtualStatus } from './types.js';

export interface CollectorOptions {
  /** how many transitions to keep (newest first). */
  transitions?: number;
}

/** A performance.now() instant as wall-clock time. */
function wall(perfMs: number): Date {
  return new Date(Date.now() - (performance.now() - perfMs));
}

export class StatusCollector {
  readonly startedAt = new Date();
  /** set by the HTTP listener once bound. */
  http: { url: string } | null = null;
  private readonly limit: number;
  private transitions: TransitionRecord[] = [];
  private lastFailure = new Map<string, { message: string; at: string }>();
  private lastReload: StatusSnapshot['lastReload'] = null;
  private lastIpvsError: StatusSnapshot['ipvs']['lastError'] = null;
  private lastKernel?: Table;
  private redactFor?: { config: Config; redact: Redact };
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly daemon: DaemonView,
    opts: CollectorOptions = {},
  ) {
    this.limit = opts.transitions ?? 50;
    const on = <K extends keyof DaemonEvents>(name: K, fn: (...a: DaemonEvents[K]) => void) => {
      daemon.bus.on(name, fn as never);
      this.offs.push(() => daemon.bus.off(name, fn as never));
    };
    on('transition', (e) => {
      this.transitions.unshift({
        at: new Date(e.at).toISOString(),
        virtual: virtualLabel(e.virtual),
        real: hostPort(e.real.address, e.real.port),
        from: e.from,
        to: e.to,
        message: this.redact(e.message),
      });
      if (this.transitions.length > this.limit) this.transitions.length = this.limit;
    });
    on('check', (e) => {
      if (!e.result.ok) this.lastFailure.set(e.key, { message: this.redact(e.result.message), at: new Date(e.at).toISOString() });
    });
    on('reload', (e) => {
      this.lastReload = { ok: e.ok, at: new Date(e.at).toISOString(), ...(e.error !== undefined ? { error: this.redact(e.error) } : {}) };
      // checks that left the config take their last failure with them
      const keys = new Set(daemon.book.keys());
      for (const k of this.lastFailure.keys()) if (!keys.has(k)) this.lastFailure.delete(k);
    });
    on('ipvs-error', (e) => {
      this.lastIpvsError = { message: this.redact(e.error), at: new Date().toISOString() };
    });
  }

  detach(): void {
    this.offs.splice(0).forEach((off) => off());
  }

  /** The redactor for the config in force (rebuilt after a reload). */
  redact: Redact = (text) => {
    const config = this.daemon.config;
    if (this.redactFor?.config !== config) this.redactFor = { config, redact: redactor(config) };
    return this.redactFor.redact(text);
  };

  /** `{ agent }` for a real an agent speaks for, its texts masked; else nothing. */
  private agentOf(b: Binding | undefined): Pick<RealStatus, 'agent'> {
    const a = b && this.daemon.agents?.view(b);
    if (!a) return {};
    const error = a.error && { ...a.error, message: this.redact(a.error.message) };
    return { agent: { ...a, reply: a.reply === null ? null : this.redact(a.reply), error } };
  }

  snapshot(): StatusSnapshot {
    const d = this.daemon;
    const known = d.reconciler.known;
    if (known) this.lastKernel = known;
    const kernel = kernelIndex(this.lastKernel);
    const states = d.snapshot();
    const now = performance.now();
    const virtuals: VirtualStatus[] = d.config.virtuals.map((v) => {
      const inKernel = kernel.get(serviceKeyString(serviceKeyOf(v)));
      const claimed = new Set<string>();
      const bound = new Map(states.filter((s) => s.binding.virtual === v).map((s) => [hostPort(s.binding.real.address, s.binding.real.port), s]));
      const reals: RealStatus[] = [];
      // config order; before the first start-up step has bound them, reals show as unknown
      for (const real of v.reals) {
        const k = destKey(real.address, kernelPort(v, real.forward, real.port));
        if (claimed.has(k)) continue; // listed twice: one IPVS destination
        claimed.add(k);
        const b = bound.get(hostPort(real.address, real.port));
        const s = b?.state ?? { health: 'unknown' as const, failures: 0, since: now };
        reals.push({
          address: real.address,
          port: real.port,
          forward: real.forward,
          weight: real.weight,
          kernelWeight: inKernel?.get(k) ?? null,
          health: s.health,
          failures: s.failures,
          failurecount: b?.binding.failurecount ?? effective(d.config, v).failurecount,
          successes: s.health === 'down' ? (s.successes ?? 0) : 0,
          rise: b?.binding.rise ?? effective(d.config, v).rise,
          slowstart: (b && s.health === 'up' ? d.slowStart?.ramp(b.binding) : undefined) ?? null,
          since: wall(s.since).toISOString(),
          inStateSeconds: Math.max(0, Math.round((now - s.since) / 100) / 10),
          lastCheckAt: s.lastCheckAt !== undefined ? wall(s.lastCheckAt).toISOString() : null,
          lastLatencyMs: s.lastLatencyMs !== undefined ? Math.round(s.lastLatencyMs * 10) / 10 : null,
          lastMessage: s.lastMessage !== undefined ? this.redact(s.lastMessage) : null,
          lastFailure: b ? (this.lastFailure.get(b.binding.target.key) ?? null) : null,
          cert: s.cert ? certStatus(s.cert, effective(d.config, v).certwarndays) : null,
          ...this.agentOf(b?.binding),
          override: overrideOf(d, b?.binding),
        });
      }
      const fallback = fallbackOf(d.config, v, inKernel);
      if (fallback) claimed.add(destKey(fallback.address, fallback.port));
      const others = [...(inKernel ?? [])]
        .filter(([k]) => !claimed.has(k))
        .map(([k, weight]) => {
          const [address = '', port = '0'] = k.split('|');
          return { address, port: Number(port), weight };
        });
      const eff = effective(d.config, v);
      return {
        id: virtualId(v),
        label: virtualLabel(v),
        protocol: v.protocol,
        family: v.family,
        scheduler: v.scheduler,
        service: v.service,
        checktype: v.checktype === 'combined' ? `${v.negotiateEvery ?? 0}` : v.checktype,
        checkinterval: eff.checkinterval,
        quiescent: eff.quiescent,
        inKernel: inKernel !== undefined,
        reals,
        fallback,
        others,
        counts: {
          up: reals.filter((r) => r.health === 'up').length,
          down: reals.filter((r) => r.health === 'down').length,
          unknown: reals.filter((r) => r.health === 'unknown').length,
        },
      };
    });
    return {
      lvsd: {
        version: version(),
        pid: process.pid,
        state: d.state,
        config: d.config.file,
        startedAt: this.startedAt.toISOString(),
        generatedAt: new Date().toISOString(),
      },
      ipvs: { kernelKnown: this.lastKernel !== undefined, failing: d.reconciler.failing, lastError: this.lastIpvsError },
      role: d.role,
      sync: {
        managed: d.sync.managed,
        daemons: d.sync.known ? d.sync.known.map((x) => ({ ...x })) : null,
        desired: d.sync.desired ? d.sync.desired.map((x) => ({ ...x })) : null,
        lastError: d.sync.lastError ? { message: this.redact(d.sync.lastError.message), at: new Date(d.sync.lastError.at).toISOString() } : null,
      },
      lastReload: this.lastReload,
      bgp: this.bgp(),
      http: this.http,
      virtuals,
      transitions: [...this.transitions],
    };
  }

  private bgp(): StatusSnapshot['bgp'] {
    const b = this.daemon.announce?.status();
    if (!b || b.socket === null) return null; // bird= never set: nothing to say
    return { ...b, lastError: b.lastError ? { ...b.lastError, message: this.redact(b.lastError.message) } : null };
  }
}

function overrideOf(d: DaemonView, b: Binding | undefined): RealStatus['override'] {
  const o = b && d.overrides?.of(b);
  return o ? { action: o.action, ...(o.action === 'weight' ? { weight: o.weight } : {}), since: new Date(o.at).toISOString() } : null;
}

/** service key → (destKey → weight). */
function kernelIndex(table: Table | undefined): Map<string, Map<string, number>> {
  const m = new Map<string, Map<string, number>>();
  for (const s of table?.services ?? []) m.set(serviceKeyString(s.key), new Map(s.dests.map((d) => [destKey(d.address, d.port), d.weight])));
  return m;
}

function fallbackOf(cfg: Config, v: VirtualService, inKernel: Map<string, number> | undefined): VirtualStatus['fallback'] {
  const fb = effective(cfg, v).fallback;
  if (!fb) return null;
  const port = kernelPort(v, fb.forward, fb.port ?? v.port);
  const w = inKernel?.get(destKey(fb.address, port));
  return { address: fb.address, port, forward: fb.forward, active: w !== undefined, kernelWeight: w ?? null };
}
