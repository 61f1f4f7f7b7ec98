// A checker whose module loads on its first check. The client libraries behind a few services
// (undici, mysql2, pg, ldapts, dns-packet) cost 7–21 MB of RSS each once imported; a director
// that checks no database (or, with connect checks only, no HTTP) should not carry them.
import type { Checker } from './types.js';

export interface LazyChecker extends Checker {
  /** the checker behind this one, its module imported once (tests use it to see the dispatch). */
  load(): Promise<Checker>;
}

export function lazyChecker(importChecker: () => Promise<Checker>): LazyChecker {
  let loading: Promise<Checker> | undefined;
  let loaded: Checker | undefined; // once here, checks call it directly (http's hot path)
  const load = (): Promise<Checker> =>
    (loading ??= importChecker().then((c) => (loaded = c)));
  return {
    load,
    check: (target, signal) => (loaded ? loaded.check(target, signal) : load().then((c) => c.check(target, signal))),
  };
}
