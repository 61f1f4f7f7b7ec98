// StrictModes, as sshd has them: lvsd runs as root and its config names programs it runs
// (checkcommand, fallbackcommand, callback), so a config file that someone else may write is a
// way to root. Running as root, lvsd refuses a config file that is not owned by root or is
// writable by group or others, and one whose folder (of the path as given, or of the file a
// symlink leads to) is not owned by root or is writable by group or others: whoever may write
// the folder may replace the file. `--no-strict-modes` turns the check off.
import { realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Exit status of a refused start: that of a configuration error (systemd does not restart it). */
export const STRICT_MODES_EXIT = 2;

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function writers(st: Stats): string | undefined {
  if (st.uid !== 0) return `it is owned by uid ${st.uid}, not root`;
  const who = [st.mode & 0o020 ? 'group' : '', st.mode & 0o002 ? 'others' : ''].filter(Boolean);
  return who.length ? `it is writable by ${who.join(' and ')} (mode ${octal(st.mode)})` : undefined;
}

/**
 * Why `file` must not be used as root, or undefined when it may. `euid` defaults to ours; for
 * anyone but root there is nothing to refuse (whoever can write the file is no one more).
 */
export function strictModesProblem(file: string, euid = process.geteuid?.() ?? -1): string | undefined {
  if (euid !== 0) return undefined;
  const given = resolve(file);
  let real: string;
  let st: Stats;
  try {
    real = realpathSync(given);
    st = statSync(real);
  } catch {
    return undefined; // missing or unreadable: loading it says so
  }
  const fix = 'chown root and chmod go-w it, or start with --no-strict-modes';
  if (!st.isFile()) return `refusing ${given}: not a regular file`;
  const fileProblem = writers(st);
  if (fileProblem) return `refusing to run as root on ${real}: ${fileProblem}; ${fix}`;
  for (const dir of new Set([dirname(given), dirname(real)])) {
    let d: Stats;
    try {
      d = statSync(dir);
    } catch {
      continue;
    }
    const dirProblem = writers(d);
    if (dirProblem) return `refusing to run as root on ${given}: its folder ${dir}: ${dirProblem}; ${fix}`;
  }
  return undefined;
}
