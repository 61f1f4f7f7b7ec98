// Command line, compatible with ldirectord's forms (spec §5) so existing scripts and the
// Pacemaker agent keep working:  lvsd [options] [CONFIG] start|stop|restart|try-restart|reload|force-reload|status
import { existsSync } from 'node:fs';
import { basename, resolve, join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { loadConfig, formatConfig } from './config/load.js';
import { isConfigError } from './config/errors.js';
import { readPid, defaultPidFile } from './daemon/pidfile.js';
import { runDaemon, DRIVER_KINDS, type DriverKind } from './daemon/run.js';
import { version } from './version.js';
import { parseListenAddress } from './config/directives.js';
import { defaultControlSocket } from './status/control.js';
import { fetchStatus, queryControl } from './status/client.js';
import { SETTABLE_ROLES } from './daemon/role.js';
import type { Role } from './events/index.js';
import { formatStatus } from './status/format.js';
import { formatPlan, type PlanAnswer } from './status/plan.js';
import { OVERRIDE_VERBS, parseOverride, type OverrideVerb } from './table/override-command.js';

/** The environment variable that marks the detached daemon (see daemonize). */
const DAEMON_CHILD = 'LVSD_DAEMON_CHILD';

const COMMANDS = ['start', 'stop', 'restart', 'try-restart', 'reload', 'force-reload', 'status'] as const;
type Command = (typeof COMMANDS)[number];

/** The command line's options (also the source of the man page's OPTIONS, with USAGE). */
export const CLI_OPTIONS = {
  debug: { type: 'boolean', short: 'd' },
  foreground: { type: 'boolean', short: 'f' },
  ipvs: { type: 'string' },
  ipvsadm: { type: 'string' },
  'pid-file': { type: 'string' },
  json: { type: 'boolean' },
  'control-socket': { type: 'string' },
  'status-http': { type: 'string' },
  test: { type: 'boolean', short: 't' },
  to: { type: 'string' },
  version: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
  'no-strict-modes': { type: 'boolean' },
} as const;

/** `lvsd --help`; its Options part is also lvsd(8)'s OPTIONS section (packaging/man.js). */
export const USAGE = `Usage:
  lvsd [options] [CONFIG] start|stop|restart|try-restart|reload|force-reload|status
  lvsd [options] [CONFIG] role [master|backup|fault]
                              tell the running daemon its role in a director pair (keepalived's
                              notify scripts, Pacemaker's promote/demote); alone: print the role
  lvsd [options] [CONFIG] plan [FILE]
                              print the kernel changes a reload of the daemon running CONFIG to
                              FILE (default: CONFIG as it is now) would make, changing nothing;
                              lvsd plan FILE: the daemon running FILE (or --pid-file's)
  lvsd [options] [CONFIG] disable|drain|enable [VIRTUAL] REAL
  lvsd [options] [CONFIG] weight [VIRTUAL] REAL N
                              operator overrides of the running daemon: disable takes REAL out (as
                              if down), drain keeps it at weight 0, weight sets 0..its configured
                              weight, enable clears them; kept across reloads and restarts.
                              VIRTUAL as status shows it (10.0.0.1:80, [2001:db8::1]:80, 7, udp:...;
                              none: every virtual with REAL); REAL is ADDR:PORT, or ADDR for every port
  lvsd -t [CONFIG]            check CONFIG and exit (also: lvsd check CONFIG)
  lvsd convert FILE [--to cf|yaml]
  lvsd demo                   run a self-contained demo on loopback

CONFIG defaults to ldirectord.cf; a bare name is looked up in /etc/ha.d/, /etc/ha.d/conf/, then as a path.
A .yaml or .yml file is read as YAML, anything else as ldirectord.cf.

Options:
  -d, --debug           stay in the foreground, log to stdout, with debug detail
  -f, --foreground      stay in the foreground and log to stdout (the systemd way)
  --ipvs KIND           how to reach IPVS: ipvsadm (default: ipvsdriver=, else ipvsadm), netlink,
                        auto (netlink where the kernel answers, else ipvsadm) or memory (no kernel)
  --ipvsadm PATH        the ipvsadm binary (default: ipvsadm=, else /sbin/ipvsadm or /usr/sbin/ipvsadm)
  --pid-file PATH       pid file (default /var/run/lvsd.<config name>.pid)
  --json                with status or plan: one JSON document on stdout (the texts above go to stderr)
  --control-socket PATH the daemon's control socket (default: the pid file's path with .sock)
  --status-http ADDR:PORT  serve the status page, /status.json and /metrics (default: statushttp=, else off;
                        a bare PORT binds 127.0.0.1)
  -t, --test            check the configuration and exit: 0 if valid, 2 and FILE:LINE: message if not
  --no-strict-modes     as root, accept a config file (or its folder) that others may write
  -v, --version         print the version
  -h, --help            this text
`;

/** ldirectord's config resolution: returns [path, cfgname] or undefined. */
export function resolveConfig(arg: string | undefined): { path: string; name: string } | undefined {
  const config = arg ?? 'ldirectord.cf';
  const name = arg === undefined ? 'ldirectord' : basename(arg);
  for (const p of [join('/etc/ha.d', config), join('/etc/ha.d/conf', config), config]) {
    if (existsSync(p)) return { path: resolve(p), name };
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: CLI_OPTIONS,
    });
  } catch (e) {
    process.stderr.write(`lvsd: ${(e as Error).message}\n${USAGE}`);
    return 255;
  }
  const { values: o, positionals: pos } = parsed;
  // Set by daemonize() for the detached copy, whose command line stays the one the user typed.
  // Taken out at once so hooks and checks started by the daemon do not inherit it.
  const daemonChild = process.env[DAEMON_CHILD] === '1';
  delete process.env[DAEMON_CHILD];
  if (o.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (o.version) {
    process.stdout.write(`lvsd ${version()} (ldirectord-compatible)\n`);
    return 0;
  }
  if (pos[0] === 'demo') {
    const { runDemo } = await import('./demo.js');
    return runDemo();
  }
  if (pos[0] === 'convert') return convert(pos[1], o.to);
  if (o.test || pos[0] === 'check') return check(o.test ? pos[0] : pos[1]);

  /** The daemon running `config` (its pid file and control socket), or undefined once said it is not found. */
  const daemonOf = (config: string | undefined) => {
    const cfg = resolveConfig(config);
    if (!cfg) {
      process.stderr.write(`Config file ${config ?? 'ldirectord.cf'} not found\n`);
      return undefined;
    }
    const pidFile = o['pid-file'] ?? defaultPidFile(cfg.name);
    return { path: cfg.path, pidFile, socket: o['control-socket'] ?? defaultControlSocket(pidFile) };
  };
  const roleArgs = roleCommandArgs(pos);
  if (roleArgs) {
    const d = daemonOf(roleArgs.config);
    return d ? role(d.path, d.pidFile, d.socket, roleArgs.word) : 1;
  }
  const planArgs = planCommandArgs(pos);
  if (planArgs) {
    const d = daemonOf(planArgs.config);
    if (!d) return 1;
    const file = planArgs.file === undefined ? d : resolveConfig(planArgs.file);
    if (!file) {
      process.stderr.write(`Config file ${planArgs.file} not found\n`);
      return 1;
    }
    return plan(d.path, file.path, d.pidFile, d.socket, o.json ?? false);
  }
  const overrideArgs = overrideCommandArgs(pos);
  if (overrideArgs) {
    const d = daemonOf(overrideArgs.config);
    return d ? override(d.path, d.pidFile, d.socket, overrideArgs.words) : 1;
  }
  const cmd = pos[pos.length - 1] as Command | undefined;
  if (pos.length < 1 || pos.length > 2 || !cmd || !COMMANDS.includes(cmd)) {
    process.stderr.write(USAGE);
    return 255;
  }
  const cfg = resolveConfig(pos.length === 2 ? pos[0] : undefined);
  if (!cfg) {
    process.stderr.write(`Config file ${pos.length === 2 ? pos[0] : 'ldirectord.cf'} not found\n`);
    return 1;
  }
  const pidFile = o['pid-file'] ?? defaultPidFile(cfg.name);
  const driver = o.ipvs as DriverKind | undefined;
  if (driver !== undefined && !DRIVER_KINDS.includes(driver)) {
    process.stderr.write(`lvsd: --ipvs must be one of ${DRIVER_KINDS.join(', ')}\n`);
    return 255;
  }
  const listen = o['status-http'] === undefined ? undefined : parseListenAddress(o['status-http']);
  if (typeof listen === 'string') {
    process.stderr.write(`lvsd: --status-http ${listen}\n`);
    return 255;
  }
  const controlSocket = o['control-socket'] ?? defaultControlSocket(pidFile);
  const daemonOpts = {
    configPath: cfg.path,
    cfgname: cfg.name,
    pidFile,
    driver,
    ipvsadm: o.ipvsadm,
    debug: o.debug ?? false,
    foreground: (o.debug || o.foreground) ?? false,
    daemonChild,
    strictModes: !o['no-strict-modes'],
    controlSocket,
    statusHttp: listen,
  };

  switch (cmd) {
    case 'status':
      return status(cfg.path, pidFile, controlSocket, o.json ?? false);
    case 'stop':
      return stop(pidFile);
    case 'reload':
    case 'force-reload': {
      // As ldirectord: a config that does not parse is refused here (exit 2) and nothing is
      // signalled, so whoever asked for the reload learns it at once.
      try {
        await loadConfig(cfg.path);
      } catch (e) {
        if (!isConfigError(e)) throw e;
        process.stderr.write(`${e.message}\n`);
        return 2;
      }
      const st = readPid(pidFile);
      if (st.state !== 'running') {
        process.stdout.write(`lvsd is stopped for ${cfg.path}\n`);
        return 1;
      }
      process.kill(st.pid, 'SIGHUP');
      return 0;
    }
    case 'try-restart':
      if (readPid(pidFile).state !== 'running') return 0;
      await stop(pidFile);
      return start(argv, daemonOpts);
    case 'restart':
      await stop(pidFile);
      return start(argv, daemonOpts);
    case 'start':
      return start(argv, daemonOpts);
  }
}

