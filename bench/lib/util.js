// Small shared pieces: paths, clocks, statistics, waiting with a bound.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Epoch milliseconds with sub-ms resolution; comparable across processes on this host. */
export const now = () => performance.timeOrigin + performance.now();

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function tempDir(prefix = 'lvsd-bench-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Poll `cond` every `step` ms until it holds; throws after `ms` (a bound, not a measurement). */
export async function waitFor(what, cond, ms = 60000, step = 50) {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(step);
  }
}

/** p-th percentile (0..100) by nearest rank; undefined for an empty list. */
export function percentile(values, p) {
  if (values.length === 0) return undefined;
  const s = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

/** min / median / max of the repeats of one figure (undefined entries ignored). */
export function spread(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x));
  if (v.length === 0) return undefined;
  return { min: Math.min(...v), median: percentile(v, 50), max: Math.max(...v), n: v.length };
}

/** Fold a list of per-repeat figure objects into {figure: spread}. */
export function spreadAll(runs) {
  const keys = new Set(runs.flatMap((r) => Object.keys(r)));
  const out = {};
  for (const k of keys) {
    const s = spread(runs.map((r) => r[k]));
    if (s) out[k] = s;
  }
  return out;
}

export function loadAverage() {
  return os.loadavg().map((x) => Number(x.toFixed(2)));
}

/** 127.B.C.D addresses from a /16 the other test suites do not use (127.0.0.x is theirs). */
export function hostOf(i, base = 180) {
  // Skip .0 and .255 in the last octet: they look like network/broadcast names to some tools.
  const c = Math.floor(i / 254);
  const d = (i % 254) + 1;
  return `127.${base + Math.floor(c / 256)}.${c % 256}.${d}`;
}

export function log(message) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** A small seeded PRNG (mulberry32): the same flips and offsets on every run. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** k distinct integers from [0, n) not in `exclude`, drawn with `rand`. */
export function pick(rand, n, k, exclude = new Set()) {
  const out = new Set();
  if (k > n - exclude.size) throw new Error(`cannot pick ${k} of ${n - exclude.size}`);
  while (out.size < k) {
    const i = Math.floor(rand() * n);
    if (!exclude.has(i)) out.add(i);
  }
  return [...out];
}
