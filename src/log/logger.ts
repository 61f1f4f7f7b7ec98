// The daemon log: winston 3 with ldirectord's destinations and line formats (spec §3.6).
//
//   -d (debug)          stderr  `<message>`, debug level, nothing else (ldirectord -d)
//   supervised=yes      stdout  `[<ctime>] <message>` only (ldirectord's supervised mode)
//   logfile="/path"     file    `[<ctime>|<cfgname>|<pid>] <message>`
//   logfile="local0"    syslog  ident `lvsd`, pid, facility, priority err/warning/info/debug
//   --foreground        stdout  `[<ctime>] <message>` as well, when the log is a file (the
//                       journal then has it; with a syslog facility it already does)
//
// Nothing here throws at the caller: a destination that fails is reported once on stderr,
// its lines go to stderr meanwhile (as ldirectord does), and writing resumes when it works.
import winston from 'winston';
import type TransportStream from 'winston-transport';
import type { Writable } from 'node:stream';
import { roleMessage, type DaemonBus, type DaemonEvents } from '../events/index.js';
import { hostPort, virtualId } from '../config/effective.js';
import { AppendFile } from './append-file.js';
import { SyslogSink, facilityCode, type SyslogSeverity } from './syslog.js';
import { ctime, oneLine } from './text.js';

export type Level = 'error' | 'warn' | 'info' | 'debug';
const LEVELS: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const SEVERITY: Record<Level, SyslogSeverity> = { error: 'err', warn: 'warning', info: 'info', debug: 'debug' };

export const DEFAULT_LOGFILE = '/var/log/ldirectord.log';

export interface LoggerOptions {
  /** global logfile=; `/…` is a file, anything else a syslog facility. Default /var/log/ldirectord.log. */
  logfile?: string;
  /** the config file's basename, `ldirectord` for the default config (ldirectord's CFGNAME). */
  cfgname: string;
  /** -d: plain lines on stderr at debug level. */
  debug?: boolean;
  /** debug level in the configured destination (file, syslog) rather than on stderr. */
  verbose?: boolean;
  /** supervised=yes in the config. */
  supervised?: boolean;
  /** --foreground (systemd): copy file log lines to stdout. */
  foreground?: boolean;
  /** syslog ident; default `lvsd` (see README: telling lvsd and ldirectord apart). */
  ident?: string;
  /** syslog socket; default /dev/log. */
  syslogPath?: string;
  pid?: number;
  /** default process.stdout / process.stderr. */
  stdout?: Writable;
  stderr?: Writable;
}

export interface LvsdLogger {
  log(level: Level, message: string): void;
  /** whether lines of this level are written anywhere. */
  enabled(level: Level): boolean;
  /** Reopen the log file (SIGUSR1, SIGHUP, logrotate's postrotate). */
  reopen(): void;
  close(): Promise<void>;
  /** where lines go: `file:/path`, `syslog:local0`, `stdout`, `stderr`. */
  readonly targets: string[];
}

type Sink = (level: Level, message: string, at: Date) => void;

// winston's typings only export the transport base class as a namespace; it is winston.Transport.
const Transport = (winston as unknown as { Transport: typeof TransportStream }).Transport;

/** A winston transport that hands each entry to a sink function. */
class SinkTransport extends Transport {
  constructor(private readonly sink: Sink) {
    super();
  }
  override log(info: { level: Level; message: unknown; at?: Date }, next: () => void): void {
    this.sink(info.level, String(info.message), info.at ?? new Date());
    next();
  }
}

/** A stream sink (stdout/stderr) whose errors (EPIPE, closed journal pipe) are swallowed. */
function streamSink(stream: Writable, format: (m: string, at: Date) => string): Sink {
  let broken = false;
  stream.on('error', () => (broken = true));
  return (_level, message, at) => {
    if (broken) return;
    try {
      stream.write(format(message, at));
    } catch {
      broken = true;
    }
  };
}

