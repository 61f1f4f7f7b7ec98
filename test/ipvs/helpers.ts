// Shared by the IPVS tests: the ipvsadm stand-in (test/bin/ipvsadm) with a private table per test.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const STANDIN = fileURLToPath(new URL('../bin/ipvsadm', import.meta.url));

export interface Sandbox {
  dir: string;
  state: string;
  env: NodeJS.ProcessEnv;
}

/** A temp dir holding one stand-in table; removed when the test ends. */
export function sandbox(t: { teardown(fn: () => void): void }): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'lvsd-ipvs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const state = join(dir, 'table.json');
  return { dir, state, env: standinEnv({ LVSD_IPVS_STATE: state }) };
}

/**
 * This process's environment for running the stand-in, without NODE_OPTIONS: under tap it
 * loads @tapjs/processinfo into every node child, which made each stand-in run several times
 * slower (no coverage is collected from the stand-in anyway).
 */
export function standinEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function ipvsadm(sb: Sandbox, args: string[], input?: string, program = STANDIN): Run {
  const r = spawnSync(program, args, { env: sb.env, input: input ?? '', encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The stand-in's invocation log: one entry per invocation. */
export function invocations(state: string): { pid: number; ts: number; argv: string[]; restoreLines?: number }[] {
  if (!existsSync(`${state}.log`)) return [];
  return readFileSync(`${state}.log`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

export interface BatchRequest {
  args: string[];
  stdin?: string;
}

/**
 * Many stand-in invocations in ONE process (LVSD_IPVS_BATCH=1), in order, on the table of env:
 * each result is what a separate `ipvsadm ARGS < stdin` would have given.
 */
export function standinBatch(env: NodeJS.ProcessEnv, requests: BatchRequest[], program = STANDIN): Run[] {
  const r = spawnSync(program, [], {
    env: { ...env, LVSD_IPVS_BATCH: '1' },
    input: requests.map((q) => JSON.stringify(q)).join('\n'),
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`stand-in batch failed (exit ${r.status}): ${r.stderr}`);
  const results = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { status: number; stdout: string; stderr: string });
  if (results.length !== requests.length) throw new Error(`stand-in batch gave ${results.length} results for ${requests.length} requests`);
  return results.map((x) => ({ code: x.status, stdout: x.stdout, stderr: x.stderr }));
}

/**
 * One stand-in process (LVSD_IPVS_BATCH=1) kept for a test: run(args, stdin) gives what a
 * separate `ipvsadm ARGS < stdin` would, on sb's table, without a node start per call.
 * The process is ended when the test ends.
 */
export function standinSession(t: { teardown(fn: () => void): void }, sb: Sandbox, program = STANDIN): (args: string[], stdin?: string) => Promise<Run> {
  const child = spawn(program, [], { env: { ...sb.env, LVSD_IPVS_BATCH: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
  const waiting: { resolve(r: Run): void; reject(e: Error): void }[] = [];
  let out = '';
  let err = '';
  let ended: Error | undefined;
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => { err += c; });
  child.stdout.on('data', (c: string) => {
    out += c;
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const x = JSON.parse(out.slice(0, nl)) as { status: number; stdout: string; stderr: string };
      out = out.slice(nl + 1);
      waiting.shift()?.resolve({ code: x.status, stdout: x.stdout, stderr: x.stderr });
    }
  });
  const fail = (e: Error): void => {
    ended = e;
    for (const w of waiting.splice(0)) w.reject(e);
  };
  child.on('error', fail);
  child.on('close', (code, signal) => fail(new Error(`stand-in session ended (${signal ?? `exit ${code}`}): ${err}`)));
  child.stdin.on('error', () => {}); // the close handler reports why
  t.teardown(() => {
    child.stdin.end();
    child.kill();
  });
  return (args, stdin = '') => new Promise<Run>((resolve, reject) => {
    if (ended) return reject(ended);
    waiting.push({ resolve, reject });
    child.stdin.write(`${JSON.stringify({ args, stdin })}\n`);
  });
}
