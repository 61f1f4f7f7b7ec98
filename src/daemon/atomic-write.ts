// Small state files other programs read (the role, keepalived's track_file): written aside and
// renamed into place, so a reader sees the old content or the new, never a part.
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';

export function atomicWrite(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw e;
  }
}
