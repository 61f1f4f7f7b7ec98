// Config file watching (autoreload and callback, spec §2.7): chokidar follows editors that save
// by rename, symlinked configs and delete-then-recreate; bursts are debounced; a reload happens
// only when the content really changed (ldirectord compared MD5s; `touch` does not reload).
// A file rewritten in place is truncated first; an empty file is a valid config with no virtual
// services (reloading it would purge them all, and turn autoreload off), so it is taken for a
// file being written. A save that stalls mid-file can still be read half-way: save atomically.
import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

export interface WatchOptions {
  file: string;
  debounceMs?: number;
  /**
   * Also stat the path this often (default 2000 ms; 0 = never). Events cover the usual edits;
   * a re-pointed symlink further up the path (a deploy tool's `current -> releases/N`) or a
   * file system without inotify is only seen this way (ldirectord polled the file every loop).
   */
  pollMs?: number;
  /**
   * The digest (configDigest) of the content the daemon runs, taken before it read the file. A
   * change made while the daemon was starting, before the watch was in place, is then still seen.
   */
  baseline?: string;
  /** called when the content differs from the last one seen. */
  onChange: () => void;
}

/** The digest the watcher compares, or undefined for a missing, unreadable or empty file. */
export async function configDigest(file: string): Promise<string | undefined> {
  try {
    const content = await readFile(file);
    if (content.length === 0) return undefined; // truncated for a rewrite: wait for the content
    return createHash('md5').update(content).digest('hex');
  } catch {
    return undefined; // deleted or unreadable right now: wait for the next event
  }
}

export class ConfigWatcher {
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private last?: string;
  private poller?: NodeJS.Timeout;
  private seen?: string;
  private closed = false;

  constructor(private readonly opts: WatchOptions) {}

  async start(): Promise<void> {
    this.last = this.opts.baseline ?? (await configDigest(this.opts.file));
    // Watch the folders of the path as given and, for a symlink, of its target: a file that is
    // renamed over, deleted and re-created, or re-pointed is seen there, where a watch on the
    // file itself would be lost with its inode.
    const files = new Set([resolve(this.opts.file)]);
    try {
      files.add(await realpath(this.opts.file));
    } catch {
      // missing now; its folder's watch sees it appear
    }
    const dirs = [...new Set([...files].map((f) => dirname(f)))];
    this.watcher = watch(dirs, { ignoreInitial: true, depth: 0, followSymlinks: false });
    this.watcher.on('all', (_event, path) => {
      if (files.has(resolve(path))) this.bump();
    });
    await new Promise<void>((r) => this.watcher!.once('ready', () => r()));
    if (this.opts.baseline !== undefined) this.bump(); // edited while we were starting?
    const pollMs = this.opts.pollMs ?? 2000;
    if (pollMs > 0) {
      this.seen = await this.identity();
      this.poller = setInterval(() => void this.poll(), pollMs);
      this.poller.unref();
    }
  }

  /** What the path leads to now: the file's device, inode, size and mtime. */
  private async identity(): Promise<string | undefined> {
    try {
      const s = await stat(this.opts.file);
      return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return undefined;
    }
  }

  private async poll(): Promise<void> {
    const now = await this.identity();
    if (now === this.seen) return;
    this.seen = now;
    this.bump(); // the digest decides whether the content really changed
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.poller);
    await this.watcher?.close();
  }

  private bump(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.settle(), this.opts.debounceMs ?? 300);
  }

  private async settle(): Promise<void> {
    const now = await configDigest(this.opts.file);
    if (now === undefined || now === this.last) return;
    this.last = now;
    this.opts.onChange();
  }
}
