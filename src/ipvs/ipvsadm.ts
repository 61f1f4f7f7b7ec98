// IPVS through the ipvsadm program (1.31 semantics).
//
// read():  `ipvsadm -S -n` gives services, forwarding and weights; -S does not print the -x/-y
//          thresholds, so a second `ipvsadm -L -n --thresholds` supplies them (skip it with
//          readThresholds: false when no threshold is ever configured). If the two listings do
//          not show the same entries (the table changed in between) the pair is read again once.
// apply(): ONE `ipvsadm -R` fed every rule line on stdin. ipvsadm -R prints a kernel error and
//          goes on with the next line, and its exit status is the last line's, so success is
//          judged by stderr, not by the status. A line ipvsadm cannot parse stops -R (exit 2):
//          such changes are refused here before anything is sent (validateChange). After any
//          error the table is read back and each change checked, so ApplyResult names exactly
//          the changes that did not take effect.
// Processes are spawned from an argv array (never a shell), in their own process group, and
// killed with the group when they outlive the timeout.
import { spawn } from 'node:child_process';
import {
  changeToRule,
  kernelDestPort,
  mergeThresholds,
  normalizeAttrs,
  parseListThresholds,
  parseSave,
  sameShape,
  validateChange,
} from './rules.js';
import { IpvsError, serviceKeyString } from './types.js';
import type { ApplyResult, Change, IpvsDriver, Service, ServiceKey, SyncDaemon, SyncDaemonControl, SyncState, Table } from './types.js';

export interface IpvsadmDriverOptions {
  /** the ipvsadm program (default /sbin/ipvsadm) */
  path?: string;
  /**
   * hard limit for one ipvsadm process, in ms (default 10000); after a run killed at it, the next
   * runs get twice as long each, up to 6x, until one finishes (a starved machine, not a hang).
   */
  timeoutMs?: number;
  /** read -x/-y thresholds with a second process (default true) */
  readThresholds?: boolean;
  /** environment for the child (default: this process's) */
  env?: NodeJS.ProcessEnv;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** ipvsadm's own message when the kernel has no IPVS (fail() in main, exit 2). */
const INIT_FAILED = /^Can't initialize ipvs/;
const MAX_OUTPUT = 64 * 1024 * 1024;
const MAX_BOUND_FACTOR = 6;

export class IpvsadmDriver implements IpvsDriver {
  readonly name = 'ipvsadm';
  private readonly path: string;
  private readonly timeoutMs: number;
  /** the bound for the next run: timeoutMs, grown after runs killed at it. */
  private boundMs: number;
  private readonly readThresholds: boolean;
  private readonly env: NodeJS.ProcessEnv | undefined;

  constructor(opts: IpvsadmDriverOptions = {}) {
    this.path = opts.path ?? '/sbin/ipvsadm';
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.boundMs = this.timeoutMs;
    this.readThresholds = opts.readThresholds ?? true;
    this.env = opts.env;
  }

  /** `--start-daemon`, `--stop-daemon` and `-L -n --daemon`; a failure carries ipvsadm's message. */
  readonly sync: SyncDaemonControl = {
    readDaemons: async () => parseDaemons(this.checked(await this.run(['-L', '-n', '--daemon']), '-L -n --daemon')),
    startDaemon: async (d) => this.daemonCommand(daemonArgs(d)),
    stopDaemon: async (state) => this.daemonCommand(['--stop-daemon', state]),
  };

  private async daemonCommand(args: string[]): Promise<void> {
    const r = await this.run(args);
    if (r.code !== 0) throw new IpvsError(r.stderr.trim().split('\n').join(' / ') || `ipvsadm ${args.join(' ')} failed (exit ${r.code})`);
  }

  async read(): Promise<Table> {
    for (let attempt = 0; ; attempt++) {
      const table = parseSave(this.checked(await this.run(['-S', '-n']), '-S -n'));
      if (!this.readThresholds) return table;
      const th = parseListThresholds(this.checked(await this.run(['-L', '-n', '--thresholds']), '-L -n --thresholds'));
      if (sameShape(table, th) || attempt >= 1) return mergeThresholds(table, th);
    }
  }

  async apply(changes: Change[]): Promise<ApplyResult> {
    const failed: ApplyResult['failed'] = [];
    const sent: Change[] = [];
    for (const c of changes) {
      const refused = validateChange(c);
      if (refused) failed.push({ change: c, error: `ipvsadm refuses the line: ${refused}` });
      else sent.push(c);
    }
    if (sent.length === 0) return { failed };
    const r = await this.run(['-R'], sent.map((c) => `${changeToRule(c)}\n`).join(''));
    const messages = r.stderr.split('\n').filter((l) => l.trim() !== '');
    if (r.code === 0 && messages.length === 0) return { failed };
    if (messages.some((m) => INIT_FAILED.test(m))) throw new IpvsError(`ipvsadm -R failed: ${messages.join(' / ')}`);
    failed.push(...(await this.attribute(sent, r.code, messages)));
    return { failed };
  }

