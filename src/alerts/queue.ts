// A bounded, retrying outbox for one mail transport. One mail is in flight at a time; a
// transient failure (server down, 4xx) is retried with exponential back-off, a permanent one
// (5xx) is dropped. When full, the oldest waiting mail is dropped: the newer ones describe the
// current state. Every drop is reported. Nothing here blocks the caller.

export interface OutboxOptions<M> {
  limit: number;
  retryInitialMs: number;
  retryMaxMs: number;
  send(mail: M): Promise<void>;
  /** whether a send error is worth retrying. */
  transient(err: unknown): boolean;
  describe(mail: M): string;
  log(level: 'error' | 'warn' | 'info', message: string): void;
}

interface Entry<M> {
  mail: M;
  attempts: number;
}

export class Outbox<M> {
  private readonly entries: Entry<M>[] = [];
  private inFlight: Entry<M> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delay: number;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: OutboxOptions<M>) {
    this.delay = opts.retryInitialMs;
  }

  get size(): number {
    return this.entries.length;
  }

  push(mail: M): void {
    if (this.closed) {
      this.opts.log('error', `Dropped e-mail alert (shutting down): ${this.opts.describe(mail)}`);
      return;
    }
    if (this.entries.length >= this.opts.limit) {
      const victim = this.entries.findIndex((e) => e !== this.inFlight);
      if (victim === -1) {
        this.opts.log('error', `Dropped e-mail alert (queue full, ${this.entries.length} waiting): ${this.opts.describe(mail)}`);
        return;
      }
      const [old] = this.entries.splice(victim, 1);
      this.opts.log('error', `Dropped e-mail alert (queue full, ${this.entries.length + 1} waiting): ${this.opts.describe(old!.mail)}`);
    }
    this.entries.push({ mail, attempts: 0 });
    this.kick();
  }

  /** Resolves when nothing waits, or after ms; then whatever is left is dropped (and logged). */
  async drain(ms: number): Promise<void> {
    if (this.entries.length) {
      if (this.timer) {
        // do not sit out a long back-off: try once more now
        clearTimeout(this.timer);
        this.timer = undefined;
        this.kick();
      }
      let t: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => this.idleWaiters.push(r)),
        new Promise<void>((r) => (t = setTimeout(r, ms))),
      ]);
      clearTimeout(t);
    }
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const e of this.entries.splice(0)) {
      if (e !== this.inFlight) this.opts.log('error', `Dropped e-mail alert (not delivered before shutdown): ${this.opts.describe(e.mail)}`);
    }
  }

  private kick(): void {
    if (this.inFlight || this.timer || this.closed) return;
    const head = this.entries[0];
    if (!head) {
      this.idleWaiters.splice(0).forEach((r) => r());
      return;
    }
    this.inFlight = head;
    head.attempts++;
    this.opts.send(head.mail).then(
      () => {
        if (head.attempts > 1) this.opts.log('info', `E-mail alert delivered after ${head.attempts} attempts: ${this.opts.describe(head.mail)}`);
        this.settle(head, 0);
      },
      (err: unknown) => {
        const msg = err instanceof Error ? err.message : String(err);
        if (!this.opts.transient(err)) {
          this.opts.log('error', `Dropped e-mail alert (rejected: ${msg}): ${this.opts.describe(head.mail)}`);
          this.settle(head, 0);
          return;
        }
        const wait = this.delay;
        this.delay = Math.min(this.delay * 2, this.opts.retryMaxMs);
        this.opts.log('warn', `failed to send e-mail alert (attempt ${head.attempts}, retry in ${Math.round(wait / 1000)}s): ${msg}`);
        this.settle(head, wait);
      },
    );
  }

  /** After an attempt: remove a finished mail, or wait `retryMs` and try the head again. */
  private settle(entry: Entry<M>, retryMs: number): void {
    this.inFlight = undefined;
    if (retryMs === 0) {
      const i = this.entries.indexOf(entry);
      if (i !== -1) this.entries.splice(i, 1);
      this.delay = this.opts.retryInitialMs;
      this.kick();
      return;
    }
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, retryMs);
    this.timer.unref();
  }
}
