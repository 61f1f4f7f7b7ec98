// ldirectord's pid file contract (spec §5): one file per config, a pid counts as live only if
// that process is an lvsd. Claiming is atomic, so two daemons on one config cannot both start.
import { readFileSync, writeFileSync, unlinkSync, linkSync, renameSync, readlinkSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAbsolute, resolve } from 'node:path';

export type PidStatus = { state: 'running'; pid: number } | { state: 'stopped' } | { state: 'stale'; pid: number };

export function defaultPidFile(cfgname: string): string {
  return `/var/run/lvsd.${cfgname}.pid`;
}

function realpath(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/**
 * The files that are this program: the launcher beside this build and the script this process
 * was started as. Real paths, so /usr/sbin/ldirectord linked to lvsd is the same program.
 */
function ourPrograms(): Set<string> {
  const launcher = fileURLToPath(new URL('../../bin/lvsd.js', import.meta.url));
  const found = [launcher, process.argv[1]].map((p) => (p ? realpath(p) : undefined));
  return new Set(found.filter((p): p is string => p !== undefined));
}

/**
 * Whether `pid` runs this program: one of its arguments (the script node runs) is, after
 * symlinks, our launcher. Not a word in its command line: installed or linked as ldirectord,
 * the daemon has no "lvsd" in it, and an editor open on lvsd.cf is no daemon.
 */
function isLvsd(pid: number): boolean {
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return false;
  }
  let cwd: string | undefined;
  const ours = ourPrograms();
  return args.some((a) => {
    if (a.startsWith('-')) return false;
    if (!isAbsolute(a)) {
      try {
        cwd ??= readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        return false; // another user's process: its relative paths cannot be placed
      }
      a = resolve(cwd, a);
    }
    const real = realpath(a);
    return real !== undefined && ours.has(real);
  });
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

/**
 * Claim the pid file for `pid`; false when a live lvsd already holds it. The file is written
 * aside and hard-linked into place, so it never exists half-written: a rival reading it in
 * between would take an empty file for a stale one and claim it too.
 */
export function claimPidFile(path: string, pid: number): boolean {
  const mine = `${path}.${pid}.new`;
  writeFileSync(mine, `${pid}\n`, { mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, path);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const st = readPid(path);
        if (st.state === 'running') return st.pid === pid;
        removeStale(path, pid);
      }
    }
    return false;
  } finally {
    removePidFile(mine);
  }
}

/**
 * Take a stale pid file away. Two starters may both find it stale: each renames it aside (only
 * one gets it) and puts back what it moved if that turns out to be a fresh claim.
 */
function removeStale(path: string, pid: number): void {
  const aside = `${path}.${pid}.stale`;
  try {
    renameSync(path, aside);
  } catch {
    return; // already taken away
  }
  const moved = readPid(aside);
  if (moved.state === 'running') {
    try {
      linkSync(aside, path);
    } catch {
      // a third starter claimed it meanwhile; it is the one that runs
    }
  }
  removePidFile(aside);
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
