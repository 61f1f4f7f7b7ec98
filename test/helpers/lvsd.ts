// Test harness: real HTTP servers on loopback, the real lvsd binary, the stand-in ipvsadm.
import type { Test } from 'tap';
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const LVSD = join(ROOT, 'bin', 'lvsd.js');
export const STAND_IN = join(ROOT, 'test', 'bin', 'ipvsadm');

/**
 * The environment for the daemon under test: ours without tap's loader and coverage hooks, which
 * would otherwise ride along in NODE_OPTIONS and change how the daemon handles signals.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (k !== 'NODE_OPTIONS' && !k.startsWith('_TAPJS') && !k.startsWith('TAP_')) env[k] = v;
  return { ...env, ...extra };
}

/** A real HTTP server that can be stopped and started again on the same address. */
export class RealServer {
  server?: Server;
  port = 0;
  body = 'OK';
  status = 200;
  constructor(readonly host: string) {}

  async start(): Promise<this> {
    const srv = createServer((_req, res) => {
      res.writeHead(this.status, { 'content-type': 'text/plain' });
      res.end(this.body);
    });
    await new Promise<void>((ok, fail) => {
      srv.once('error', fail);
      srv.listen(this.port, this.host, () => ok());
    });
    this.port = (srv.address() as AddressInfo).port;
    this.server = srv;
    return this;
  }

  async stop(): Promise<void> {
    const srv = this.server;
    this.server = undefined;
    if (!srv) return;
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
  }

  get addr(): string {
    return `${this.host}:${this.port}`;
  }
}

export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'lvsd-test-'));
  file(name: string, text?: string): string {
    const p = join(this.path, name);
    if (text !== undefined) writeFileSync(p, text);
    return p;
  }
  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Run the stand-in ipvsadm against a state file, as lvsd would. */
export function ipvsadm(state: string, args: string[], input?: string): string {
  return execFileSync(STAND_IN, args, { env: cleanEnv({ LVSD_IPVS_STATE: state }), input, encoding: 'utf8' });
}

/**
 * `ipvsadm -S -n` lines, sorted, for comparing tables. Asynchronous on purpose: the real servers
 * live in the test process, and a blocking call would stall them into failing their checks.
 */
export async function saved(state: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(STAND_IN, ['-S', '-n'], { env: cleanEnv({ LVSD_IPVS_STATE: state }) });
  return stdout.split('\n').filter(Boolean).sort();
}

/** The weight of `real` under `vip` in the stand-in's table, or undefined if absent. */
export async function weightOf(state: string, vip: string, real: string): Promise<number | undefined> {
  const line = (await saved(state)).find((l) => l.includes(` ${vip} `) && l.includes(` -r ${real} `));
  const m = line?.match(/ -w (\d+)/);
  return m ? Number(m[1]) : undefined;
}

/** Weights of several reals under `vip` from one read. */
export async function weightsOf(state: string, vip: string, reals: string[]): Promise<(number | undefined)[]> {
  const lines = await saved(state);
  return reals.map((real) => {
    const m = lines.find((l) => l.includes(` ${vip} `) && l.includes(` -r ${real} `))?.match(/ -w (\d+)/);
    return m ? Number(m[1]) : undefined;
  });
}

/** The invocations the stand-in logged (one line each). */
export function invocations(state: string): string[] {
  const log = `${state}.log`;
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
}

/** The stand-in's runs from the `from`-th on, as words: each command, then each line of its -R batch (lvsd writes through -R). */
export function ipvsadmWords(state: string, from = 0): string[][] {
  return invocations(state).slice(from).flatMap((l) => {
    const { argv, restore = [] } = JSON.parse(l) as { argv: string[]; restore?: string[][] };
    return [argv, ...restore];
  });
}

/** The daemon's process, as daemon() starts it: `[wrapper...] node bin/lvsd.js ARGS`, its output gathered. */
export class LvsdProcess {
  readonly child: ChildProcess;
  out = '';
  exit: Promise<number | null>;
  constructor(args: string[], env: Record<string, string> = {}, wrapper: string[] = []) {
    const [cmd, ...pre] = [...wrapper, process.execPath];
    this.child = spawn(cmd!, [...pre, LVSD, ...args], {
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exit = new Promise((r) => this.child.on('exit', (code) => r(code)));
  }

  /** Wait until the daemon has written `text` (its log line follows the kernel write it reports). */
  async logged(text: string): Promise<void> {
    await waitFor(`log line "${text}"`, () => this.out.includes(text));
  }

  /** Signal the daemon and wait for it; one still running 60 s later is killed and the exit is null (a bound for a loaded machine, where each stand-in ipvsadm call starts Node). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exit;
    this.child.kill(signal);
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 60000);
    const code = await this.exit;
    clearTimeout(killer);
    return code;
  }
}

/**
 * Poll `cond` every 50 ms until it holds; fails after `ms` (a bound against hangs, not a timing
 * assertion). 60 s by default: with the CPUs saturated a daemon's start (Node, its checks, two
 * stand-in ipvsadm runs of a Node start each) took over 20 s here (README, "Under load").
 */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Run the CLI to completion. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const c = spawn(process.execPath, [LVSD, ...args], { env: cleanEnv(env) });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

export interface Setup {
  dir: TempDir;
  state: string;
  cfgPath: string;
  pidFile: string;
  lvsd: LvsdProcess;
}

export interface DaemonOptions {
  /** options before the config path (e.g. -d, --ipvs auto, --control-socket PATH), after -f. */
  flags?: string[];
  /** start with -f (default); false for runs that give only their own flags (e.g. just -d). */
  foreground?: boolean;
  env?: Record<string, string>;
  /** the directory for the files below (default: a new one); removed at teardown either way. */
  dir?: TempDir;
  /** the pid file and the stand-in's state file (default: lvsd.pid and ipvs.json in `dir`). */
  pidFile?: string;
  state?: string;
  /** a program and its arguments to start the daemon through (setpriv, faketime). */
  wrapper?: string[];
}

/**
 * The one way tests start the real daemon: `lvsd -f FLAGS --ipvsadm <stand-in> --pid-file PID
 * CONFIG start`, on `config` (text written to lvsd.cf in the directory, or a file already in
 * place), with the stand-in ipvsadm's table in `state`. Stopped and its directory removed at
 * teardown.
 */
export function daemon(t: Test, config: string | { file: string }, opts: DaemonOptions = {}): Setup {
  const dir = opts.dir ?? new TempDir();
  const state = opts.state ?? dir.file('ipvs.json');
  const cfgPath = typeof config === 'string' ? dir.file('lvsd.cf', config) : config.file;
  const pidFile = opts.pidFile ?? dir.file('lvsd.pid');
  const args = [...(opts.foreground === false ? [] : ['-f']), ...(opts.flags ?? []), '--ipvsadm', STAND_IN, '--pid-file', pidFile, cfgPath, 'start'];
  const lvsd = new LvsdProcess(args, { LVSD_IPVS_STATE: state, ...opts.env }, opts.wrapper);
  t.teardown(async () => {
    // a test may leave it stopped (SIGSTOP): it must be able to act on the TERM
    lvsd.child.kill('SIGCONT');
    await lvsd.stop();
    dir.remove();
  });
  return { dir, state, cfgPath, pidFile, lvsd };
}
