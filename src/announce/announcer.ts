// Route health injection: decides, from the table as applied to the kernel, which virtual
// addresses this director announces (./decide.ts), writes them for BIRD (./bird-routes.ts) and
// asks BIRD to `configure` over its control socket (./bird-control.ts). Listens on the bus only;
// a BIRD that is down, slow or refuses is retried with back-off and reported, and never holds up
// the checks or the reconciler. Why one include file and `configure` rather than enabling and
// disabling protocols: one mechanism, and the file always holds the current truth, so a BIRD
// that restarts announces exactly what lvsd wants now.
import type { Config } from '../config/model.js';
import type { DaemonBus, Health, Role } from '../events/index.js';
import type { Binding } from '../health/targets.js';
import { serviceKeyString, type Table } from '../ipvs/types.js';
import { destKey, kernelPort, serviceKeyOf } from '../table/desired.js';
import { addressWishes, HoldDown, roleAnnounces, type PoolShare } from './decide.js';
import { DEFAULT_BIRD_ROUTES, renderBirdRoutes } from './bird-routes.js';
import { birdCommand } from './bird-control.js';

/** What the announcer reads of the daemon (the Daemon class fits it). */
export interface AnnounceSource {
  readonly bus: DaemonBus;
  readonly config: Config;
  readonly role: Role;
  readonly reconciler: { readonly known: Table | undefined };
  snapshot(): { binding: Binding; state: { health: Health } }[];
}

/** The status document's `bgp` part. */
export interface BgpStatus {
  /** bird= is set. */
  enabled: boolean;
  socket: string | null;
  file: string | null;
  holddownSeconds: number;
  /** every virtual address (fwmark services have none; none while bird= is unset): announced, wanted, hold-down left. */
  routes: { route: string; address: string; announced: boolean; wanted: boolean; holddownLeftSeconds: number | null }[];
  /** BIRD took the current set (false while a push is failing or pending; null before the first). */
  birdOk: boolean | null;
  lastConfiguredAt: string | null;
  lastError: { message: string; at: string } | null;
}

export interface AnnounceOptions {
  log: (level: 'error' | 'info', message: string) => void;
  /** write a file whole, by rename, readable by BIRD's user (BIRD never reads half a file). */
  writeFile: (path: string, text: string) => void;
  /** bound on one exchange with BIRD (ms, default 10 s). */
  timeoutMs?: number;
  /** first retry delay after a failure (ms, default 1 s), doubling up to maxRetryMs (30 s). */
  retryMs?: number;
  maxRetryMs?: number;
  now?: () => number;
}

export const DEFAULT_HOLDDOWN_SECONDS = 5;

interface Target {
  socket: string;
  file: string;
}