  /** Which of the sent changes failed, each with the ipvsadm message that belongs to it. */
  private async attribute(sent: Change[], code: number, messages: string[]): Promise<ApplyResult['failed']> {
    const all = messages.join(' / ');
    let table: Table;
    try {
      table = await this.read();
    } catch (e) {
      return sent.map((change) => ({ change, error: `${all} (table not readable afterwards: ${(e as Error).message})` }));
    }
    // A usage error (exit 2) is the last message and stops -R; the others are kernel errors, one
    // per failing line, in line order.
    const stopped = code === 2;
    const kernelMessages = stopped ? messages.slice(0, -1) : messages;
    const checkable = new Set(lastPerObject(sent));
    const notInEffect = sent.map((c) => checkable.has(c) && !holds(c, table, this.readThresholds));
    const plan = stopped ? findStop(kernelMessages, sent, notInEffect) : { stopAt: sent.length, match: matchMessages(kernelMessages, sent, notInEffect) };
    if (!plan?.match) return sent.filter((_, i) => notInEffect[i]).map((change) => ({ change, error: all }));
    const usage = messages[messages.length - 1];
    const failed: ApplyResult['failed'] = [];
    sent.forEach((change, i) => {
      const m = plan.match!.get(i);
      if (m !== undefined) failed.push({ change, error: m });
      else if (i === plan.stopAt) failed.push({ change, error: usage! });
      else if (i > plan.stopAt) failed.push({ change, error: `not applied: ipvsadm -R stopped at an earlier line (${usage})` });
      else if (notInEffect[i]) failed.push({ change, error: `not in the table after ipvsadm -R (${all})` });
    });
    return failed;
  }

  private checked(r: RunResult, what: string): string {
    if (r.code !== 0) throw new IpvsError(`ipvsadm ${what} failed (exit ${r.code}): ${r.stderr.trim() || 'no message'}`);
    return r.stdout;
  }

