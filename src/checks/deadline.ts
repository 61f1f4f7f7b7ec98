// The one place that turns a check body into a Checker result: it applies the checker's own
// timeout (spec §1.5), settles when the scheduler's signal aborts, and turns throws into results.
import type { CheckResult } from './types.js';

/** The reason a body's signal aborts once its result is settled; one shared object, because the
 * default reason (a fresh DOMException with its stack) cost a measurable share of every check. */
const SETTLED = new Error('check settled');

export const up = (message: string): CheckResult => ({ ok: true, message });
export const down = (message: string): CheckResult => ({ ok: false, message });

/** Human text for socket errors, in the words ldirectord's logs and operators know. */
const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ETIMEDOUT: 'Connection timed out',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EPIPE: 'Broken pipe',
};

export function describeError(e: unknown): string {
  for (let cur: unknown = e, depth = 0; cur && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && ERRNO_TEXT[code]) return ERRNO_TEXT[code];
    cur = (cur as { cause?: unknown }).cause;
  }
  // OpenSSL's messages start with a thread id and end with a source path: keep the reason.
  const tls = e as { library?: unknown; reason?: unknown };
  if (typeof tls.library === 'string' && typeof tls.reason === 'string') return `TLS error: ${tls.reason}`;
  if (e instanceof Error && e.message) return e.message;
  return String(e);
}

/**
 * Run `body` under `seconds` of its own and under `outer`. Always resolves, never rejects:
 * on the own timeout with "timeout after Ns", on an outer abort with "aborted". When the
 * result is settled (any way) the signal passed to `body` aborts, so the body releases its
 * sockets and processes even if it lost the race.
 */
export function runCheck(
  outer: AbortSignal,
  seconds: number,
  body: (signal: AbortSignal) => Promise<CheckResult>,
): Promise<CheckResult> {
  const inner = new AbortController();
  return new Promise<CheckResult>((resolve) => {
    let settled = false;
    const finish = (r: CheckResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outer.removeEventListener('abort', onAbort);
      inner.abort(SETTLED);
      resolve(r);
    };
    const onAbort = (): void => finish(down('aborted'));
    const timer = setTimeout(() => finish(down(`timeout after ${seconds}s`)), Math.max(seconds, 0.001) * 1000);
    if (outer.aborted) return onAbort();
    outer.addEventListener('abort', onAbort, { once: true });
    Promise.resolve()
      .then(() => body(inner.signal))
      .then(finish, (e: unknown) => finish(down(describeError(e))));
  });
}
