// Everything that listens to the daemon: the log, monitorfiles, e-mail alerts, systemd.
// None of them can slow the pipeline: they only subscribe to its events.
import { attachLogger, type LvsdLogger } from '../log/logger.js';
import { attachMonitorFiles } from '../log/monitorfile.js';
import { attachMailer, type VirtualState } from '../alerts/mailer.js';
import { attachCertWatch } from '../health/cert-watch.js';
import { attachNotify } from '../systemd/notify.js';
import type { Config, VirtualService } from '../config/model.js';
import { effective } from '../config/effective.js';
import { desiredTable, kernelPort } from '../table/desired.js';
import type { DaemonEvents } from '../events/index.js';
import type { Daemon } from './daemon.js';

export interface Subscribers {
  log(message: string): void;
  /** reopen log and monitor files (logrotate). */
  reopen(): void;
  close(): Promise<void>;
  /** e-mail alerts waiting to be sent (status metrics). */
  readonly alertQueue: number;
}

export interface SubscriberOptions {
  cfgname: string;
  /** attached to a terminal or journald: log to stdout. */
  foreground: boolean;
  debug: boolean;
}

export function attachSubscribers(daemon: Daemon, opts: SubscriberOptions): Subscribers {
  const bus = daemon.bus;
  const makeLogger = (c: Config) =>
    attachLogger(bus, {
      cfgname: opts.cfgname,
      debug: opts.debug,
      foreground: opts.foreground,
      // No logfile= and a terminal or journald to talk to: stdout, as ldirectord's supervised mode.
      supervised: c.global.supervised || (opts.foreground && c.global.logfile === undefined),
      logfile: c.global.logfile ?? '/var/log/lvsd.log',
      // where logfile=<facility> sends datagrams; /dev/log unless the environment says otherwise
      // (a syslog daemon listening elsewhere, or a test's own socket)
      syslogPath: process.env.LVSD_SYSLOG_SOCKET || undefined,
    });
  let logger = makeLogger(daemon.config);
  let logfile = daemon.config.global.logfile;
  bus.on('reload', (e) => {
    if (!e.ok || daemon.config.global.logfile === logfile) return;
    // logfile= changed: close the old destination and open the new one; both are synchronous.
    const old = logger;
    logger = makeLogger(daemon.config);
    logfile = daemon.config.global.logfile;
    void old.close();
  });
  const monitor = attachMonitorFiles(bus, {
    usersOf: (key) => daemon.book.bindingsFor(key).map((b) => ({ virtual: b.virtual, real: b.real })),
    onError: (m) => logger.log('error', m),
  });
  const mailer = attachMailer(bus, { config: daemon.config, describe: (v) => describe(daemon, v), deliberate: (e) => overridden(daemon, e) });
  const stopCertWatch = attachCertWatch(bus, { config: () => daemon.config, bindingsFor: (key) => daemon.book.bindingsFor(key) });
  const notify = attachNotify(bus, { alive: () => daemon.scheduler.isAlive(), onError: (m) => logger.log('warn', m) });
  return {
    log: (m) => logger.log('info', m),
    get alertQueue() {
      return mailer.queued;
    },
    reopen: () => {
      logger.reopen();
      monitor.reopen();
    },
    close: async () => {
      stopCertWatch();
      await mailer.close();
      notify.close();
      monitor.close();
      await logger.close();
    },
  };
}

/** An IPVS change to a real the operator has an override on (its kernel address and port). */
function overridden(daemon: Daemon, e: DaemonEvents['ipvs'][0]): boolean {
  const c = e.change;
  const at = c.op === 'del-dest' ? c : c.op === 'add-dest' || c.op === 'edit-dest' ? c.dest : undefined;
  if (!at || !e.virtual) return false;
  return daemon.book
    .all()
    .some((b) => b.virtual === e.virtual && b.real.address === at.address && kernelPort(b.virtual, b.real.forward, b.real.port) === at.port && daemon.overrides.of(b) !== undefined);
}

/** A virtual service as it stands now, for the body of alert mails. */
function describe(daemon: Daemon, v: VirtualService): VirtualState | undefined {
  const bindings = daemon.book.all().filter((b) => b.virtual === v);
  if (bindings.length === 0 && !v.reals.length) return undefined;
  const table = desiredTable(daemon.config, bindings, daemon.health, daemon.weightStages).find((s) => s.virtual === v);
  const fb = effective(daemon.config, v).fallback;
  return {
    reals: bindings.map((b) => {
      const s = daemon.book.state(b);
      const d = table?.dests.find((x) => x.binding === b);
      return { address: b.real.address, port: b.real.port, health: s.health, weight: d?.weight, reason: s.health === 'down' ? s.lastMessage : undefined };
    }),
    fallback: fb && table?.fallback ? { address: fb.address, port: table.fallback.port, active: table.dests.some((d) => d.role === 'fallback') } : undefined,
  };
}
