// sd_notify(3) for Type=notify: READY=1, RELOADING=1 (+MONOTONIC_USEC, systemd >= 253),
// STOPPING=1, STATUS=..., and WATCHDOG=1 while the daemon's liveness predicate holds.
//
// Datagrams go straight from this process over the unix-dgram addon, so systemd credits
// them to the main pid (NotifyAccess=main suffices). unix-dgram cannot address abstract
// sockets (`@name`), and may be missing where it did not build; then the systemd-notify
// tool sends instead (with --pid, so a privileged sender is still credited to us; otherwise
// the unit needs NotifyAccess=all).
import { execFile } from 'node:child_process';
import type { DaemonBus, DaemonEvents, DaemonState } from '../events/index.js';
import { virtualId, hostPort } from '../config/effective.js';
import { DgramSender, unixDgramAvailable } from '../log/unix-dgram.js';

export interface NotifyOptions {
  /** is the check scheduler alive? WATCHDOG=1 is sent only while this is true. */
  alive(): boolean;
  /** default process.env; NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID are read from it. */
  env?: NodeJS.ProcessEnv;
  /** remove those three from env so children (checks, sendmail) don't inherit them. Default true. */
  unsetEnvironment?: boolean;
  pid?: number;
  /** extra STATUS= text source; default: state and real server counts from the bus. */
  status?(): string;
  /** notify failures (reported once per episode). */
  onError?(message: string): void;
  /** default `systemd-notify`, for sockets unix-dgram cannot reach. */
  systemdNotifyPath?: string;
}

export interface Notifier {
  /** a NOTIFY_SOCKET was given. */
  readonly enabled: boolean;
  /** watchdog ping interval in ms (half of WATCHDOG_USEC), 0 when off. */
  readonly watchdogMs: number;
  /** Send raw assignments, e.g. `EXTEND_TIMEOUT_USEC=…`. Never rejects. */
  notify(fields: Record<string, string | number>): Promise<void>;
  close(): void;
}

/** CLOCK_MONOTONIC in µs: libuv's hrtime is that clock on Linux. */
export function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

/** The watchdog interval for this process (sd_watchdog_enabled), in ms; 0 = off. */
export function watchdogInterval(env: NodeJS.ProcessEnv, pid: number): number {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return 0;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return 0;
  return Math.max(1, Math.floor(usec / 2000));
}

/** One value per line: STATUS= text with a newline would start a new assignment. */
function clean(v: string | number): string {
  return String(v).replace(/[\r\n]+/g, ' ');
}

export function attachNotify(bus: DaemonBus, opts: NotifyOptions): Notifier {
  const env = opts.env ?? process.env;
  const pid = opts.pid ?? process.pid;
  const socket = env.NOTIFY_SOCKET;
  const watchdogMs = socket ? watchdogInterval(env, pid) : 0;
  if (opts.unsetEnvironment ?? true) {
    delete env.NOTIFY_SOCKET;
    delete env.WATCHDOG_USEC;
    delete env.WATCHDOG_PID;
  }
  const useTool = !!socket && (socket.startsWith('@') || !unixDgramAvailable());
  const sender = new DgramSender();
  let failing = false;
  const report = (ok: boolean, why?: string) => {
    if (ok) failing = false;
    else if (!failing) {
      failing = true;
      opts.onError?.(`sd_notify to ${socket} failed: ${why}`);
    }
  };

  let closed = false;
  const send = (fields: Record<string, string | number>): Promise<void> => {
    if (!socket || closed) return Promise.resolve();
    const lines = Object.entries(fields).map(([k, v]) => `${k}=${clean(v)}`);
    if (useTool) {
      return new Promise((resolve) => {
        // --no-block: no BARRIER=1 round trip; --pid: credit the message to us when allowed.
        execFile(opts.systemdNotifyPath ?? 'systemd-notify', ['--no-block', `--pid=${pid}`, ...lines], {
          env: { ...process.env, NOTIFY_SOCKET: socket },
          timeout: 5000,
        }, (err, _out, stderr) => {
          report(!err, err ? `${stderr.trim() || err.message}` : undefined);
          resolve();
        });
      });
    }
    return sender.send(socket, Buffer.from(lines.join('\n'))).then(
      () => report(true),
      (e: Error) => report(false, e.message),
    );
  };

  // -- STATUS= text ------------------------------------------------------------------------------
  let state: DaemonState = 'starting';
  let lastStatus = '';
  let virtuals = 0;
  const health = new Map<string, 'unknown' | 'up' | 'down'>();
  const statusText = (): string => {
    if (opts.status) return opts.status();
    const up = [...health.values()].filter((h) => h === 'up').length;
    const label = { starting: 'Starting', running: 'Running', reloading: 'Reloading', stopping: 'Stopping' }[state];
    return `${label}: ${virtuals} virtual service${virtuals === 1 ? '' : 's'}, ${up}/${health.size} real servers up`;
  };

  const onState = (e: DaemonEvents['state'][0]) => {
    state = e.state;
    virtuals = e.config.virtuals.length;
    if (e.state === 'running') {
      // drop reals a reload removed
      const keep = new Set(e.config.virtuals.flatMap((v) => v.reals.map((r) => `${virtualId(v)} ${hostPort(r.address, r.port)}`)));
      for (const k of health.keys()) if (!keep.has(k)) health.delete(k);
    }
    const status = statusText();
    lastStatus = status;
    if (e.state === 'running') void send({ READY: 1, STATUS: status });
    else if (e.state === 'reloading') void send({ RELOADING: 1, MONOTONIC_USEC: monotonicUsec().toString(), STATUS: status });
    else if (e.state === 'stopping') void send({ STOPPING: 1, STATUS: status });
    else void send({ STATUS: status });
  };
  const onTransition = (e: DaemonEvents['transition'][0]) => {
    health.set(`${virtualId(e.virtual)} ${hostPort(e.real.address, e.real.port)}`, e.to);
  };
  const onApplied = () => {
    const status = statusText();
    if (state !== 'running' || status === lastStatus) return;
    lastStatus = status;
    void send({ STATUS: status });
  };
  const onReload = (e: DaemonEvents['reload'][0]) => {
    if (!e.ok) void send({ STATUS: `Reload failed, running the previous configuration: ${e.error ?? ''}` });
  };
  bus.on('state', onState);
  bus.on('transition', onTransition);
  bus.on('applied', onApplied);
  bus.on('reload', onReload);

  // -- watchdog ----------------------------------------------------------------------------------
  let stalled = false;
  const timer = watchdogMs
    ? setInterval(() => {
        if (opts.alive()) {
          stalled = false;
          void send({ WATCHDOG: 1 });
        } else if (!stalled) {
          stalled = true;
          bus.emit('log', { level: 'error', message: 'watchdog: the check scheduler is not alive; not pinging systemd' });
        }
      }, watchdogMs)
    : undefined;
  timer?.unref();

  return {
    enabled: !!socket,
    watchdogMs,
    notify: send,
    close() {
      closed = true;
      if (timer) clearInterval(timer);
      bus.off('state', onState);
      bus.off('transition', onTransition);
      bus.off('applied', onApplied);
      bus.off('reload', onReload);
      sender.close();
    },
  };
}