export class Announcer {
  private readonly hold: HoldDown;
  private pools: PoolShare[] = [];
  private wishes = new Map<string, boolean>();
  private target?: Target;
  private want?: string;
  private written?: string;
  private configured?: string;
  private pushing?: Promise<void>;
  private wakeTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private retryDelay: number;
  private stopped = false;
  private birdOk: boolean | null = null;
  private lastConfiguredAt?: number;
  private lastError?: { message: string; at: number };
  private readonly now: () => number;
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly src: AnnounceSource,
    private readonly opts: AnnounceOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.hold = new HoldDown(this.holdSeconds() * 1000, this.now);
    this.retryDelay = opts.retryMs ?? 1000;
    const evaluate = () => this.evaluate();
    for (const name of ['applied', 'role', 'reload'] as const) {
      src.bus.on(name, evaluate);
      this.offs.push(() => src.bus.off(name, evaluate));
    }
  }

  /** Withdraw everything and wait (bounded) for BIRD to take it; then stop listening. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.offs.splice(0).forEach((off) => off());
    clearTimeout(this.wakeTimer);
    clearTimeout(this.retryTimer);
    const before = new Set(this.hold.announced);
    this.report(before, this.hold.step(new Map()).announced, ' (stop)');
    this.setWant(this.hold.announced);
    const bound = (this.opts.timeoutMs ?? 10_000) + 1000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.push(), new Promise<void>((r) => (timer = setTimeout(r, bound)))]);
    clearTimeout(timer);
  }

  status(): BgpStatus {
    const announced = this.hold.announced;
    const now = this.now();
    const hold = this.holdSeconds();
    const enabled = this.src.config.global.bird !== undefined;
    return {
      enabled,
      socket: this.target?.socket ?? null,
      file: this.target?.file ?? null,
      holddownSeconds: hold,
      routes: [...(enabled ? this.wishes : [])].map(([route, wanted]) => {
        const since = this.hold.pendingSince(route);
        return {
          route,
          address: route.replace(/\/\d+$/, ''),
          announced: announced.has(route),
          wanted,
          holddownLeftSeconds: wanted && since !== undefined ? Math.max(0, Math.round((since + hold * 1000 - now) / 100) / 10) : null,
        };
      }),
      birdOk: this.birdOk,
      lastConfiguredAt: this.lastConfiguredAt !== undefined ? new Date(this.lastConfiguredAt).toISOString() : null,
      lastError: this.lastError ? { message: this.lastError.message, at: new Date(this.lastError.at).toISOString() } : null,
    };
  }

  private holdSeconds(): number {
    return this.src.config.global.announceholddown ?? DEFAULT_HOLDDOWN_SECONDS;
  }

  /** Decide again from the table as applied (kept from the last apply while the kernel is unknown). */
  private evaluate(): void {
    if (this.stopped) return;
    clearTimeout(this.wakeTimer);
    const g = this.src.config.global;
    if (g.bird !== undefined) this.retarget({ socket: g.bird, file: g.birdroutes ?? DEFAULT_BIRD_ROUTES });
    if (this.src.reconciler.known) this.pools = poolsOf(this.src, this.src.reconciler.known);
    this.hold.setHold(this.holdSeconds() * 1000);
    this.wishes = addressWishes(this.pools, this.src.role);
    const before = new Set(this.hold.announced);
    // bird= gone with a reload: withdraw what was announced, then stay quiet
    const step = this.hold.step(g.bird !== undefined ? this.wishes : new Map());
    this.report(before, step.announced, roleAnnounces(this.src.role) ? '' : ` (role ${this.src.role})`);
    if (step.wakeInMs !== undefined) {
      this.wakeTimer = setTimeout(() => this.evaluate(), step.wakeInMs + 5);
      this.wakeTimer.unref();
    }
    this.setWant(step.announced);
    void this.push();
  }

  /** One log line per route that comes or goes. */
  private report(before: ReadonlySet<string>, after: ReadonlySet<string>, why: string): void {
    for (const r of after) if (!before.has(r)) this.opts.log('info', `Announcing ${r} through BIRD`);
    for (const r of before) if (!after.has(r)) this.opts.log('info', `Withdrawing ${r} through BIRD${why}`);
  }

  private retarget(next: Target): void {
    const t = this.target;
    if (t && t.socket === next.socket && t.file === next.file) return;
    // the old file no longer speaks for this daemon: empty it (best effort; BIRD is not asked)
    if (t && t.file !== next.file) {
      try {
        this.opts.writeFile(t.file, renderBirdRoutes([]));
      } catch {
        // gone with its directory: nothing to announce from it either
      }
    }
    this.target = next;
    this.written = this.configured = undefined;
  }

  private setWant(routes: ReadonlySet<string>): void {
    if (this.target) this.want = renderBirdRoutes(routes);
  }

  /** Hand BIRD the wanted set; one exchange at a time, later changes coalesced into the next. */
  private push(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.pushing ??= this.pushLoop().finally(() => (this.pushing = undefined));
    return this.pushing;
  }

  private async pushLoop(): Promise<void> {
    while (this.target && this.want !== undefined && this.want !== this.configured) {
      const { socket, file } = this.target;
      const text = this.want;
      try {
        if (this.written !== text) {
          this.opts.writeFile(file, text);
          this.written = text;
        }
        await birdCommand(socket, 'configure', this.opts.timeoutMs ?? 10_000);
        if (this.target?.socket !== socket || this.target.file !== file) continue;
        this.configured = text;
        this.succeeded();
      } catch (e) {
        this.failed((e as Error).message);
        return;
      }
    }
  }

  private succeeded(): void {
    this.birdOk = true;
    this.lastConfiguredAt = Date.now();
    this.retryDelay = this.opts.retryMs ?? 1000;
    if (this.lastError) this.opts.log('info', 'BIRD took the announced routes again');
    this.lastError = undefined;
  }

  /** Reported once per distinct message; retried with back-off (1 s doubling to 30 s). */
  private failed(message: string): void {
    this.birdOk = false;
    if (this.lastError?.message !== message) this.opts.log('error', `Cannot hand the announced routes to BIRD (retrying): ${message}`);
    this.lastError = { message, at: Date.now() };
    if (this.stopped) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(delay * 2, this.opts.maxRetryMs ?? 30_000);
    this.retryTimer = setTimeout(() => void this.push(), delay);
    this.retryTimer.unref();
  }
}

/** Each addressed virtual service's pool: configured weights, and which reals serve in the kernel now. */
export function poolsOf(src: Pick<AnnounceSource, 'config' | 'snapshot'>, kernel: Table): PoolShare[] {
  const weights = new Map(kernel.services.map((s) => [serviceKeyString(s.key), new Map(s.dests.map((d) => [destKey(d.address, d.port), d.weight]))]));
  const byVirtual = new Map<unknown, { binding: Binding; state: { health: Health } }[]>();
  for (const s of src.snapshot()) {
    const list = byVirtual.get(s.binding.virtual);
    if (list) list.push(s);
    else byVirtual.set(s.binding.virtual, [s]);
  }
  const pools: PoolShare[] = [];
  for (const v of src.config.virtuals) {
    if (v.protocol === 'fwm' || v.address === undefined) continue;
    const inKernel = weights.get(serviceKeyString(serviceKeyOf(v)));
    const reals = (byVirtual.get(v) ?? []).map(({ binding: b, state }) => {
      const w = inKernel?.get(destKey(b.real.address, kernelPort(v, b.real.forward, b.real.port))) ?? 0;
      return { weight: b.real.weight, serving: state.health === 'up' && w > 0 };
    });
    pools.push({ address: v.address, family: v.family, ...(v.announcethreshold !== undefined ? { threshold: v.announcethreshold } : {}), reals });
  }
  return pools;
}
