// Status for the running daemon: the collector and metrics subscribe to its bus, the control
// socket always listens, and the HTTP listener follows --status-http or statushttp= (rebound
// when a reload changes it). A listener that cannot start is logged, never fatal: the
// director's job is to keep the kernel table right, not to be watched.
import { hostPort } from '../config/effective.js';
import { ControlServer } from './control.js';
import type { DaemonView } from './daemon-view.js';
import { StatusHttp } from './http.js';
import { StatusMetrics, type MetricsSources } from './metrics.js';
import { StatusCollector } from './snapshot.js';

export { defaultControlSocket } from './control.js';

export interface StatusOptions {
  controlSocket: string;
  /** --status-http: wins over the config's statushttp=. */
  statusHttp?: { host: string; port: number };
  /** the control socket's `role [WORD]` (the daemon process owns it). */
  role?: (word?: string) => string;
  /** `plan FILE` on the control socket: the daemon's PlanAnswer as one JSON line. */
  plan?: (file: string) => Promise<string>;
  /** the control socket's override commands (`disable|drain|enable|weight ...`). */
  override?: (words: string[]) => string;
}

export class StatusService {
  readonly metrics = new StatusMetrics();
  collector?: StatusCollector;
  private daemon?: DaemonView;
  private control?: ControlServer;
  private http?: StatusHttp;
  private httpAt?: string;
  private httpSync: Promise<void> = Promise.resolve();
  private readonly onReload = (e: { ok: boolean }) => {
    if (e.ok) void this.syncHttp();
  };

  constructor(private readonly opts: StatusOptions) {}

  async start(daemon: DaemonView, sources: MetricsSources = {}): Promise<void> {
    this.daemon = daemon;
    const collector = new StatusCollector(daemon);
    this.collector = collector;
    this.metrics.attach(daemon, collector, sources);
    const status = () => JSON.stringify(collector.snapshot());
    const metrics = () => this.metrics.render();
    const control = new ControlServer(this.opts.controlSocket, { status, metrics, role: this.opts.role, plan: this.opts.plan, override: this.opts.override });
    try {
      await control.listen();
      this.control = control;
    } catch (e) {
      this.log('error', `Control socket ${this.opts.controlSocket} not available (lvsd status shows the pid only): ${(e as Error).message}`);
    }
    daemon.bus.on('reload', this.onReload);
    await this.syncHttp();
  }

  async close(): Promise<void> {
    this.daemon?.bus.off('reload', this.onReload);
    await this.httpSync;
    await Promise.all([this.control?.close(), this.http?.close()]);
    this.control = this.http = undefined;
    this.metrics.detach();
    this.collector?.detach();
  }

  private log(level: 'error' | 'info', message: string): void {
    this.daemon?.bus.emit('log', { level, message });
  }

  private syncHttp(): Promise<void> {
    this.httpSync = this.httpSync.then(() => this.rebind());
    return this.httpSync;
  }

  private async rebind(): Promise<void> {
    const daemon = this.daemon;
    const collector = this.collector;
    if (!daemon || !collector) return;
    const want = this.opts.statusHttp ?? daemon.config.global.statushttp;
    const at = want ? hostPort(want.host, want.port) : undefined;
    if (at === this.httpAt) return;
    await this.http?.close();
    this.http = this.httpAt = undefined;
    collector.http = null;
    if (!want || !at) return;
    const http = new StatusHttp({
      status: () => JSON.stringify(collector.snapshot()),
      metrics: () => this.metrics.render(),
      metricsType: this.metrics.contentType,
    });
    try {
      const url = await http.listen(want.host, want.port);
      this.http = http;
      this.httpAt = at;
      collector.http = { url };
      this.log('info', `Status page, status.json and /metrics on ${url}`);
    } catch (e) {
      this.log('error', `Status HTTP listener on ${at} failed: ${(e as Error).message}`);
    }
  }
}
