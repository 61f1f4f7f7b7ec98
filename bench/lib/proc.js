// What a process costs, from /proc: CPU of the process itself (utime+stime), CPU of its waited-for
// children (cutime+cstime: for the daemons, their ipvsadm processes), peak RSS (VmHWM).
import fs from 'node:fs';

const TICK = 100; // USER_HZ on Linux

/** /proc/<pid>/<file> as text, or undefined once the process is gone. */
function readProc(pid, file) {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** {self, children} CPU seconds of pid, or undefined when it is gone. */
export function cpuOf(pid) {
  const text = readProc(pid, 'stat');
  if (text === undefined) return undefined;
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i) => Number(f[i - 3]); // f[0] is field 3 (state)
  return { self: (n(14) + n(15)) / TICK, children: (n(16) + n(17)) / TICK };
}

/** VmHWM and VmRSS in MB, or undefined when the process is gone. */
export function memOf(pid) {
  const text = readProc(pid, 'status');
  if (text === undefined) return undefined;
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { hwm: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
}

/** CPU seconds used by the whole machine (all cores, not idle/iowait) — the noise of the others. */
export function machineBusy() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + line[4];
  const total = line.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / TICK, total: total / TICK };
}
