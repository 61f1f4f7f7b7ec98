// Run async work with a bound on how much runs at once (cases, CLI comparisons).

/** A gate: `run(fn)` starts `fn` when fewer than `n` are running, and resolves with its result. */
export function limit(n: number): <R>(fn: () => Promise<R>) => Promise<R> {
  let free = Math.max(1, n);
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (free > 0) free--;
    else await new Promise<void>((r) => waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `cond` every `every` ms; true once it holds, false when `ms` have passed. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, ms: number, every = 100): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > end) return false;
    await sleep(every);
  }
}
