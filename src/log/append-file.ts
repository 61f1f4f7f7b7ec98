// A file that lines are appended to, for the log file and monitorfiles.
//
// ldirectord opens and closes its files for every line, so rotation works without a signal.
// We keep the descriptor but compare it with the path before each write (like Python's
// WatchedFileHandler): a renamed or removed file is reopened (recreated), and `reopen()` does
// it on demand (SIGUSR1/SIGHUP). Writes are synchronous: lines stay in order, a crash loses
// none, and a ~100-byte append costs microseconds. A failing write (disk full, EIO,
// permission) never throws: the caller hears about it once per failure episode.
import { closeSync, fstatSync, openSync, statSync, writeSync } from 'node:fs';

export interface AppendFileEvents {
  /** the first failure of an episode; the next ones are silent until a write succeeds. */
  onError(err: NodeJS.ErrnoException, path: string): void;
  /** a write succeeded after a failure episode. */
  onRecover?(path: string): void;
}

export class AppendFile {
  private fd: number | undefined;
  private failing = false;
  /** inode of a file whose last line was cut short by a failed write: finish that line first. */
  private torn: number | undefined;

  constructor(
    readonly path: string,
    private readonly events: AppendFileEvents,
    private readonly mode = 0o640,
  ) {}

  /** Append one line (a newline is added). False when it could not be written. */
  write(line: string): boolean {
    let off = 0;
    let ino: number | undefined;
    try {
      const fd = this.current();
      ino = fstatSync(fd).ino;
      const text = line.endsWith('\n') ? line : `${line}\n`;
      const buf = Buffer.from(this.torn === ino ? `\n${text}` : text);
      // A short write happens when a filesystem fills up mid-line; the next call raises ENOSPC.
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      this.torn = undefined;
      if (this.failing) {
        this.failing = false;
        this.events.onRecover?.(this.path);
      }
      return true;
    } catch (e) {
      if (off > 0) this.torn = ino;
      this.drop();
      if (!this.failing) {
        this.failing = true;
        this.events.onError(e as NodeJS.ErrnoException, this.path);
      }
      return false;
    }
  }

  /** Close now; the next write opens the path again (logrotate's postrotate). */
  reopen(): void {
    this.drop();
  }

  close(): void {
    this.drop();
  }

  /** The open descriptor, reopened when the path now names another file or none. */
  private current(): number {
    if (this.fd !== undefined) {
      let same = false;
      try {
        const p = statSync(this.path);
        const f = fstatSync(this.fd);
        same = p.ino === f.ino && p.dev === f.dev;
      } catch {
        same = false; // removed: recreate it, as ldirectord's open-per-line does
      }
      if (same) return this.fd;
      this.drop();
    }
    this.fd = openSync(this.path, 'a', this.mode);
    return this.fd;
  }

  private drop(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      /* EIO on close of a broken file: nothing more to do */
    }
    this.fd = undefined;
  }
}
