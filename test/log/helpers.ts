// Shared pieces of the log, alert and systemd tests: config fixtures, temp dirs, a bounded
// "eventually", and a bus that records the `log` events the subscribers emit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { DaemonBus } from '../../src/events/index.js';
import type { Config, GlobalSettings, RealServer, VirtualService } from '../../src/config/model.js';

const src = { file: '/etc/ha.d/test.cf', line: 1 };

export function real(address: string, port = 80, over: Partial<RealServer> = {}): RealServer {
  return { address, family: address.includes(':') ? 6 : 4, port, forward: 'gate', weight: 1, lower: 0, upper: 0, source: src, ...over };
}

export function virtual(over: Partial<VirtualService> = {}): VirtualService {
  return {
    source: src,
    family: 4,
    protocol: 'tcp',
    address: '10.0.0.1',
    port: 80,
    reals: [real('10.1.1.2'), real('10.1.1.3')],
    service: 'http',
    checktype: 'negotiate',
    checkcommand: '',
    request: '/',
    receive: 'Test Page',
    httpmethod: 'GET',
    login: '',
    passwd: '',
    database: '',
    secret: '',
    scheduler: 'wrr',
    ops: false,
    overrides: {},
    ...over,
  };
}

export function config(virtuals: VirtualService[], global: GlobalSettings = {}): Config {
  return { file: '/etc/ha.d/test.cf', format: 'cf', global, virtuals, warnings: [] };
}

export function tempDir(t: { teardown(fn: () => void): void }, prefix = 'lvsd-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Poll until `fn` returns a truthy value; rejects after `seconds` (a hang guard, not a speed test). */
export async function eventually<T>(fn: () => T | undefined | false | null, seconds = 10, what = 'condition'): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A bus whose `log` events are kept. */
export function recordingBus(): { bus: DaemonBus; logs: { level: string; message: string }[] } {
  const bus = new DaemonBus();
  const logs: { level: string; message: string }[] = [];
  bus.on('log', (e) => logs.push(e));
  return { bus, logs };
}

/** A writable that keeps what it is given (stdout/stderr of the logger). */
export function capture(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}
