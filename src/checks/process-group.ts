// Runs a check program the safe way: argv array (no shell), a minimal environment, its own
// session/process group, output kept to a cap. When `signal` aborts (the check's timeout), the
// whole group gets SIGTERM and, after a grace period, SIGKILL — so grandchildren such as a
// `sleep` in a script die too. Stragglers left behind by a program that exited are killed.
import { spawn } from 'node:child_process';

export const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ProcessOutcome {
  /** exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved, at most `outputCap` bytes, decoded as UTF-8. */
  output: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  outputCap?: number;
  killGraceMs?: number;
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // ESRCH: the group is already gone.
  }
}

export function runProcessGroup(
  file: string,
  args: string[],
  signal: AbortSignal,
  { env = { PATH: SAFE_PATH }, outputCap = 4096, killGraceMs = 1000 }: RunOptions = {},
): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('aborted'));
    const child = spawn(file, args, { detached: true, env, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    const chunks: Buffer[] = [];
    let kept = 0;
    const keep = (b: Buffer): void => {
      // Keep reading past the cap (discarding) so the program never blocks on a full pipe.
      if (kept >= outputCap) return;
      const part = b.subarray(0, outputCap - kept);
      chunks.push(part);
      kept += part.length;
    };
    child.stdout.on('data', keep).on('error', () => {});
    child.stderr.on('data', keep).on('error', () => {});

    let escalation: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const pid = child.pid;
      killGroup(pid, 'SIGTERM');
      escalation = setTimeout(() => killGroup(pid, 'SIGKILL'), killGraceMs);
    };
    signal.addEventListener('abort', onAbort, { once: true });

    child.on('error', (e: NodeJS.ErrnoException) => {
      signal.removeEventListener('abort', onAbort);
      reject(new Error(`cannot run ${file}: ${e.code ?? e.message}`));
    });
    child.once('exit', (code, sig) => {
      signal.removeEventListener('abort', onAbort);
      if (child.pid !== undefined && escalation === undefined) killGroup(child.pid, 'SIGKILL');
      // Output may still be in flight; wait briefly for the pipes, not for escaped daemons.
      const done = (): void => {
        clearTimeout(wait);
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ code, signal: sig, output: Buffer.concat(chunks).toString('utf8') });
      };
      const wait = setTimeout(done, 200);
      child.once('close', done);
    });
  });
}

/** Text for a finished program: "exit status 2: <last output line>" or "killed by SIGKILL". */
export function describeOutcome(o: ProcessOutcome): string {
  const last = o.output.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
  const what = o.code !== null ? `exit status ${o.code}` : `killed by ${o.signal}`;
  return last ? `${what}: ${last.slice(0, 200)}` : what;
}