export function createLogger(opts: LoggerOptions): LvsdLogger {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const pid = opts.pid ?? process.pid;
  const logfile = (opts.logfile ?? DEFAULT_LOGFILE).trim();
  const toStderr = streamSink(stderr, (m) => `${m}\n`);
  const complain = (m: string) => toStderr('error', `lvsd: ${m}`, new Date());
  const sinks: Sink[] = [];
  const targets: string[] = [];
  let file: AppendFile | undefined;
  let syslog: SyslogSink | undefined;
  const pending = new Set<Promise<unknown>>();

  if (opts.debug) {
    sinks.push(toStderr);
    targets.push('stderr');
  } else if (opts.supervised) {
    sinks.push(streamSink(stdout, (m, at) => `[${ctime(at)}] ${m}\n`));
    targets.push('stdout');
  } else if (logfile.startsWith('/')) {
    const f = new AppendFile(logfile, {
      onError: (e) => complain(`cannot write log file ${logfile}: ${e.code ?? e.message}; logging to stderr until it works again`),
      onRecover: () => complain(`log file ${logfile} is writable again`),
    });
    file = f;
    sinks.push((_l, m, at) => {
      if (!f.write(`[${ctime(at)}|${opts.cfgname}|${pid}] ${m}`)) toStderr('info', m, at);
    });
    targets.push(`file:${logfile}`);
    if (opts.foreground) {
      sinks.push(streamSink(stdout, (m, at) => `[${ctime(at)}] ${m}\n`));
      targets.push('stdout');
    }
  } else {
    const facility = facilityCode(logfile);
    if (facility === undefined) complain(`logfile "${logfile}" is neither an absolute path nor a syslog facility; using daemon`);
    const s = new SyslogSink({
      facility: facility ?? 3,
      ident: opts.ident ?? 'lvsd',
      pid,
      path: opts.syslogPath,
      onError: (e) => complain(`cannot log to syslog (${opts.syslogPath ?? '/dev/log'}): ${e.code ?? e.message}; logging to stderr until it works again`),
      onRecover: () => complain('syslog is reachable again'),
    });
    syslog = s;
    sinks.push((level, m, at) => {
      const p = s.write(SEVERITY[level], m, at).then((ok) => ok || toStderr(level, m, at));
      pending.add(p);
      void p.finally(() => pending.delete(p));
    });
    targets.push(`syslog:${logfile.toLowerCase()}`);
  }

  const level: Level = opts.debug || opts.verbose ? 'debug' : 'info';
  const enabled = (l: Level): boolean => LEVELS[l] <= LEVELS[level];
  const logger = winston.createLogger({
    levels: LEVELS,
    level,
    exitOnError: false,
    transports: sinks.map((s) => new SinkTransport(s)),
  });

  let closed = false;
  return {
    targets,
    enabled,
    log(l, message) {
      // Dropped lines (a debug line per check) never reach winston: its pipeline costs per call.
      if (closed || !enabled(l)) return;
      logger.log({ level: l, message: oneLine(message), at: new Date() });
    },
    reopen() {
      file?.reopen();
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...pending]);
      logger.close();
      file?.close();
      syslog?.close();
    },
  };
}

/** The log lines the daemon's events stand for (ldirectord's texts where it has one). */
export function eventLines(bus: DaemonBus, log: (level: Level, message: string) => void, enabled: (level: Level) => boolean = () => true): () => void {
  const on = <K extends keyof DaemonEvents>(name: K, fn: (...a: DaemonEvents[K]) => void) => {
    bus.on(name, fn as never);
    return () => void bus.off(name, fn as never);
  };
  const offs = [
    on('ipvs', (e) => log('info', e.message)),
    on('softfail', (e) =>
      log('info', `Soft failure real server: ${hostPort(e.real.address, e.real.port)} (${virtualId(e.virtual)}) failure ${e.failures}/${e.failurecount}`),
    ),
    on('softreset', (e) => log('info', `Resetting soft failure count: ${hostPort(e.real.address, e.real.port)} (${virtualId(e.virtual)})`)),
    // rise=: lvsd's own words, shaped like the soft failure lines above
    on('softrise', (e) => log('info', `Soft rise real server: ${hostPort(e.real.address, e.real.port)} (${virtualId(e.virtual)}) success ${e.successes}/${e.rise}`)),
    on('risereset', (e) =>
      log('info', `Resetting rise count: ${hostPort(e.real.address, e.real.port)} (${virtualId(e.virtual)}) after ${e.successes}: ${e.message}`),
    ),
    // ldirectord never says why a real went down; we do, once per change. The first verdict
    // after start is not news (the IPVS lines already say it).
    on('transition', (e) =>
      log(e.from === 'unknown' ? 'debug' : 'info', `Real server ${hostPort(e.real.address, e.real.port)} (${virtualId(e.virtual)}) is ${e.to}: ${e.message}`),
    ),
    on('ipvs-error', (e) => log('error', `IPVS update failed (${e.changes.length} change${e.changes.length === 1 ? '' : 's'}): ${e.error}`)),
    // the daemon logs reloads itself (ldirectord's texts); these are the details
    on('reload', (e) => log('debug', e.ok ? `Reloaded configuration file '${e.file}'` : `Reload of '${e.file}' failed: ${e.error ?? 'unknown error'}`)),
    on('state', (e) => log('debug', `Daemon state: ${e.state}`)),
    on('role', (e) => log('info', roleMessage(e))),
    on('override', (e) => log('info', e.message)),
    on('log', (e) => log(e.level, e.message)),
    // one per check: not even formatted unless debug lines are written
    on('check', (e) => enabled('debug') && log('debug', `Check ${e.key}: ${e.result.ok ? 'up' : 'down'} ${e.result.message} (${Math.round(e.latencyMs)} ms)`)),
    on('applied', (e) => log('debug', `Applied ${e.changes} IPVS change${e.changes === 1 ? '' : 's'}`)),
  ];
  return () => offs.forEach((off) => off());
}

/** The daemon's logger, subscribed to its bus. close() unsubscribes and closes the files. */
export function attachLogger(bus: DaemonBus, opts: LoggerOptions): LvsdLogger {
  const logger = createLogger(opts);
  const detach = eventLines(bus, logger.log, logger.enabled);
  return {
    ...logger,
    close() {
      detach();
      return logger.close();
    },
  };
}
