// The daemon process: load the config, claim the pid file, start the pipeline, attach the
// subscribers (log, alerts, systemd), and turn signals into reload / reopen / clean stop.
import { chmodSync, existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { loadConfig } from '../config/load.js';
import { isConfigError } from '../config/errors.js';
import type { Config } from '../config/model.js';
import { checkerFor, forgetTarget, loadCheckers, perTarget } from '../checks/registry.js';
import { createDriver } from '../ipvs/index.js';
import { NetlinkDriver, probeNetlink } from '../ipvs/netlink.js';
import type { IpvsDriver } from '../ipvs/types.js';
import { timedDriver } from '../ipvs/timed.js';
import { claimPidFile, removePidFile } from './pidfile.js';
import { Daemon } from './daemon.js';
import { DaemonBus } from '../events/index.js';
import { attachSubscribers } from './subscribers.js';
import { ConfigWatcher, configDigest } from './watch.js';
import { attachFallbackCommand, runHook } from './hooks.js';
import { version } from '../version.js';
import { STRICT_MODES_EXIT, strictModesProblem } from './strict-modes.js';
import { maskingAllSecrets } from './secrets.js';
import { StatusService, defaultControlSocket } from '../status/index.js';
import { redactingChecks } from '../status/redact.js';
import { benchTrace } from '../health/trace.js';
import { attachRole, type RoleControl } from './role.js';
import { defaultRoleFile } from './role-file.js';
import { attachTrackFile } from './trackfile.js';
import { Announcer } from '../announce/announcer.js';
import { atomicWrite } from './atomic-write.js';
import { planAnswer } from './plan-answer.js';
import { attachOverrides, type OverrideControl } from './override.js';
import { defaultOverrideFile } from './override-file.js';

export type DriverKind = 'ipvsadm' | 'netlink' | 'auto' | 'memory';
export const DRIVER_KINDS: readonly DriverKind[] = ['ipvsadm', 'netlink', 'auto', 'memory'];

/**
 * The IPVS driver asked for, or why there is none: the command line's choice, else the config's
 * ipvsdriver=/ipvsadm= (agents such as Pacemaker's pass no options), else ipvsadm.
 * `auto`: netlink where the kernel answers, else ipvsadm.
 */
async function chooseDriver(opts: Pick<RunOptions, 'driver' | 'ipvsadm'>, config: Config): Promise<IpvsDriver | string> {
  const kind = opts.driver ?? config.global.ipvsdriver ?? 'ipvsadm';
  if (kind === 'memory') return createDriver('memory', {});
  if (kind === 'netlink') return new NetlinkDriver();
  if (kind === 'auto' && (await probeNetlink())) return new NetlinkDriver();
  const path = findIpvsadm(opts.ipvsadm ?? config.global.ipvsadm);
  if (!path) return 'Can not find ipvsadm (give --ipvsadm PATH or ipvsadm=, --ipvs netlink or ipvsdriver=netlink, or --ipvs memory to run without a kernel)';
  return createDriver('ipvsadm', { path });
}

export interface RunOptions {
  configPath: string;
  cfgname: string;
  pidFile: string;
  /** --ipvs; undefined: the config's ipvsdriver=, else ipvsadm. */
  driver?: DriverKind;
  ipvsadm?: string;
  debug: boolean;
  foreground: boolean;
  /** started by `lvsd start` to run detached: report readiness over IPC, log to the logfile. */
  daemonChild: boolean;
  /** the control socket `lvsd status` asks (default: the pid file's path with .sock). */
  controlSocket?: string;
  /** serve the status page and /metrics here (wins over statushttp=). */
  statusHttp?: { host: string; port: number };
  /** where the role is kept across restarts (default: the pid file's path with .role). */
  roleFile?: string;
  /** where operator overrides are kept (default: the pid file's path with .overrides). */
  overrideFile?: string;
  /** as root, refuse a config file others may write (default true; see strict-modes.ts). */
  strictModes?: boolean;
}

/** lvsd's routes for BIRD, readable by BIRD's own user (the unit's UMask=0027 would keep it out). */
function birdReadable(path: string, text: string): void {
  atomicWrite(path, text);
  chmodSync(path, 0o644);
}

export function findIpvsadm(given?: string): string | undefined {
  if (given) return given;
  return ['/sbin/ipvsadm', '/usr/sbin/ipvsadm'].find((p) => existsSync(p));
}

/**
 * A full collection once the old space has grown 30 % past what the last one kept, not by V8's
 * own factor (up to 4x, tuned for throughput): checks make short-lived objects that outlive a
 * scavenge, and the heap peaked at 2-4x its live size (bench scenario 1, 5,000 connect checks a
 * second: 241-291 MB -> 158-180 MB, CPU per check within noise). Read at each collection.
 */
const HEAP_GROWING = '--heap-growing-percent=30';

export async function runDaemon(opts: RunOptions): Promise<number> {
  setFlagsFromString(HEAP_GROWING);
  // The parent stops listening once told we are ready, or once its bound has passed; later
  // writes to its pipe must not kill us.
  if (opts.daemonChild) process.stderr.on('error', () => {});
  const checkConfig = (file: string) => (opts.strictModes === false ? undefined : strictModesProblem(file));
  const refused = checkConfig(opts.configPath);
  if (refused) {
    process.stderr.write(`lvsd: ${refused}\n`);
    return STRICT_MODES_EXIT;
  }
  let config: Config;
  const loaded = await configDigest(opts.configPath); // before the read: an edit after it is seen
  try {
    config = await loadConfig(opts.configPath);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return isConfigError(e) ? 2 : 1;
  }
  const chosen = await chooseDriver(opts, config);
  if (typeof chosen === 'string') {
    process.stderr.write(`${chosen}\n`);
    return 1;
  }
  let driver: IpvsDriver = chosen;
  if (!claimPidFile(opts.pidFile, process.pid)) {
    process.stderr.write(`lvsd for ${opts.configPath} is already running (pid file ${opts.pidFile})\n`);
    return 0;
  }
  let role: RoleControl | undefined; // set once the daemon and its subscribers exist
  let overrides: OverrideControl | undefined; // likewise
  const status = new StatusService({
    controlSocket: opts.controlSocket ?? defaultControlSocket(opts.pidFile),
    statusHttp: opts.statusHttp,
    role: (word) => role?.command(word) ?? 'error: not ready',
    // the socket listens only once the daemon below exists (status.start)
    plan: (file) => planAnswer(daemon, file),
    override: (words) => overrides?.command(words) ?? 'error: not ready',
  });
  driver = timedDriver(driver, status.metrics.applyTimer);

  const bus = new DaemonBus();
  benchTrace?.attach(bus);
  // check messages lose their targets' secrets before anything (log, mail, status) sees them
  const daemon: Daemon = new Daemon({ config, driver, checkerFor: perTarget(maskingAllSecrets(redactingChecks(checkerFor), (): Config => daemon.config)), loadCheckers, forgetTarget, bus, checkConfig });
  const subs = attachSubscribers(daemon, {
    cfgname: opts.cfgname,
    foreground: opts.foreground && !opts.daemonChild,
    debug: opts.debug,
  });
  subs.log(`Starting lvsd ${version()} with pid: ${process.pid}`);
  const logError = (message: string) => bus.emit('log', { level: 'error', message });
  role = attachRole(daemon, opts.roleFile ?? defaultRoleFile(opts.pidFile), logError);
  const track = attachTrackFile(daemon, logError);
  const announcer = new Announcer(daemon, { log: (level, message) => bus.emit('log', { level, message }), writeFile: birdReadable });
  daemon.announce = announcer;
  overrides = attachOverrides(daemon, opts.overrideFile ?? defaultOverrideFile(opts.pidFile), logError);

  const detachFallback = attachFallbackCommand(daemon);
  // The file is always watched; whether a change reloads is the current config's autoreload.
  const watcher = new ConfigWatcher({
    file: opts.configPath,
    baseline: loaded,
    onChange: () => {
      const g = daemon.config.global;
      subs.log(`Configuration file '${opts.configPath}' has changed on disk`);
      subs.log(g.autoreload ? ' - reread new configuration' : ' - ignore new configuration');
      if (g.callback) void runHook(daemon, 'callback', g.callback, [opts.configPath]);
      if (g.autoreload) void daemon.reload('file');
    },
  });

  let stopping: Promise<number> | undefined;
  const shutdown = (signal: string): Promise<number> => {
    stopping ??= (async () => {
      await watcher.close();
      detachFallback();
      // withdrawn before the table is emptied: a router never sends flows to an emptied director
      await announcer.stop();
      await daemon.stop();
      track.close();
      role?.close();
      overrides?.close();
      await status.close();
      subs.log(`Linux Director Daemon terminated on signal: ${signal}`);
      await subs.close();
      removePidFile(opts.pidFile);
      return 0;
    })();
    return stopping;
  };
  let done!: (code: number) => void;
  const finished = new Promise<number>((r) => (done = r));
  process.on('SIGTERM', () => void shutdown('TERM').then(done));
  process.on('SIGINT', () => void shutdown('INT').then(done));
  process.on('SIGHUP', () => {
    subs.reopen();
    void daemon.reload();
  });
  process.on('SIGUSR1', () => subs.reopen());

  await status.start(daemon, { alertQueue: () => subs.alertQueue });
  try {
    await daemon.start();
  } catch (e) {
    subs.log(`Start failed: ${(e as Error).message}`);
    await announcer.stop();
    track.close();
    role.close();
    overrides.close();
    await status.close();
    await subs.close();
    removePidFile(opts.pidFile);
    return 1;
  }
  // TERM/INT during start-up: the stop is under way; starting the watcher would keep us alive
  if (stopping) return finished;
  await watcher.start();
  // The parent may have stopped waiting (a bound under Pacemaker): then nobody is told.
  if (opts.daemonChild && process.send && process.connected) process.send('ready');
  return finished;
}
