// Opt-in timing trace for the benchmark (bench/): with LVSD_BENCH_TRACE=<file> the daemon appends
// one line per finished check and one per pipeline event. Unset (always, outside the bench), the
// exported `benchTrace` is undefined and callers skip it with one check.
//   C <due> <started> <duration> <ok 0|1>        times in epoch ms; due is when the check was scheduled
//   E <at> <event> <detail>                       state changes, reloads, applied change sets
import { closeSync, openSync, writeSync } from 'node:fs';
import type { DaemonBus } from '../events/index.js';

export interface BenchTrace {
  check(dueMs: number, startedMs: number, endedMs: number, ok: boolean): void;
  attach(bus: DaemonBus): void;
}

function open(path: string): BenchTrace {
  const fd = openSync(path, 'a');
  const origin = performance.timeOrigin;
  let lines: string[] = [];
  const flush = (): void => {
    if (lines.length === 0) return;
    writeSync(fd, lines.join(''));
    lines = [];
  };
  // Buffered so that tracing 10,000 checks a second costs a few writes, not 10,000.
  setInterval(flush, 200).unref();
  process.on('exit', () => {
    flush();
    closeSync(fd);
  });
  const event = (name: string, detail: string | number): void => {
    lines.push(`E ${(origin + performance.now()).toFixed(1)} ${name} ${detail}\n`);
    flush();
  };
  return {
    check(due, started, ended, ok) {
      lines.push(`C ${(origin + due).toFixed(1)} ${(origin + started).toFixed(1)} ${(ended - started).toFixed(1)} ${ok ? 1 : 0}\n`);
      if (lines.length >= 8192) flush();
    },
    attach(bus) {
      bus.on('state', (e) => event('state', e.state));
      bus.on('reload', (e) => event('reload', e.ok ? 'ok' : 'failed'));
      bus.on('applied', (e) => event('applied', e.changes));
    },
  };
}

export const benchTrace: BenchTrace | undefined = process.env.LVSD_BENCH_TRACE ? open(process.env.LVSD_BENCH_TRACE) : undefined;
