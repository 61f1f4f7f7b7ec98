// The operator's overrides kept across reloads and restarts: a small JSON file beside the pid
// file (/var/run/lvsd.<config name>.overrides), as the role is (./role-file.ts). /var/run is
// emptied at boot, on purpose: after a reboot the config is again the whole truth, and a drain
// forgotten months ago cannot outlive the machine; to keep a change for good, edit the config.
import { readFileSync } from 'node:fs';
import { atomicWrite } from './atomic-write.js';
import { OVERRIDE_ACTIONS, type Override, type OverrideAction } from '../table/override.js';

/** Beside the pid file, with its stem. */
export function defaultOverrideFile(pidFile: string): string {
  return pidFile.endsWith('.pid') ? `${pidFile.slice(0, -4)}.overrides` : `${pidFile}.overrides`;
}

/**
 * The overrides a previous run kept: none when there is no file; an error (the caller logs it
 * and starts with none) when the file is not what writeOverrideFile writes. Entries that do not
 * fit are skipped one by one.
 */
export function readOverrideFile(path: string): Override[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const doc = JSON.parse(text) as { overrides?: unknown };
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.overrides)) throw new Error('no "overrides" list');
  return doc.overrides.flatMap((x: unknown): Override[] => {
    const o = x as Partial<Override>;
    if (typeof o?.virtual !== 'string' || typeof o.real !== 'string' || !OVERRIDE_ACTIONS.includes(o.action as OverrideAction)) return [];
    if (o.action === 'weight' && !(Number.isInteger(o.weight) && o.weight! >= 0)) return [];
    const at = typeof o.at === 'number' && Number.isFinite(o.at) ? o.at : Date.now();
    return [{ virtual: o.virtual, real: o.real, action: o.action!, ...(o.action === 'weight' ? { weight: o.weight } : {}), at }];
  });
}

/** Written aside and renamed into place: a crash mid-write leaves the old list, never half of one. */
export function writeOverrideFile(path: string, overrides: readonly Override[]): void {
  atomicWrite(path, `${JSON.stringify({ overrides }, null, 1)}\n`);
}
