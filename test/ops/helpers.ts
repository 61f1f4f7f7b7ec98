// Shared pieces of the operations suites: the real lvsd process under a test's own config, pid
// file and stand-in kernel, and a datagram receiver for NOTIFY_SOCKET and syslog.
import type { Test } from 'tap';
import { bindReceiver, unixDgramAvailable } from '../../src/log/unix-dgram.js';
import { RealServer, waitFor as waitForWithin } from '../helpers/lvsd.js';

export const noDgram = unixDgramAvailable() ? false : 'the unix-dgram native module did not build (npm rebuild unix-dgram)';

export interface Virtual {
  vip: string;
  reals: [RealServer, number?][];
  lines?: string[];
}

/**
 * An ldirectord.cf with checks every second: global lines, then one http virtual per entry.
 * Timeouts are generous so that a loaded machine cannot fail a check of a live server (a stopped
 * one is refused at once); tests wait for outcomes, never for a time.
 */
export function cf(global: string[], virtuals: Virtual[]): string {
  const out = ['checkinterval=1', 'checktimeout=10', 'negotiatetimeout=10', ...global, ''];
  for (const v of virtuals) {
    out.push(`virtual=${v.vip}`);
    for (const [r, w] of v.reals) out.push(`    real=${r.addr} masq${w === undefined ? '' : ` ${w}`}`);
    out.push('    service=http', '    receive="OK"', ...(v.lines ?? []).map((l) => `    ${l}`), '');
  }
  return out.join('\n');
}

/** Start real HTTP servers on the given loopback addresses. */
export function servers(t: Test, hosts: string[]): Promise<RealServer[]> {
  const list = hosts.map((h) => new RealServer(h));
  t.teardown(() => Promise.all(list.map((r) => r.stop())));
  return Promise.all(list.map((r) => r.start()));
}

export { daemon, type Setup } from '../helpers/lvsd.js';

/** A bound unix datagram socket; every datagram is kept with the time it arrived. */
export function datagrams(t: Test, path: string, onMessage?: (text: string) => void): { text: string; at: bigint }[] {
  const got: { text: string; at: bigint }[] = [];
  const rx = bindReceiver(path, (b) => {
    const text = b.toString();
    got.push({ text, at: process.hrtime.bigint() });
    onMessage?.(text);
  });
  t.teardown(() => rx.close());
  return got;
}

/** `KEY=value` lines of an sd_notify datagram. */
export function fields(text: string): Map<string, string> {
  return new Map(text.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Poll until `cond` holds. The bound (60 s) only stops a hang: these suites run the real daemon
 * beside other suites on two cores, where a start-up can take many seconds.
 */
export function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  return waitForWithin(what, cond, ms);
}