async function check(arg: string | undefined): Promise<number> {
  const cfg = resolveConfig(arg);
  if (!cfg) {
    process.stderr.write(`Config file ${arg ?? 'ldirectord.cf'} not found\n`);
    return 1;
  }
  try {
    const c = await loadConfig(cfg.path);
    for (const w of c.warnings) process.stderr.write(`${w.file}:${w.line}: warning: ${w.message}\n`);
    return 0;
  } catch (e) {
    if (!isConfigError(e)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
}

async function convert(file: string | undefined, to: string | undefined): Promise<number> {
  if (!file) {
    process.stderr.write('lvsd convert FILE [--to cf|yaml]\n');
    return 255;
  }
  try {
    const c = await loadConfig(file);
    const target = to ?? (c.format === 'cf' ? 'yaml' : 'cf');
    if (target !== 'cf' && target !== 'yaml') throw new Error('--to must be cf or yaml');
    process.stdout.write(formatConfig(c, target));
    return 0;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return isConfigError(e) ? 2 : 1;
  }
}

/**
 * ldirectord's texts and exit codes (0 running, 1 stale pid file, 3 stopped), then, when the
 * daemon answers on its control socket, every virtual and real server. With --json, stdout
 * carries one JSON document and the texts all go to stderr.
 */
async function status(cfgPath: string, pidFile: string, socket: string, json: boolean): Promise<number> {
  const st = readPid(pidFile);
  const out = json ? process.stderr : process.stdout;
  const report = (doc: object) => json && process.stdout.write(`${JSON.stringify({ config: cfgPath, ...doc })}\n`);
  if (st.state !== 'running') {
    // ldirectord prints "stopped" on stdout and "running" on stderr; scripts and the OCF agent depend on these texts.
    // The stale line keeps ldirectord's words: Pacemaker's ocf:heartbeat:ldirectord greps
    // "ldirectord stale pid file" to tell "not running" (start it again) from a failure.
    if (st.state === 'stale') process.stderr.write(`ldirectord stale pid file ${pidFile} for ${cfgPath}\n`);
    out.write(`lvsd is stopped for ${cfgPath}\n`);
    report({ running: false, pid: st.state === 'stale' ? st.pid : null, status: null });
    return st.state === 'stale' ? 1 : 3;
  }
  process.stderr.write(`lvsd for ${cfgPath} is running with pid: ${st.pid}\n`);
  try {
    const snap = await fetchStatus(socket);
    if (json) report({ running: true, pid: st.pid, status: snap });
    else process.stdout.write(formatStatus(snap));
  } catch (e) {
    const error = `no answer on the control socket ${socket}: ${(e as Error).message}`;
    process.stderr.write(`${error}\n`);
    report({ running: true, pid: st.pid, status: null, error });
  }
  return 0;
}

/** `[CONFIG] role [WORD]`: which positional is the config, and the word; undefined for other commands. */
function roleCommandArgs(pos: string[]): { config?: string; word?: string } | undefined {
  if (pos[1] === 'role' && pos.length <= 3) return { config: pos[0], word: pos[2] };
  if (pos[0] === 'role' && pos.length <= 2 && !COMMANDS.includes(pos[1] as Command)) return { word: pos[1] };
  return undefined;
}

/**
 * Tell the running daemon its role, or print it. Exit 0 when the daemon took it (or answered),
 * 255 for a word that is not a role, 3 when no daemon runs, 1 when it does not answer.
 */
async function role(cfgPath: string, pidFile: string, socket: string, word: string | undefined): Promise<number> {
  if (word !== undefined && !SETTABLE_ROLES.includes(word as Role)) {
    process.stderr.write(`lvsd: the role must be master, backup or fault, got ${JSON.stringify(word)}\n`);
    return 255;
  }
  const answer = await ask(cfgPath, pidFile, socket, word === undefined ? 'role' : `role ${word}`, 'tell its role');
  if (typeof answer === 'number') return answer;
  if (word === undefined) process.stdout.write(`${answer}\n`);
  return 0;
}

/**
 * One command to the running daemon: its answer, or the exit status after saying why there is
 * none (3 no daemon runs; 1 no answer, or `error: ...`, which the daemon refused).
 */
async function ask(cfgPath: string, pidFile: string, socket: string, command: string, what: string): Promise<string | number> {
  if (readPid(pidFile).state !== 'running') {
    process.stderr.write(`lvsd is stopped for ${cfgPath}: no daemon to ${what}\n`);
    return 3;
  }
  let answer: string;
  try {
    answer = (await queryControl(socket, command)).trim();
  } catch (e) {
    // the socket is owner-only: anyone else is refused by the kernel
    const denied = (e as NodeJS.ErrnoException).code === 'EACCES' ? ' (only its owner, root, may use it)' : '';
    process.stderr.write(`lvsd: no answer on the control socket ${socket}: ${(e as Error).message}${denied}\n`);
    return 1;
  }
  if (answer.startsWith('error:') || answer === '') {
    process.stderr.write(`lvsd: ${answer || 'empty answer from the daemon'}\n`);
    return 1;
  }
  return answer;
}

/** `[CONFIG] disable|drain|enable|weight ARGS`: the config positional and the command's words. */
function overrideCommandArgs(pos: string[]): { config?: string; words: string[] } | undefined {
  if (OVERRIDE_VERBS.includes(pos[0] as OverrideVerb)) return { words: pos };
  if (OVERRIDE_VERBS.includes(pos[1] as OverrideVerb)) return { config: pos[0], words: pos.slice(1) };
  return undefined;
}

/**
 * Ask the running daemon for an override. Exit 0 when it took it, 255 for words of the wrong
 * form, 3 when no daemon runs, 1 when it refused (a virtual or real the config does not have, a
 * weight above the configured one) or did not answer (the socket is its owner's only).
 */
async function override(cfgPath: string, pidFile: string, socket: string, words: string[]): Promise<number> {
  const req = parseOverride(words);
  if (typeof req === 'string') {
    process.stderr.write(`lvsd: ${req}\n`);
    return 255;
  }
  const answer = await ask(cfgPath, pidFile, socket, words.join(' '), req.verb);
  if (typeof answer === 'number') return answer;
  process.stdout.write(`${answer}\n`);
  return 0;
}

/** `[CONFIG] plan [FILE]` or `plan [CONFIG]`: the daemon's config and the file to plan; undefined for other commands. */
function planCommandArgs(pos: string[]): { config?: string; file?: string } | undefined {
  if (pos[1] === 'plan' && pos.length <= 3) return { config: pos[0], file: pos[2] };
  if (pos[0] === 'plan' && pos.length <= 2) return { config: pos[1] };
  return undefined;
}

/** How long `lvsd plan` waits for the daemon: it may read the config and the kernel first. */
const PLAN_TIMEOUT_MS = 60_000;

/**
 * Ask the running daemon what a reload to `file` would change. Exit 0 with the plan ("no
 * changes" when none), 2 for a config error (FILE:LINE: message, as `reload` and `-t`), 3 when
 * no daemon runs (a plan needs its health and kernel table), 1 when it does not answer.
 */
async function plan(cfgPath: string, file: string, pidFile: string, socket: string, json: boolean): Promise<number> {
  // As reload: a file that does not parse is refused here, with or without a daemon.
  try {
    await loadConfig(file);
  } catch (e) {
    if (!isConfigError(e)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
  if (readPid(pidFile).state !== 'running') {
    process.stderr.write(`lvsd is stopped for ${cfgPath}: no daemon to plan a reload for (a plan needs its health and kernel table; lvsd -t checks a config alone)\n`);
    return 3;
  }
  let answer: PlanAnswer;
  try {
    const text = await queryControl(socket, `plan ${file}`, PLAN_TIMEOUT_MS);
    if (!text.startsWith('{')) throw new Error(text.trim() || 'empty answer');
    answer = JSON.parse(text) as PlanAnswer;
  } catch (e) {
    process.stderr.write(`lvsd: no plan from the control socket ${socket}: ${(e as Error).message}\n`);
    return 1;
  }
  if (!answer.ok) {
    process.stderr.write(answer.configError ? `${answer.error}\n` : `lvsd: ${answer.error}\n`);
    return answer.configError ? 2 : 1;
  }
  process.stdout.write(json ? `${JSON.stringify({ config: cfgPath, ...answer.plan })}\n` : formatPlan(answer.plan));
  return 0;
}

/** Send TERM and wait (bounded) for the daemon to finish its clean stop. */
async function stop(pidFile: string): Promise<number> {
  const st = readPid(pidFile);
  if (st.state !== 'running') return 0;
  process.kill(st.pid, 'SIGTERM');
  for (let i = 0; i < 600 && readPid(pidFile).state === 'running'; i++) await sleep(100);
  return 0;
}

async function start(argv: string[], opts: Parameters<typeof runDaemon>[0]): Promise<number> {
  const st = readPid(opts.pidFile);
  if (st.state === 'running') {
    // ldirectord: start when running does nothing, successfully.
    process.stderr.write(`lvsd for ${opts.configPath} is already running with pid: ${st.pid}\n`);
    return 0;
  }
  if (opts.foreground || opts.daemonChild) return runDaemon(opts);
  return daemonize(argv, opts.pidFile, startBound(process.env.OCF_RESKEY_CRM_meta_timeout));
}

/**
 * How long `start` may wait for the first round under Pacemaker: half the operation's timeout
 * (OCF_RESKEY_CRM_meta_timeout, in ms), the other half left for the agent's status calls
 * around it. Undefined (no bound) outside Pacemaker.
 */
export function startBound(meta: string | undefined): number | undefined {
  const ms = meta === undefined ? NaN : Number(meta);
  return Number.isFinite(ms) && ms > 0 ? ms / 2 : undefined;
}

/**
 * Start a detached copy of ourselves and return once it reports that the first round of checks
 * is applied to the kernel (ldirectord returned before IPVS was even configured), or fails.
 * The copy runs with our own command line (`node PROGRAM CONFIG start`, PROGRAM as invoked),
 * so the OCF agent's `pgrep -f "$LDIRECTORD $LDIRCONF start"` finds it as it finds ldirectord.
 * With a bound (ms): once it has passed, start returns 0 as soon as the daemon holds its pid
 * file, and leaves it to finish its round.
 */
function daemonize(argv: string[], pidFile: string, bound: number | undefined): Promise<number> {
  const bin = process.argv[1] ?? '';
  const child = spawn(process.execPath, [bin, ...argv], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    cwd: '/',
    env: { ...process.env, [DAEMON_CHILD]: '1' },
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (err.length < 8192) err += d.toString();
  });
  const letGo = () => {
    if (child.connected) child.disconnect();
    child.stderr?.destroy();
    child.unref();
  };
  return new Promise((resolve) => {
    // Past the bound, the wait is for the daemon to hold its pid file (a start on a starved
    // machine), not for its first round; the parent checks every 100 ms.
    let timer: NodeJS.Timeout | undefined;
    const holds = () => {
      const st = readPid(pidFile);
      if (st.state !== 'running' || st.pid !== child.pid) {
        timer = setTimeout(holds, 100);
        return;
      }
      process.stderr.write(`lvsd: the first round of checks is still running after ${Math.round((bound ?? 0) / 1000)} s (half the operation timeout); the daemon runs on (pid ${child.pid})\n`);
      letGo();
      resolve(0);
    };
    if (bound !== undefined) timer = setTimeout(holds, bound);
    child.on('message', (m) => {
      if (m !== 'ready') return;
      clearTimeout(timer);
      letGo();
      resolve(0);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      process.stderr.write(err);
      resolve(code ?? 1);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
