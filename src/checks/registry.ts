// Which Checker runs for a target: by checktype (spec §3.3), and for negotiate (and the
// negotiate turns of checktype=N) by service (spec §6).
import { CombinedChecker } from './combined.js';
import { connectChecker } from './connect.js';
import { externalPerlChecker } from './external-perl.js';
import { externalChecker } from './external.js';
import { lazyChecker, type LazyChecker } from './lazy.js';
import { pingChecker } from './ping.js';
import { protocolCheckers } from './protocols/index.js';
import { simpletcpChecker } from './simpletcp.js';
import { sipChecker } from './sip.js';
import { noneChecker, offChecker, onChecker } from './static.js';
import { down } from './deadline.js';
import type { CheckService, CheckTarget, CheckType, Checker } from './types.js';

/** Negotiate checkers, one entry per service name. */
const httpChecker = lazyChecker(async () => (await import('./http.js')).httpChecker);
const negotiators: Partial<Record<CheckService, Checker>> = {
  dns: lazyChecker(async () => (await import('./dns.js')).dnsChecker),
  http: httpChecker,
  https: httpChecker,
  http_proxy: httpChecker,
  none: noneChecker,
  simpletcp: simpletcpChecker,
  sip: sipChecker,
  ...protocolCheckers,
};

export function negotiatorFor(target: Pick<CheckTarget, 'service'>): Checker {
  return (
    negotiators[target.service] ?? {
      check: async () => down(`negotiate check for service ${target.service} is not implemented`),
    }
  );
}

const combinedChecker = new CombinedChecker(negotiatorFor, connectChecker);

const byChecktype: Record<Exclude<CheckType, 'negotiate'>, Checker> = {
  combined: combinedChecker,
  connect: connectChecker,
  ping: pingChecker,
  external: externalChecker,
  'external-perl': externalPerlChecker,
  on: onChecker,
  off: offChecker,
};

export function checkerFor(target: CheckTarget): Checker {
  return target.checktype === 'negotiate' ? negotiatorFor(target) : byChecktype[target.checktype];
}

/**
 * Import the modules of the lazy checkers these targets use, before their first check: a check
 * must not spend its deadline loading a client library. Never rejects; a module that does not
 * load makes its checks fail with the reason.
 */
export async function loadCheckers(targets: Iterable<CheckTarget>): Promise<void> {
  const lazy = new Set<LazyChecker>();
  for (const t of targets) {
    const c = t.checktype === 'combined' ? negotiatorFor(t) : checkerFor(t);
    if ('load' in c) lazy.add(c as LazyChecker);
  }
  await Promise.allSettled([...lazy].map((c) => c.load()));
}

/** Drop per-target state (checktype=N counters) of a target that left the configuration. */
export function forgetTarget(key: string): void {
  combinedChecker.forget(key);
}

/**
 * One checker per target object, built on its first check: the wrappers around a checker
 * (secret masking) are then made once per target and (re)load, not once per check.
 */
export function perTarget(checkerFor: (t: CheckTarget) => Checker): (t: CheckTarget) => Checker {
  const built = new WeakMap<CheckTarget, Checker>();
  return (t) => {
    let c = built.get(t);
    if (!c) built.set(t, (c = checkerFor(t)));
    return c;
  };
}