  private run(args: string[], input?: string): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      let child;
      try {
        child = spawn(this.path, args, { env: this.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      } catch (e) {
        reject(new IpvsError(`cannot run ${this.path}: ${(e as Error).message}`));
        return;
      }
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let size = 0;
      let timedOut = false;
      const bound = this.boundMs;
      const killGroup = (): void => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        this.boundMs = Math.min(bound * 2, this.timeoutMs * MAX_BOUND_FACTOR);
        killGroup();
      }, bound);
      const collect = (into: Buffer[]) => (b: Buffer): void => {
        size += b.length;
        if (size > MAX_OUTPUT) killGroup();
        else into.push(b);
      };
      child.stdout.on('data', collect(out));
      child.stderr.on('data', collect(err));
      child.stdin.on('error', () => {}); // ipvsadm may exit without reading (no IPVS): EPIPE
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new IpvsError(`cannot run ${this.path}: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const cmd = `${this.path} ${args.join(' ')}`;
        if (timedOut) reject(new IpvsError(`${cmd} did not finish within ${bound} ms and was killed`));
        else if (size > MAX_OUTPUT) reject(new IpvsError(`${cmd} printed more than ${MAX_OUTPUT} bytes and was killed`));
        else if (code === null) reject(new IpvsError(`${cmd} was killed by ${signal}`));
        else {
          this.boundMs = this.timeoutMs; // it answers again
          resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
        }
      });
      child.stdin.end(input ?? '');
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The sync daemon.

/** ipvsadm's arguments for one daemon (the optional settings only when given). */
export function daemonArgs(d: SyncDaemon): string[] {
  const args = ['--start-daemon', d.state, '--mcast-interface', d.ifname, '--syncid', String(d.syncid)];
  if (d.group !== undefined) args.push('--mcast-group', d.group);
  if (d.port !== undefined) args.push('--mcast-port', String(d.port));
  if (d.ttl !== undefined) args.push('--mcast-ttl', String(d.ttl));
  if (d.maxlen !== undefined) args.push('--sync-maxlen', String(d.maxlen));
  return args;
}

const DAEMON_LINE = /^(master|backup) sync daemon \(mcast=(.*?), syncid=(\d+)((?:, [a-z]+=[^,)]*)*)\)$/;

/**
 * `-L --daemon` lines (list_daemon in ipvsadm.c), e.g. `master sync daemon (mcast=eth1,
 * syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)`; older kernels give only mcast
 * and syncid. Lines of another shape are skipped.
 */
export function parseDaemons(text: string): SyncDaemon[] {
  const out: SyncDaemon[] = [];
  for (const line of text.split('\n')) {
    const m = DAEMON_LINE.exec(line.trim());
    if (!m) continue;
    const d: SyncDaemon = { state: m[1] as SyncState, ifname: m[2]!, syncid: Number(m[3]) };
    for (const part of m[4]!.split(', ').slice(1)) {
      const [k, v = ''] = part.split('=');
      if (k === 'group') d.group = v;
      else if (k === 'maxlen' || k === 'port' || k === 'ttl') d[k] = Number(v);
    }
    out.push(d);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checking a change against the table read back afterwards.

function objectId(c: Change): string {
  const svc = serviceKeyString(c.service);
  if (c.op === 'add-service' || c.op === 'edit-service' || c.op === 'del-service') return svc;
  if (c.op === 'del-dest') return `${svc}|${c.address}|${c.port}`;
  return `${svc}|${c.dest.address}|${kernelDestPort(c.service, c.dest.forward, c.dest.port)}`;
}

/** Only the last change to each service or destination can be checked against the final table. */
function lastPerObject(changes: Change[]): Change[] {
  const last = new Map<string, Change>();
  for (const c of changes) last.set(objectId(c), c);
  return changes.filter((c) => last.get(objectId(c)) === c);
}

/** The changes each kernel error text can come from (libipvs ipvs_strerror); others: any. */
const MESSAGE_OPS: Record<string, Change['op'][]> = {
  'Service already exists': ['add-service'],
  'Scheduler or persistence engine not found': ['add-service', 'edit-service'],
  'No such service': ['edit-service', 'del-service'],
  'Service not defined': ['add-dest', 'edit-dest', 'del-dest'],
  'Destination already exists': ['add-dest'],
  'No such destination': ['edit-dest', 'del-dest'],
  'Numerical result out of range': ['add-dest', 'edit-dest'],
};

/**
 * Pairs messages with changes, keeping both in order and only where the change can produce the
 * message; among such pairings the one covering the most changes not in effect afterwards.
 * Returns change index -> message, or undefined when no pairing exists.
 */
function matchMessages(messages: string[], changes: Change[], notInEffect: boolean[]): Map<number, string> | undefined {
  const m = messages.length;
  const n = changes.length;
  const can = (i: number, j: number): boolean => MESSAGE_OPS[messages[i]!]?.includes(changes[j]!.op) ?? true;
  const NO = -1;
  // best[i][j]: best score pairing the first i messages within the first j changes
  const best = Array.from({ length: m + 1 }, (_, i) => Array<number>(n + 1).fill(i === 0 ? 0 : NO));
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const skip = best[i]![j - 1]!;
      const take = can(i - 1, j - 1) && best[i - 1]![j - 1]! !== NO ? best[i - 1]![j - 1]! + (notInEffect[j - 1] ? 1 : 0) : NO;
      best[i]![j] = Math.max(skip, take);
    }
  }
  if (best[m]![n] === NO) return undefined;
  // walk back taking the latest line that keeps the best score: of two equal lines (the same
  // destination added twice) it is the second that fails
  const out = new Map<number, string>();
  for (let i = m, j = n; i > 0; j--) {
    const take = can(i - 1, j - 1) && best[i - 1]![j - 1]! !== NO ? best[i - 1]![j - 1]! + (notInEffect[j - 1] ? 1 : 0) : NO;
    if (take !== NO && take === best[i]![j]) {
      out.set(j - 1, messages[i - 1]!);
      i--;
    }
  }
  return out;
}

/**
 * -R stopped at a usage error: the stop line is a change not in effect, with every kernel message
 * explained by the lines before it. Prefers the first line where all earlier changes not in
 * effect are explained too.
 */
function findStop(messages: string[], changes: Change[], notInEffect: boolean[]): { stopAt: number; match: Map<number, string> } | undefined {
  let fallback: { stopAt: number; match: Map<number, string> } | undefined;
  for (let s = 0; s < changes.length; s++) {
    if (!notInEffect[s]) continue;
    const match = matchMessages(messages, changes.slice(0, s), notInEffect.slice(0, s));
    if (!match) continue;
    if (notInEffect.slice(0, s).every((bad, i) => !bad || match.has(i))) return { stopAt: s, match };
    fallback ??= { stopAt: s, match };
  }
  return fallback;
}

function findService(t: Table, k: ServiceKey): Service | undefined {
  const id = serviceKeyString(k);
  return t.services.find((s) => serviceKeyString(s.key) === id);
}

function holds(c: Change, t: Table, withThresholds: boolean): boolean {
  const s = findService(t, c.service);
  switch (c.op) {
    case 'del-service':
      return !s;
    case 'add-service':
    case 'edit-service':
      return !!s && JSON.stringify(normalizeAttrs(s.key, s)) === JSON.stringify(normalizeAttrs(c.service, c.attrs));
    case 'del-dest':
      return !s || !s.dests.some((d) => d.address === c.address && d.port === c.port);
    default: {
      const port = kernelDestPort(c.service, c.dest.forward, c.dest.port);
      const d = s?.dests.find((x) => x.address === c.dest.address && x.port === port);
      return !!d && d.forward === c.dest.forward && d.weight === c.dest.weight
        && (!withThresholds || (d.upper === c.dest.upper && d.lower === c.dest.lower));
    }
  }
}
