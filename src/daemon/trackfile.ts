// Pool health for keepalived (trackfile=, lvsd extension): one integer and a newline, written by
// rename. `0` while every virtual service has at least one healthy real server (a fallback does
// not count), `1` otherwise. keepalived's `track_file NAME { file "PATH" }` with a negative weight
// in the vrrp_instance lowers this director's priority below its healthy peer's, so the VIP moves.
// Written once the daemon runs (after the first round of checks), on every change, and set to 1
// at stop: a director that no longer checks has no healthy pool to offer.
import { unlinkSync } from 'node:fs';
import type { Daemon } from './daemon.js';
import { atomicWrite } from './atomic-write.js';

/** 0 when every virtual service has a real server up, else 1. */
export function poolHealth(daemon: Pick<Daemon, 'config' | 'book'>): 0 | 1 {
  const up = new Set(daemon.book.all().filter((b) => daemon.book.health(b) === 'up').map((b) => b.virtual));
  return daemon.config.virtuals.every((v) => up.has(v)) ? 0 : 1;
}

export interface TrackFile {
  /** write 1 (the daemon stops) and stop listening. */
  close(): void;
}

export function attachTrackFile(daemon: Daemon, onError: (message: string) => void): TrackFile {
  const bus = daemon.bus;
  let path: string | undefined;
  let written: string | undefined;
  let failed = false;
  const write = (value: 0 | 1): void => {
    const want = daemon.config.global.trackfile;
    if (want !== path) {
      // trackfile= moved (or went) with a reload: the old file no longer speaks for this daemon
      if (path) remove(path);
      path = want;
      written = undefined;
    }
    if (!path || written === `${value}`) return;
    try {
      atomicWrite(path, `${value}\n`);
      written = `${value}`;
      if (failed) onError(`trackfile ${path} written again`);
      failed = false;
    } catch (e) {
      // said once per failing spell, retried at the next change or check round
      if (!failed) onError(`cannot write trackfile ${path}: ${(e as Error).message}`);
      failed = true;
    }
  };
  let running = false;
  const update = (): void => {
    if (running) write(poolHealth(daemon));
  };
  const onState = (e: { state: string }): void => {
    if (e.state === 'running') running = true;
    if (e.state === 'stopping') running = false;
    if (e.state === 'running' || e.state === 'reloading') update();
  };
  bus.on('state', onState);
  bus.on('applied', update);
  bus.on('transition', update);
  return {
    close: () => {
      bus.off('state', onState);
      bus.off('applied', update);
      bus.off('transition', update);
      running = false;
      write(1);
    },
  };
}

function remove(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
