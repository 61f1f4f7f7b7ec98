// The director's role as its failover engine sets it (`lvsd role WORD` over the control socket),
// kept across restarts in a state file (./role-file.ts). Both roles run every check and keep the
// whole table; the role switches the sync daemon (./sync.ts) and what status, logs and mail say.
import type { Role } from '../events/index.js';
import type { Daemon } from './daemon.js';
import { readRoleFile, writeRoleFile } from './role-file.js';

/** What `lvsd role WORD` may set; `unknown` is only the state before anyone said. */
export const SETTABLE_ROLES: readonly Role[] = ['master', 'backup', 'fault'];

export interface RoleControl {
  /** the control socket's `role [WORD]`: the current role, or `ok WORD` / `error: ...`. */
  command(word?: string): string;
  close(): void;
}

/**
 * Restore the role a previous run kept (emitted as a `restored` role event, so it is logged and
 * mailed like any other), and keep every later change in the file.
 */
export function attachRole(daemon: Daemon, file: string, onError: (message: string) => void): RoleControl {
  const kept = readRoleFile(file);
  const save = (e: { to: Role }): void => {
    try {
      writeRoleFile(file, e.to);
    } catch (err) {
      onError(`cannot keep the role in ${file} (it is lost at a restart): ${(err as Error).message}`);
    }
  };
  daemon.bus.on('role', save);
  if (kept && kept !== 'unknown') daemon.setRole(kept, 'restored');
  return {
    command(word) {
      if (word === undefined) return daemon.role;
      if (!(SETTABLE_ROLES as readonly string[]).includes(word)) {
        return `error: the role must be master, backup or fault, got ${JSON.stringify(word.slice(0, 40))}`;
      }
      daemon.setRole(word as Role, 'command');
      return `ok ${word}`;
    },
    close: () => void daemon.bus.off('role', save),
  };
}
