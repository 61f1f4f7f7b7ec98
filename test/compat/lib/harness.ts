// The differential harness: one case = one ldirectord.cf, its real servers, a mail sink, and
// both daemons on it; a scenario of steps; after each step, once both have settled, a
// comparison of their tables, log lines, alert mails and CLI results.
//
// "Settled" is counted, not timed: each daemon must have finished `checks` checks of every real
// since the step began (ldirectord's `DEBUG2: Checking ...` lines, lvsd's `Check ...` lines), so a
// real that failed is past its failurecount; then both views are compared until they agree or a
// bound passes (lvsd mails after a 1.5 s coalescing window, and drains reals a reload removed).
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { Side, type CliResult, type Which } from './daemons.js';
import { MailCatcher, type Mail } from './mail.js';
import { Real, UdpReal, type Mode, type RealOptions } from './reals.js';

/** What a step can switch: an HTTP/HTTPS/proxy real or a UDP one. */
export type AnyReal = Real | UdpReal;
import { catalogue, effectMismatch, effectOf, isMailed, isSoft, mismatch, stripService } from './compare.js';
import type { DifferenceId } from './differences.js';

/** What one daemon shows after a step. */
export interface View {
  table: string[];
  log: string[];
  /** `rcpt [status] Log-Message` per mailed event. */
  mails: string[];
  /** the raw mails of this step. */
  raw: Mail[];
  /** why reals changed state (not compared; shown when a step differs). */
  why: string[];
}

export interface DifferenceUse {
  id: DifferenceId;
  /**
   * Case-specific part: turn `ld` (ldirectord's view) into what lvsd must show, in place, and
   * return extra mismatches about lvsd alone.
   */
  apply?(ld: View, lv: View, w: World): string[] | void;
}

export interface StepSpec {
  name: string;
  act?(w: World): Promise<void>;
  differences?: (DifferenceId | DifferenceUse)[];
  /** checks per real to wait for (default: the case's). 0: none (the step stops the daemons). */
  checks?: number;
  /** how long to wait for both views to agree once the checks are done (default 10 s). */
  convergeMs?: number;
  /** the step ends both daemons (their exit is awaited instead of checks). */
  stops?: boolean;
}

export interface CaseSpec {
  name: string;
  title: string;
  /** the case's own addresses: 127.<net>.0.0/16 (cases run in parallel). */
  net: number;
  /** checks per real before a step is compared (default 3: failurecount 1 + one in flight + one spare). */
  checks?: number;
  /** why the case cannot run here (a missing package), or undefined. */
  skip?(): string | undefined;
  setup(w: World): Promise<void>;
  steps: StepSpec[];
}

export interface StepReport {
  name: string;
  ms: number;
  differences: DifferenceId[];
  mismatches: string[];
  ld: View;
  lv: View;
}

export interface CaseReport {
  name: string;
  title: string;
  skipped?: string;
  steps: StepReport[];
  error?: string;
  ms: number;
}

/** Differences in force at every step. */
const ALWAYS: DifferenceId[] = ['mail-coalescing', 'readd-mail-text'];

export class World {
  readonly dir: string;
  readonly cfg: string;
  readonly ld: Side;
  readonly lv: Side;
  readonly mail: MailCatcher;
  readonly reals = new Map<string, AnyReal>();
  /** mismatches found while a step acts (CLI results). */
  readonly notes: string[] = [];
  /** a step has stopped the daemons: later steps only use the CLIs. */
  stopped = false;
  private cert?: { cert: string; key: string };
  private readonly cleanups: (() => unknown)[] = [];

  constructor(readonly spec: CaseSpec) {
    this.dir = mkdtempSync(join(tmpdir(), `lvsd-compat-${spec.name}-`));
    chmodSync(this.dir, 0o755);
    this.cfg = join(this.dir, `compat-${spec.name}.cf`);
    this.ld = new Side('ldirectord', this.dir, this.cfg);
    this.lv = new Side('lvsd', this.dir, this.cfg);
    this.mail = new MailCatcher(this.ip(0, 25));
  }

  /** 127.<net>.a.b, or 127.<net>.0.a. */
  ip(a: number, b?: number): string {
    return b === undefined ? `127.${this.spec.net}.0.${a}` : `127.${this.spec.net}.${a}.${b}`;
  }

  /** The mail sink's address, for smtp=. */
  get smtp(): string {
    return this.mail.host;
  }

