// Shared by the IPVS tests: the ipvsadm stand-in (test/bin/ipvsadm) with a private table per test.
import { spawnSync } from 'node:child_process';
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
  return { dir, state, env: { ...process.env, LVSD_IPVS_STATE: state } };
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

/** The stand-in's invocation log: one entry per process. */
export function invocations(state: string): { argv: string[]; restoreLines?: number }[] {
  if (!existsSync(`${state}.log`)) return [];
  return readFileSync(`${state}.log`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
