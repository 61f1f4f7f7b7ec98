// Shared pieces of the reliability suites: the real daemon on a config with real servers on
// loopback and the stand-in ipvsadm, reading the daemon's /proc entries, and a log reader that
// notes when each line first appeared (for lower bounds only: a slow machine can only make
// them larger, never fail them).
import type { Test } from 'tap';
import { copyFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { LvsdProcess, RealServer, TempDir, daemon, waitFor as waitForShort, weightsOf } from '../helpers/lvsd.js';

export type Lvsd = Pick<LvsdProcess, 'child' | 'out' | 'exit' | 'stop'>;

export const VIP = '127.0.0.100:80';

/**
 * waitFor with a default bound of 60 s: these suites start daemons, stand-in ipvsadm runs and
 * servers side by side, and a loaded machine is slow to get there (a bound, not a speed test).
 */
export function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  return waitForShort(what, cond, ms);
}

export interface Daemon {
  dir: TempDir;
  state: string;
  cfg: string;
  lvsd: Lvsd;
}

export interface DaemonOptions {
  /** extra arguments before the config path (e.g. -d). */
  args?: string[];
  env?: Record<string, string>;
  /** a program and its arguments to start the daemon through (setpriv, faketime). */
  wrapper?: string[];
  /** a directory of the caller's (see daemon() in ../helpers/lvsd.ts). */
  dir?: TempDir;
}

/** An http virtual at VIP over `reals`, each with weight i+2. */
export function httpConfig(reals: RealServer[], extra: string[] = [], section: string[] = []): string {
  return [
    'checkinterval=1',
    'checktimeout=1',
    'negotiatetimeout=1',
    ...extra,
    '',
    `virtual=${VIP}`,
    ...reals.map((r, i) => `    real=${r.addr} masq ${i + 2}`),
    '    service=http',
    '    request="/"',
    '    receive="OK"',
    '    scheduler=wrr',
    ...section.map((l) => `    ${l}`),
    '',
  ].join('\n');
}

/** The real daemon on `config` with the stand-in ipvsadm (daemon(), with these suites' option names). */
export function startDaemon(t: Test, config: string | { file: string }, opts: DaemonOptions = {}): Daemon {
  const { dir, state, cfgPath, lvsd } = daemon(t, config, {
    foreground: false,
    flags: opts.args ?? ['-f'],
    env: opts.env,
    wrapper: opts.wrapper,
    dir: opts.dir,
  });
  return { dir, state, cfg: cfgPath, lvsd };
}

/**
 * Weights of `reals` under VIP read from a copy of the state file, so that a fault injected for
 * the daemon's ipvsadm (<state>.fault) does not affect the test's own reading.
 */
export async function weightsBehindFault(state: string, reals: RealServer[]): Promise<(number | undefined)[]> {
  const copy = `${state}.copy.json`;
  if (existsSync(state)) copyFileSync(state, copy);
  return weightsOf(copy, VIP, reals.map((r) => r.addr));
}

/** Reals started on the given loopback hosts, stopped at teardown. */
export async function reals(t: Test, hosts: string[]): Promise<RealServer[]> {
  const rs = await Promise.all(hosts.map((h) => new RealServer(h).start()));
  t.teardown(() => Promise.all(rs.map((r) => r.stop())));
  return rs;
}

/** Lines of the daemon's output, each with the time (ms, test clock) it was first seen. */
export class LogWatch {
  private seen: { line: string; at: number }[] = [];
  private consumed = 0;
  constructor(private readonly lvsd: Lvsd) {}

  private update(): void {
    const text = this.lvsd.out;
    const complete = text.lastIndexOf('\n') + 1;
    if (complete <= this.consumed) return;
    const now = performance.now();
    for (const line of text.slice(this.consumed, complete).split('\n')) if (line) this.seen.push({ line, at: now });
    this.consumed = complete;
  }

  /** Lines matching `re` so far, with when they were seen. */
  matching(re: RegExp): { line: string; at: number }[] {
    this.update();
    return this.seen.filter((s) => re.test(s.line));
  }

  count(re: RegExp): number {
    return this.matching(re).length;
  }

  /** Wait (bounded) until `n` lines match, noting their times as they come. */
  async waitCount(what: string, re: RegExp, n: number, ms = 60_000): Promise<{ line: string; at: number }[]> {
    // Poll often, so that arrival times are noted close to when the lines came.
    await waitFor(what, () => this.count(re) >= n, ms);
    return this.matching(re);
  }
}

/** Resident set size of a process, in KiB (VmRSS of /proc/PID/status). */
export function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/** Processes whose environment holds `NAME=value` (their /proc/PID/environ), e.g. stand-in runs for one state file. */
export function processesWithEnv(name: string, value: string): number[] {
  const needle = `${name}=${value}`;
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`, 'latin1').split('\0').includes(needle)) out.push(Number(d));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/** Whether a pid is alive (and not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
