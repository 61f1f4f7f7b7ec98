// The one place where a `receive` pattern meets a server's answer. Patterns come from the
// config and answers from real servers, so a pattern with catastrophic backtracking such as
// (a+)+$ may meet the input that makes it run for hours. JavaScript cannot interrupt a running
// RegExp on its own thread, so matching runs on worker threads: a match that outlives its time
// limit, or whose check is aborted, has its worker terminated (V8 stops the regex at once) and
// reports a clear reason, while the daemon's event loop (every other check, the IPVS table,
// signals) never waits for it. Patterns that cannot backtrack at all (receive-linear.ts) are
// matched in place.
//
// Why not a linear-time engine (re2, re2-wasm): receive is a Perl pattern, translated with
// lookaheads and backreferences (atomic groups, possessive quantifiers, \1, (?=...)), which
// RE2 does not support. A worker keeps ldirectord's semantics for every pattern lvsd accepts.
import { Worker } from 'node:worker_threads';
import { cannotBacktrack } from './receive-linear.js';

/** How long one match may run before its worker is killed. Sane patterns need milliseconds, even on 1 MiB. */
export const MATCH_LIMIT_MS = 1000;
/** Matches that may run at once; more wait their turn (each worker costs a V8 isolate). */
const MAX_WORKERS = 4;
/** Extra workers (beyond one kept warm) exit after this long without work. */
const IDLE_MS = 30_000;

/** The match did not finish in time: the pattern backtracks catastrophically on this answer. */
export class ReceiveTimeout extends Error {}

// Plain CommonJS, run with eval: it must not depend on how the daemon's own modules are loaded.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ source, flags, texts }) => {
  const re = new RegExp(source, flags.replace(/[gy]/g, ''));
  parentPort.postMessage(texts.findIndex((t) => re.test(t)));
});
`;

interface Job {
  source: string;
  flags: string;
  texts: string[];
  limitMs: number;
  signal?: AbortSignal;
  resolve: (hit: number) => void;
  reject: (e: Error) => void;
  started?: () => void;
}

interface Slot {
  worker: Worker;
  /** the worker runs JavaScript (booting one can take long on a loaded machine). */
  online: boolean;
  idleTimer?: NodeJS.Timeout;
}

const idle: Slot[] = [];
const queue: Job[] = [];
let running = 0;

function newSlot(): Slot {
  const worker = new Worker(WORKER_SOURCE, { eval: true, stdout: false, stderr: false });
  const slot: Slot = { worker, online: false };
  worker.once('online', () => (slot.online = true));
  // An idle worker must not keep a process alive; a busy one is ref'd while its job runs.
  worker.unref();
  worker.on('error', () => retire(slot));
  worker.on('exit', () => retire(slot));
  return slot;
}

function retire(slot: Slot): void {
  clearTimeout(slot.idleTimer);
  const i = idle.indexOf(slot);
  if (i >= 0) idle.splice(i, 1);
}

function park(slot: Slot): void {
  slot.worker.unref();
  idle.push(slot);
  if (idle.length > 1) {
    slot.idleTimer = setTimeout(() => {
      retire(slot);
      void slot.worker.terminate();
    }, IDLE_MS);
    slot.idleTimer.unref();
  }
}

function pump(): void {
  while (running < MAX_WORKERS && queue.length > 0) {
    const job = queue.shift()!;
    job.started?.();
    running++;
    const slot = idle.pop() ?? newSlot();
    clearTimeout(slot.idleTimer);
    execute(slot, job);
  }
}

function execute(slot: Slot, job: Job): void {
  const { worker } = slot;
  worker.ref();
  let done = false;
  const finish = (outcome: { hit: number } | { error: Error }, healthy: boolean): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    job.signal?.removeEventListener('abort', onAbort);
    worker.off('message', onMessage);
    worker.off('exit', onExit);
    worker.off('online', startClock);
    running--;
    if (healthy) park(slot);
    else void worker.terminate();
    if ('hit' in outcome) job.resolve(outcome.hit);
    else job.reject(outcome.error);
    pump();
  };
  const onMessage = (hit: number): void => finish({ hit }, true);
  const onExit = (): void => finish({ error: new Error('receive matcher stopped unexpectedly') }, false);
  const onAbort = (): void => finish({ error: new Error('aborted') }, false);
  // The limit is the pattern's: it starts when the worker can run it, not while a new one boots
  // (the check's own deadline bounds that part).
  let timer: NodeJS.Timeout | undefined;
  const startClock = (): void => {
    timer = setTimeout(
      () => finish({ error: new ReceiveTimeout(`receive pattern did not finish within ${job.limitMs} ms (catastrophic backtracking?)`) }, false),
      job.limitMs,
    );
  };
  if (slot.online) startClock();
  else worker.once('online', startClock);
  worker.on('message', onMessage);
  worker.once('exit', onExit);
  job.signal?.addEventListener('abort', onAbort, { once: true });
  worker.postMessage({ source: job.source, flags: job.flags, texts: job.texts });
}

/**
 * Whether `re` matches `text` (or any of several texts, e.g. the lines of an answer), as
 * `text.search(re) >= 0` would say. Rejects with ReceiveTimeout when the match runs longer than
 * `limitMs`, and with "aborted" when `signal` aborts first; either way the match is stopped.
 */
export async function matchReceive(re: RegExp, text: string | readonly string[], signal?: AbortSignal, limitMs = MATCH_LIMIT_MS): Promise<boolean> {
  const texts = typeof text === 'string' ? [text] : [...text];
  if (texts.length === 0) return false;
  if (signal?.aborted) throw new Error('aborted');
  // A pattern that cannot backtrack (a literal, most receives) is matched here: a worker round
  // trip would cost more than the check it belongs to.
  if (cannotBacktrack(re)) {
    const plain = re.global || re.sticky ? new RegExp(re.source, re.flags.replace(/[gy]/g, '')) : re;
    return texts.some((t) => plain.test(t));
  }
  const hit = await new Promise<number>((resolve, reject) => {
    const job: Job = { source: re.source, flags: re.flags, texts, limitMs, signal, resolve, reject };
    // Aborted while waiting for a worker: leave the queue at once.
    const dequeue = (): void => {
      const i = queue.indexOf(job);
      if (i >= 0) queue.splice(i, 1);
      reject(new Error('aborted'));
    };
    job.started = () => signal?.removeEventListener('abort', dequeue);
    signal?.addEventListener('abort', dequeue, { once: true });
    queue.push(job);
    pump();
  });
  return hit >= 0;
}

/** Matches waiting or running now (for tests and status). */
export function receiveLoad(): { running: number; queued: number; idle: number } {
  return { running, queued: queue.length, idle: idle.length };
}
