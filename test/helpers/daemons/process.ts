// Start and stop a real daemon for a test: spawn it in the foreground, wait (bounded) until it
// is ready, keep the tail of its output for failure messages, and make sure it dies with the test.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface DaemonOptions {
  name: string;
  cmd: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  /** ready when every one of these TCP ports accepts a connection… */
  tcp?: { host: string; port: number }[];
  /** …and/or when the daemon's output matches this. */
  output?: RegExp;
  /** bound on start-up (default 30 s: CI machines are slow and shared). */
  readySeconds?: number;
  /** how to ask it to stop (default SIGTERM); SIGKILL follows after 10 s. */
  stopSignal?: NodeJS.Signals;
}

export interface Daemon {
  readonly pid: number;
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(1000, () => done(false));
  });
}

export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const child = spawn(o.cmd, o.args, {
    cwd: o.cwd,
    env: o.env ?? process.env,
    uid: o.uid,
    gid: o.gid,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  const keep = (b: Buffer): void => {
    out = (out + b.toString('utf8')).slice(-16384);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, sig) => {
      exited = `exited (${sig ?? code})`;
      running.delete(child);
      resolve();
    });
    child.once('error', (e) => {
      exited = `failed to start: ${e.message}`;
      running.delete(child);
      resolve();
    });
  });

  let stopped = false;
  const daemon: Daemon = {
    pid: child.pid ?? -1,
    output: () => out,
    async stop() {
      if (stopped) return exit;
      stopped = true;
      if (exited) return;
      child.kill(o.stopSignal ?? 'SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(t);
    },
  };

  const deadline = Date.now() + (o.readySeconds ?? 30) * 1000;
  for (;;) {
    if (exited) throw new Error(`${o.name} ${exited} before it was ready:\n${out}`);
    const outputReady = !o.output || o.output.test(out);
    const tcpReady = outputReady && (await Promise.all((o.tcp ?? []).map((a) => accepts(a.host, a.port)))).every(Boolean);
    if (outputReady && tcpReady) return daemon;
    if (Date.now() > deadline) {
      await daemon.stop();
      throw new Error(`${o.name} not ready after ${o.readySeconds ?? 30}s:\n${out}`);
    }
    await sleep(100);
  }
}

/**
 * startDaemon for a daemon living in a throw-away directory: the directory is removed when the
 * start fails and after the daemon stops.
 */
export async function startDaemonIn(tmp: { remove: () => void }, o: DaemonOptions): Promise<() => Promise<void>> {
  let d: Daemon;
  try {
    d = await startDaemon(o);
  } catch (e) {
    tmp.remove();
    throw e;
  }
  return async () => {
    await d.stop();
    tmp.remove();
  };
}
