// The two daemons under comparison, each in a directory of its own with its own copy of the
// stand-in ipvsadm (its table is `ipvsadm.state.json` beside the copy):
//
//   ldirectord -d CFG start   cwd ld/   (-d: it runs ./ipvsadm from its cwd, logs to stderr)
//   lvsd -d --ipvsadm lvsd/ipvsadm --pid-file lvsd/lvsd.pid CFG start
//
// ldirectord writes no pid file with -d (spec §5), so once it has started the harness writes
// /var/run/ldirectord.<cfgname>.pid for it: its own `status`, `reload` and `stop` then find it,
// exactly as they would find a daemon-mode ldirectord.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { LVSD, STAND_IN, cleanEnv, saved } from '../../helpers/lvsd.js';

export const LDIRECTORD = '/usr/sbin/ldirectord';
export type Which = 'ldirectord' | 'lvsd';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of both daemons and their CLIs: no tap hooks, no state file override. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e = cleanEnv(extra);
  delete e.LVSD_IPVS_STATE;
  delete e.PERLIO;
  return e;
}

/** Run a command to completion (bounded: killed after `ms`). */
export function run(cmd: string, args: string[], cwd: string, ms = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), ms);
    c.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + String(e) });
    });
    c.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Daemons still running and pid files planted, for the last resort below. */
const live = new Set<Side>();
// If the test process ends without its cleanup (a tap timeout), no daemon may outlive it.
process.once('exit', () => {
  for (const s of live) {
    s.child?.kill('SIGKILL');
    if (s.which === 'ldirectord') rmSync(s.pidFile, { force: true });
  }
});

/** One daemon's side of a case: its directory, its stand-in table, and (once started) its process. */
export class Side {
  readonly dir: string;
  readonly ipvsadm: string;
  readonly state: string;
  readonly pidFile: string;
  child?: ChildProcess;
  /** every line it wrote (stdout and stderr), in order. */
  readonly lines: string[] = [];
  exited?: Promise<number | null>;
  private partial = '';

  constructor(
    readonly which: Which,
    caseDir: string,
    readonly cfg: string,
  ) {
    this.dir = join(caseDir, which === 'ldirectord' ? 'ld' : 'lvsd');
    mkdirSync(this.dir, { recursive: true });
    this.ipvsadm = join(this.dir, 'ipvsadm');
    copyFileSync(STAND_IN, this.ipvsadm);
    this.state = join(this.dir, 'ipvsadm.state.json');
    this.pidFile = which === 'ldirectord' ? `/var/run/ldirectord.${basename(cfg)}.pid` : join(this.dir, 'lvsd.pid');
  }

  /** The CLI with this side's options: `ldirectord ARGS` or `lvsd --ipvsadm .. --pid-file .. ARGS`. */
  cli(args: string[]): Promise<CliResult> {
    if (this.which === 'ldirectord') return run(LDIRECTORD, args, this.dir);
    return run(process.execPath, [LVSD, '--ipvsadm', this.ipvsadm, '--pid-file', this.pidFile, ...args], this.dir);
  }

  /** Start the daemon in the foreground with debug output (see the file comment); `extra`: more environment. */
  start(extra: Record<string, string> = {}): void {
    const child =
      this.which === 'ldirectord'
        ? spawn(LDIRECTORD, ['-d', this.cfg, 'start'], { cwd: this.dir, env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(process.execPath, [LVSD, '-d', '--ipvsadm', this.ipvsadm, '--pid-file', this.pidFile, this.cfg, 'start'], {
            cwd: this.dir,
            env: env(extra),
            stdio: ['ignore', 'pipe', 'pipe'],
          });
    this.child = child;
    live.add(this);
    const take = (d: Buffer) => {
      const text = this.partial + d.toString();
      const parts = text.split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    this.exited = new Promise((r) =>
      child.on('close', (code) => {
        if (this.partial) this.lines.push(this.partial);
        this.partial = '';
        r(code);
      }),
    );
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** ldirectord -d writes no pid file: write the one its CLI looks for, once it is past its own start-up check. */
  plantPidFile(): void {
    if (this.which === 'ldirectord' && this.child?.pid) writeFileSync(this.pidFile, `${this.child.pid}\n`);
  }

  private last?: { json: string; lines: string[] };

  /** `ipvsadm -S -n` of this side's table, sorted (the stand-in runs only when its state file changed). */
  async table(): Promise<string[]> {
    const json = await readFile(this.state, 'utf8').catch(() => '');
    if (this.last && this.last.json === json) return this.last.lines;
    const lines = await saved(this.state);
    this.last = { json, lines };
    return lines;
  }

  /** Stop whatever is left (bounded) and remove the pid file planted for ldirectord. */
  async kill(): Promise<void> {
    const c = this.child;
    if (c && this.running) {
      c.kill('SIGTERM');
      const killer = setTimeout(() => c.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(killer);
    }
    if (this.which === 'ldirectord' && existsSync(this.pidFile)) rmSync(this.pidFile, { force: true });
    live.delete(this);
  }
}
