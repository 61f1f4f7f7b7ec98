// ldirectord's pid file contract (spec §5): one file per config, a pid counts as live only if
// that process is an lvsd. Creation is exclusive, so two daemons on one config cannot both start.
import { readFileSync, writeFileSync, unlinkSync, openSync, closeSync, writeSync } from 'node:fs';

export type PidStatus = { state: 'running'; pid: number } | { state: 'stopped' } | { state: 'stale'; pid: number };

export function defaultPidFile(cfgname: string): string {
  return `/var/run/lvsd.${cfgname}.pid`;
}

function isLvsd(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('lvsd');
  } catch {
    return false;
  }
}

export function readPid(path: string): PidStatus {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { state: 'stopped' };
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) return { state: 'stale', pid: 0 };
  return isLvsd(pid) ? { state: 'running', pid } : { state: 'stale', pid };
}

/** Claim the pid file for `pid`; false when a live lvsd already holds it. */
export function claimPidFile(path: string, pid: number): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const st = readPid(path);
      if (st.state === 'running' && st.pid !== pid) return false;
      removePidFile(path); // stale: take it over
    }
  }
  return false;
}

export function rewritePidFile(path: string, pid: number): void {
  writeFileSync(path, `${pid}\n`);
}

export function removePidFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
