// Prometheus metrics (prom-client, one registry per daemon). Event counters and histograms are
// fed by the bus; per-real gauges are refreshed from the status snapshot at scrape time, so
// /metrics, /status.json and `lvsd status` always tell the same story.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { hostPort, virtualId } from '../config/effective.js';
import { ROLES, type DaemonEvents, type DaemonState } from '../events/index.js';
import { version } from '../version.js';
import type { DaemonView } from './daemon-view.js';
import type { StatusCollector } from './snapshot.js';

const STATES: DaemonState[] = ['starting', 'running', 'reloading', 'stopping'];
const HEALTH = ['up', 'down', 'unknown'] as const;
const CHECK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const APPLY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsSources {
  /** e-mail alerts waiting to be sent. */
  alertQueue?: () => number;
}

export class StatusMetrics {
  readonly registry = new Registry();
  private readonly offs: (() => void)[] = [];
  private collector?: StatusCollector;

  private readonly m = {
    build: this.gauge('lvsd_build_info', 'lvsd version (always 1)', ['version']),
    state: this.gauge('lvsd_daemon_state', 'daemon state: 1 for the current one', ['state']),
    syncDaemon: this.gauge('lvsd_sync_daemon', 'IPVS connection sync daemons running in the kernel (1 each)', ['state', 'ifname', 'syncid']),
    syncManaged: this.gauge('lvsd_sync_daemon_managed', '1 when lvsd manages the sync daemons (syncinterface=), 0 when it only shows them', []),
    bgpAnnounced: this.gauge('lvsd_bgp_announced', '1 while this virtual address is announced through BIRD, 0 while withdrawn or waiting out the hold-down', ['address']),
    bgpFailing: this.gauge('lvsd_bgp_bird_failing', '1 while BIRD has not taken the announced routes (see the log)', []),
    syncFailing: this.gauge('lvsd_sync_daemon_failing', '1 while the sync daemons lvsd wants are not all running (see the log)', []),
    role: this.gauge('lvsd_role', "this director's role in a pair: 1 for the current one (master, backup, fault, unknown)", ['role']),
    up: this.gauge('lvsd_real_up', '1 when the real server passes its checks, else 0', ['virtual', 'real']),
    health: this.gauge('lvsd_real_health', 'health of a real server: 1 for the current state (up, down, unknown)', ['virtual', 'real', 'state']),
    weight: this.gauge('lvsd_real_weight', 'weight of the real server in the kernel IPVS table (absent when not in it)', ['virtual', 'real']),
    failures: this.gauge('lvsd_real_failures', 'consecutive failed checks counted while up', ['virtual', 'real']),
    successes: this.gauge('lvsd_real_rise_successes', 'consecutive passing checks counted while down, toward rise=', ['virtual', 'real']),
    ramp: this.gauge('lvsd_real_slowstart_weight', 'weight a slow-start ramp allows now (present only during a ramp)', ['virtual', 'real']),
    rampLeft: this.gauge('lvsd_real_slowstart_seconds_left', 'seconds left of a slow-start ramp (present only during a ramp)', ['virtual', 'real']),
    since: this.gauge('lvsd_real_state_since_timestamp_seconds', 'when the real server entered its current health', ['virtual', 'real']),
    latency: this.gauge('lvsd_real_check_latency_seconds', 'duration of the last check of the real server', ['virtual', 'real']),
    certExpiry: this.gauge('lvsd_real_cert_expiry_timestamp_seconds', "notAfter of the TLS certificate the real server's last TLS check was shown", ['virtual', 'real']),
    certLeft: this.gauge('lvsd_real_cert_expiry_seconds', 'seconds until that certificate expires (negative once expired)', ['virtual', 'real']),
    agentWeight: this.gauge('lvsd_real_agent_weight', "the weight the real's agent asks for (0 for drain, down, maint)", ['virtual', 'real', 'state']),
    agentFailing: this.gauge('lvsd_real_agent_failing', "1 while the real's agent gives no usable reply (its last word stands)", ['virtual', 'real']),
    override: this.gauge('lvsd_real_override', 'an operator override on the real server (lvsd disable|drain|weight): 1 for its action', ['virtual', 'real', 'action']),
    fallback: this.gauge('lvsd_fallback_active', '1 when the fallback server is in the kernel table', ['virtual']),
    checkDuration: new Histogram({
      name: 'lvsd_check_duration_seconds',
      help: 'duration of health checks per virtual service',
      labelNames: ['virtual'],
      buckets: CHECK_BUCKETS,
      registers: [this.registry],
    }),
    checks: this.counter('lvsd_checks_total', 'health checks finished, by result (ok, failed)', ['virtual', 'result']),
    transitions: this.counter('lvsd_transitions_total', 'real server health changes, by new state', ['virtual', 'real', 'to']),
    applyDuration: new Histogram({
      name: 'lvsd_ipvs_apply_duration_seconds',
      help: 'time to apply one batch of IPVS changes',
      buckets: APPLY_BUCKETS,
      registers: [this.registry],
    }),
    changes: this.counter('lvsd_ipvs_changes_total', 'IPVS changes applied, by kind (ldirectord log vocabulary)', ['kind']),
    ipvsErrors: this.counter('lvsd_ipvs_errors_total', 'failed IPVS reads or change batches', []),
    failing: this.gauge('lvsd_ipvs_failing', '1 while the last IPVS apply failed and a retry is pending', []),
    reloads: this.counter('lvsd_config_reloads_total', 'configuration reloads, by result (success, failure)', ['result']),
    reloadOk: this.gauge('lvsd_config_last_reload_successful', '1 when the last reload succeeded (or none happened)', []),
    reloadAt: this.gauge('lvsd_config_last_reload_timestamp_seconds', 'when the last reload was attempted', []),
  };

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.m.build.set({ version: version() }, 1);
    this.m.reloadOk.set(1);
    for (const r of ['success', 'failure']) this.m.reloads.inc({ result: r }, 0);
    this.m.ipvsErrors.inc(0);
  }

  /** Starts timing one IPVS apply; the returned function ends it (see ipvs/timed.ts). */
  readonly applyTimer = (): (() => void) => {
    const end = this.m.applyDuration.startTimer();
    return () => void end();
  };

  attach(daemon: DaemonView, collector: StatusCollector, sources: MetricsSources = {}): void {
    this.collector = collector;
    const on = <K extends keyof DaemonEvents>(name: K, fn: (...a: DaemonEvents[K]) => void) => {
      daemon.bus.on(name, fn as never);
      this.offs.push(() => daemon.bus.off(name, fn as never));
    };
    on('check', (e) => {
      const seen = new Set<string>();
      for (const b of daemon.book.bindingsFor(e.key)) {
        const virtual = virtualId(b.virtual);
        if (seen.has(virtual)) continue;
        seen.add(virtual);
        this.m.checkDuration.observe({ virtual }, e.latencyMs / 1000);
        this.m.checks.inc({ virtual, result: e.result.ok ? 'ok' : 'failed' });
      }
    });
    on('transition', (e) =>
      this.m.transitions.inc({ virtual: virtualId(e.virtual), real: hostPort(e.real.address, e.real.port), to: e.to }),
    );
    on('ipvs', (e) => this.m.changes.inc({ kind: e.kind }));
    on('ipvs-error', () => this.m.ipvsErrors.inc());
    on('reload', (e) => {
      this.m.reloads.inc({ result: e.ok ? 'success' : 'failure' });
      this.m.reloadOk.set(e.ok ? 1 : 0);
      this.m.reloadAt.set(e.at / 1000);
    });
    if (sources.alertQueue) {
      const read = sources.alertQueue;
      new Gauge({
        name: 'lvsd_alert_queue_length',
        help: 'e-mail alerts waiting to be sent',
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    }
  }

  detach(): void {
    this.offs.splice(0).forEach((off) => off());
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text, with the per-real gauges set from a fresh snapshot. */
  async render(): Promise<string> {
    const snap = this.collector?.snapshot();
    if (snap) {
      const m = this.m;
      for (const g of [m.state, m.syncDaemon, m.bgpAnnounced, m.up, m.health, m.weight, m.failures, m.successes, m.ramp, m.rampLeft, m.since, m.latency, m.certExpiry, m.certLeft, m.fallback, m.agentWeight, m.agentFailing, m.override]) g.reset();
      for (const s of STATES) m.state.set({ state: s }, s === snap.lvsd.state ? 1 : 0);
      for (const r of ROLES) m.role.set({ role: r }, r === snap.role ? 1 : 0);
      for (const d of snap.sync.daemons ?? []) m.syncDaemon.set({ state: d.state, ifname: d.ifname, syncid: String(d.syncid) }, 1);
      m.syncManaged.set(snap.sync.managed ? 1 : 0);
      m.syncFailing.set(snap.sync.lastError ? 1 : 0);
      for (const r of snap.bgp?.routes ?? []) m.bgpAnnounced.set({ address: r.address }, r.announced ? 1 : 0);
      m.bgpFailing.set(snap.bgp?.birdOk === false ? 1 : 0);
      m.failing.set(snap.ipvs.failing ? 1 : 0);
      for (const v of snap.virtuals) {
        for (const r of v.reals) {
          const l = { virtual: v.id, real: hostPort(r.address, r.port) };
          m.up.set(l, r.health === 'up' ? 1 : 0);
          for (const h of HEALTH) m.health.set({ ...l, state: h }, r.health === h ? 1 : 0);
          if (r.kernelWeight !== null) m.weight.set(l, r.kernelWeight);
          m.failures.set(l, r.failures);
          m.successes.set(l, r.successes);
          if (r.slowstart) {
            m.ramp.set(l, r.slowstart.weight);
            m.rampLeft.set(l, r.slowstart.secondsLeft);
          }
          m.since.set(l, Date.parse(r.since) / 1000);
          if (r.lastLatencyMs !== null) m.latency.set(l, r.lastLatencyMs / 1000);
          if (r.cert) {
            const notAfter = Date.parse(r.cert.notAfter) / 1000;
            m.certExpiry.set(l, notAfter);
            m.certLeft.set(l, Math.round(notAfter - Date.now() / 1000));
          }
          if (r.agent) {
            m.agentWeight.set({ ...l, state: r.agent.state }, r.agent.weight);
            m.agentFailing.set(l, r.agent.error ? 1 : 0);
          }
          if (r.override) m.override.set({ ...l, action: r.override.action }, 1);
        }
        if (v.fallback) m.fallback.set({ virtual: v.id }, v.fallback.active ? 1 : 0);
      }
    }
    return this.registry.metrics();
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}