  /** A self-signed certificate (PEM texts) for https reals; made without blocking the event loop. */
  async tls(): Promise<{ cert: string; key: string }> {
    if (!this.cert) {
      const cert = join(this.dir, 'cert.pem');
      const key = join(this.dir, 'key.pem');
      await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-days', '2']);
      this.cert = { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8') };
    }
    return this.cert;
  }

  async addReal(name: string, host: string, port: number, opts: RealOptions = {}): Promise<Real> {
    const r = await new Real(host, port, opts).start();
    this.reals.set(name, r);
    return r;
  }

  async addUdpReal(name: string, host: string, port: number): Promise<UdpReal> {
    const r = await new UdpReal(host, port).start();
    this.reals.set(name, r);
    return r;
  }

  real(name: string): AnyReal {
    const r = this.reals.get(name);
    if (!r) throw new Error(`no real ${name}`);
    return r;
  }

  /** Set several reals' modes at once: `{ a: 'refuse', b: 'ok' }`. */
  async set(modes: Record<string, Mode>): Promise<void> {
    await Promise.all(Object.entries(modes).map(([n, m]) => this.real(n).set(m)));
  }

  writeConfig(text: string): void {
    writeFileSync(this.cfg, text);
  }

  file(name: string, text: string, mode = 0o644): string {
    const p = join(this.dir, name);
    writeFileSync(p, text, { mode });
    return p;
  }

  onCleanup(fn: () => unknown): void {
    this.cleanups.push(fn);
  }

  side(which: Which): Side {
    return which === 'ldirectord' ? this.ld : this.lv;
  }

  /**
   * Run the same CLI command against both and compare: equal exit codes, and every line
   * ldirectord prints lvsd prints on the same stream (names, pids and pid file paths normalised).
   * `expect` replaces that comparison where a documented difference applies.
   */
  async both(args: string[], expect?: (ld: CliResult, lv: CliResult) => string[]): Promise<{ ld: CliResult; lv: CliResult }> {
    const [ld, lv] = await Promise.all([this.ld.cli(args), this.lv.cli(args)]);
    const label = `cli ${args.map((a) => (a === this.cfg ? 'CFG' : a)).join(' ')}`;
    const found = expect ? expect(ld, lv) : cliMismatch(ld, lv, this);
    this.notes.push(...found.map((m) => `${label}: ${m}`));
    return { ld, lv };
  }

  /** Start both daemons; ldirectord's pid file is planted once it is past its own check of it. */
  async startDaemons(): Promise<void> {
    this.ld.start();
    this.lv.start();
    await waitUntil(() => this.ld.lines.some((l) => /^Starting Linux Director .* with pid: \d+/.test(l)) || !this.ld.running, 60_000);
    this.ld.plantPidFile();
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled([this.ld.kill(), this.lv.kill()]);
    await Promise.allSettled([...this.reals.values()].map((r) => r.close()));
    await this.mail.close();
    for (const fn of this.cleanups.reverse()) await fn();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Normalise a CLI output line: the daemon's name, pids and pid file paths. */
function normal(line: string, w: World): string {
  return line
    .replaceAll(w.ld.pidFile, '<pidfile>')
    .replaceAll(w.lv.pidFile, '<pidfile>')
    .replace(/\b(ldirectord|lvsd)\b(?= (for|is|stale))/g, '<daemon>')
    .replace(/\bpid: \d+/g, 'pid: <pid>');
}

export function cliMismatch(ld: CliResult, lv: CliResult, w: World): string[] {
  const out: string[] = [];
  if (ld.code !== lv.code) out.push(`exit ldirectord=${ld.code} lvsd=${lv.code}`);
  for (const stream of ['stdout', 'stderr'] as const) {
    const want = ld[stream].split('\n').filter(Boolean).map((l) => normal(l, w));
    const have = new Set(lv[stream].split('\n').filter(Boolean).map((l) => normal(l, w)));
    for (const l of want) if (!have.has(l)) out.push(`${stream}: ldirectord says "${l}", lvsd does not (lvsd: ${JSON.stringify(lv[stream].trim())})`);
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitUntil(cond: () => boolean | Promise<boolean>, ms: number, every = 100): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > end) return false;
    await sleep(every);
  }
}

const LD_CHECK = /^DEBUG2: Checking (?:negotiate|connect|connect \(ping\)|ping|external|external-perl|combined-connect): real server=(\S+)|^DEBUG2: Checking (on|off):/;
const LV_CHECK = /^Check (\S+): (?:up|down) /;

/** The fewest checks any real has had since line `from` (0 when none has been checked). */
export function checksSince(side: Side, from: number): number {
  const re = side.which === 'ldirectord' ? LD_CHECK : LV_CHECK;
  const count = new Map<string, number>();
  for (let i = from; i < side.lines.length; i++) {
    const m = re.exec(side.lines[i]!);
    if (!m) continue;
    const key = m[1] ?? m[2]!;
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  return count.size === 0 ? 0 : Math.min(...count.values());
}

function viewOf(side: Side, table: string[], from: number, mails: Mail[]): View {
  const raw = mails.filter((m) => m.from === side.which);
  return {
    table,
    log: catalogue(side.lines.slice(from)),
    mails: raw.flatMap((m) => m.events.map((e) => `${[...m.rcpt].sort().join(',')} [${m.status}] ${e}`)),
    raw,
    why: side.lines
      .slice(from)
      .filter((l) => WHY.test(l))
      .filter((l, i, all) => all.indexOf(l) === i)
      .slice(-30),
  };
}

/** lvsd's "Real server R (V) is down: reason" and ldirectord's debug verdicts. */
const WHY = /^Real server \S+ \(.*\) is (up|down): |^DEBUG2: (check_\w+: .* is (up|down)|Return status: |Disabled real server=|Enabled  real server=)/;

const eventOf = (mail: string): string => mail.replace(/^\S* \[\w+\] /, '');

/** ldirectord mails a re-added quiescent real as "Quiescent real server" (spec §7.18). */
function readdMailText(ld: View): void {
  for (const line of ld.log.filter((l) => l.startsWith('Readd Quiescent real server: '))) {
    const plain = line.replace(/^Readd /, '');
    const i = ld.mails.findIndex((m) => stripService(eventOf(m)) === plain);
    if (i >= 0) ld.mails[i] = ld.mails[i]!.replace(plain, line);
  }
}

/** Compare one step's views under the differences in force; `ld` is changed into lvsd's expectation. */
export function compareViews(step: StepSpec, ld: View, lv: View, w: World): string[] {
  const uses = (step.differences ?? []).map((d) => (typeof d === 'string' ? { id: d } : d));
  const ids = new Set<DifferenceId>([...ALWAYS, ...uses.map((u) => u.id)]);
  const out: string[] = [];
  for (const u of uses) out.push(...(u.apply?.(ld, lv, w) ?? []));
  if (ids.has('readd-mail-text')) readdMailText(ld);
  if (ids.has('stop-purge')) {
    ld.log = ld.log.filter((l) => !l.startsWith('Purged real server (stop): '));
    ld.mails = ld.mails.filter((m) => !stripService(eventOf(m)).startsWith('Purged real server (stop): '));
  }
  out.push(...mismatch('table', ld.table, lv.table));
  if (ids.has('start-churn') || ids.has('reload-minimal')) {
    const ldLog = ld.log.filter((l) => !isSoft(l));
    const lvLog = lv.log.filter((l) => !isSoft(l));
    out.push(...effectMismatch(ldLog, lvLog));
    out.push(...mismatch('log', ldLog.filter((l) => !effectOf(l)), lvLog.filter((l) => !effectOf(l))));
    // lvsd mails what it logs (ldirectord does too, churn included).
    out.push(...mismatch('lvsd mail vs its log', lv.log.filter(isMailed), lv.mails.map((m) => stripService(eventOf(m)))));
    const rcpt = (v: View) => [...new Set(v.mails.map((m) => m.split(' ', 1)[0]!))].sort().join(' ');
    if (lv.mails.length && ld.mails.length && rcpt(ld) !== rcpt(lv)) out.push(`mail recipients: ldirectord ${rcpt(ld)}, lvsd ${rcpt(lv)}`);
  } else {
    out.push(...mismatch('log', ld.log, lv.log));
    out.push(...mismatch('mail', ld.mails, lv.mails));
  }
  return out;
}

async function runStep(w: World, step: StepSpec): Promise<StepReport> {
  const began = Date.now();
  const marks = { ld: w.ld.lines.length, lv: w.lv.lines.length, mail: w.mail.mails.length };
  w.notes.length = 0;
  await step.act?.(w);
  // Checks are counted from the end of the act: one that takes long (a CLI under load) must not
  // count checks made before its signal or file edit arrived.
  const acted = { ld: w.ld.lines.length, lv: w.lv.lines.length };
  const notes = [...w.notes];
  const problems: string[] = [];
  const checks = step.checks ?? w.spec.checks ?? 3;
  if (step.stops) {
    const gone = await waitUntil(() => !w.ld.running && !w.lv.running, 60_000);
    if (!gone) problems.push(`settle: still running after stop: ${[w.ld, w.lv].filter((s) => s.running).map((s) => s.which).join(', ')}`);
    const [ldCode, lvCode] = await Promise.all([w.ld.exited, w.lv.exited]);
    if (ldCode !== lvCode) problems.push(`daemon exit: ldirectord=${ldCode} lvsd=${lvCode}`);
  } else if (checks > 0 && !w.stopped) {
    const ok = await waitUntil(() => checksSince(w.ld, acted.ld) >= checks && checksSince(w.lv, acted.lv) >= checks, 240_000, 200);
    if (!ok) problems.push(`settle: checks per real after 240 s: ldirectord ${checksSince(w.ld, acted.ld)}, lvsd ${checksSince(w.lv, acted.lv)} (wanted ${checks})`);
  }
  if (step.stops) w.stopped = true;
  for (const s of [w.ld, w.lv]) if (!w.stopped && !s.running) problems.push(`${s.which} is not running (exit ${s.child?.exitCode}): ${s.lines.slice(-5).join(' | ')}`);

  // Compare until both agree or the bound passes: lvsd mails after a coalescing window.
  const end = Date.now() + (step.convergeMs ?? 10_000);
  let report: StepReport;
  for (;;) {
    const [ldTable, lvTable] = await Promise.all([w.ld.table(), w.lv.table()]);
    const mails = w.mail.mails.slice(marks.mail);
    const ld = viewOf(w.ld, ldTable, marks.ld, mails);
    const lv = viewOf(w.lv, lvTable, marks.lv, mails);
    const shown = { ld: { ...ld, log: [...ld.log], mails: [...ld.mails] }, lv };
    const mismatches = [...problems, ...notes, ...compareViews(step, ld, lv, w)];
    const differences = [...new Set([...ALWAYS, ...(step.differences ?? []).map((d) => (typeof d === 'string' ? d : d.id))])];
    report = { name: step.name, ms: Date.now() - began, differences, mismatches, ld: shown.ld, lv: shown.lv };
    if (mismatches.length === 0 || Date.now() > end) break;
    await sleep(500);
  }
  return report;
}

export async function runCase(spec: CaseSpec): Promise<CaseReport> {
  const started = Date.now();
  const skipped = spec.skip?.();
  if (skipped) return { name: spec.name, title: spec.title, skipped, steps: [], ms: 0 };
  const w = new World(spec);
  const steps: StepReport[] = [];
  try {
    await w.mail.start();
    await spec.setup(w);
    for (const step of spec.steps) {
      const r = await runStep(w, step);
      steps.push(r);
      if (!w.stopped && (!w.ld.running || !w.lv.running)) break;
    }
    return { name: spec.name, title: spec.title, steps, ms: Date.now() - started };
  } catch (e) {
    return { name: spec.name, title: spec.title, steps, error: (e as Error).stack ?? String(e), ms: Date.now() - started };
  } finally {
    await w.cleanup();
  }
}

/** Run cases with at most `jobs` at a time; each report's promise resolves when its case is done. */
export function runAll(specs: CaseSpec[], jobs = Number(process.env.LVSD_COMPAT_JOBS ?? 2)): Map<string, Promise<CaseReport>> {
  const nets = new Set<number>();
  for (const s of specs) {
    if (nets.has(s.net)) throw new Error(`two cases on 127.${s.net}/16`);
    nets.add(s.net);
  }
  let free = Math.max(1, jobs);
  const waiting: (() => void)[] = [];
  const slot = async () => {
    if (free > 0) free--;
    else await new Promise<void>((r) => waiting.push(r));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return new Map(
    specs.map((s) => [
      s.name,
      (async () => {
        await slot();
        try {
          return await runCase(s);
        } finally {
          release();
        }
      })(),
    ]),
  );
}

/** The start step every scenario begins with. */
export const START: StepSpec = {
  name: 'start',
  act: (w) => w.startDaemons(),
  differences: ['start-churn'],
};

/** The stop step: both CLIs' `stop`; lvsd's returns once its daemon is gone. */
export const STOP: StepSpec = {
  name: 'stop',
  stops: true,
  checks: 0,
  differences: ['stop-purge', 'cli-stop-waits'],
  act: async (w) => {
    await w.both([w.cfg, 'stop'], (ld, lv) => {
      const out: string[] = [];
      if (ld.code !== 0 || lv.code !== 0) out.push(`exit ldirectord=${ld.code} lvsd=${lv.code} (both 0 expected)`);
      // cli-stop-waits: lvsd's stop returns after its daemon has removed the pid file.
      if (existsSync(w.lv.pidFile)) out.push('lvsd stop returned while its pid file was still there');
      return out;
    });
  },
};

