// The role kept across restarts: one word in a small file beside the pid file
// (/var/run/lvsd.<config name>.role). /var/run is emptied at boot, on purpose: after a reboot the
// failover engine says the role again, and an old "master" must not outlive the machine.
import { readFileSync } from 'node:fs';
import { atomicWrite } from './atomic-write.js';
import { ROLES, type Role } from '../events/index.js';

/** Beside the pid file, with its stem. */
export function defaultRoleFile(pidFile: string): string {
  return pidFile.endsWith('.pid') ? `${pidFile.slice(0, -4)}.role` : `${pidFile}.role`;
}

/** The role a previous run kept; undefined when there is none or the file holds anything else. */
export function readRoleFile(path: string): Role | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const word = text.trim();
  return (ROLES as readonly string[]).includes(word) ? (word as Role) : undefined;
}

/** Written aside and renamed into place: a crash mid-write leaves the old role, never half a word. */
export function writeRoleFile(path: string, role: Role): void {
  atomicWrite(path, `${role}\n`);
}
