// The ipvsadm the daemons under test talk to: the repository's stand-in (test/bin/ipvsadm), either
// as it is (one Node process per invocation) or in the bench's fast mode (a C client that hands
// argv and stdin to one long-lived Node process running the same stand-in code; see
// ipvsadm-client.c). Also reads what the stand-in recorded: its own <state>.log (one line per
// invocation, with `ts`) and, in fast mode, the side log <state>.bench (rule lines and timing).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { ROOT } from './util.js';

export const STAND_IN = path.join(ROOT, 'test', 'bin', 'ipvsadm');
const CLIENT_SRC = path.join(ROOT, 'bench', 'lib', 'ipvsadm-client.c');
const SERVER = path.join(ROOT, 'bench', 'lib', 'standin-server.js');

/**
 * Start the fast stand-in in `dir`. Returns undefined (with the reason) when no C compiler is
 * available: the bench then uses the plain stand-in and says so.
 */
export async function startFastStandin(dir) {
  const client = path.join(dir, 'ipvsadm');
  try {
    execFileSync('cc', ['-O2', '-Wall', '-o', client, CLIENT_SRC], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    return { unavailable: `cannot build the fast ipvsadm client (needs cc: Debian package gcc): ${String(e.stderr ?? e.message).trim()}` };
  }
  const socket = path.join(dir, 'ipvsadm.sock');
  // An IPC channel only so that the server exits with the bench, however the bench ends.
  const child = spawn(process.execPath, [SERVER, socket, STAND_IN], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const [line] = await Promise.race([
    once(child.stdout, 'data'),
    once(child, 'exit').then(() => {
      throw new Error('the stand-in server exited at start');
    }),
  ]);
  if (!String(line).startsWith('ready')) throw new Error(`stand-in server: ${line}`);
  return {
    program: client,
    pid: child.pid,
    env: { LVSD_BENCH_IPVSADM_SOCK: socket },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** The stand-in's invocation log: [{pid, argv, ts, restoreLines?}]. */
export function invocations(state) {
  return readJsonLines(`${state}.log`);
}

/** The fast stand-in's side log: [{ts, done, argv, lines?}] with sub-ms epoch times. */
export function sideLog(state) {
  return readJsonLines(`${state}.bench`);
}

function readJsonLines(file) {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Does this invocation (argv, or one rule line of -R) take `real` (ip:port) out or to weight 0? */
export function removesReal(words, real) {
  const i = words.indexOf('-r');
  if (i < 0 || words[i + 1] !== real) return false;
  if (words.includes('-d')) return true;
  const w = words.indexOf('-w');
  return words.includes('-e') && w >= 0 && words[w + 1] === '0';
}

/**
 * For each real in `reals`, the first time at or after `since` the driver was told to remove or
 * quiesce it (side log: when the request reached the stand-in). Map real -> epoch ms.
 */
export function removalTimes(state, reals, since) {
  const want = new Set(reals);
  const found = new Map();
  for (const e of sideLog(state)) {
    if (e.ts < since) continue;
    const commands = e.lines ? e.lines.map((l) => l.trim().split(/\s+/)) : [e.argv];
    for (const words of commands) {
      const i = words.indexOf('-r');
      const real = i >= 0 ? words[i + 1] : undefined;
      if (!real || !want.has(real) || found.has(real)) continue;
      if (removesReal(words, real)) found.set(real, e.ts);
    }
  }
  return found;
}
