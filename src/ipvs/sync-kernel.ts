// What the kernel keeps for a sync daemon it is asked to start (start_sync_thread in
// net/netfilter/ipvs/ip_vs_sync.c, as measured on 6.1 with the real ipvsadm: see
// test/fixtures/ipvsadm-real/transcript.txt): the defaults it fills in and how it clamps maxlen.
// The in-memory driver keeps daemons this way; the sync reconciler compares against it.
import type { SyncDaemon } from './types.js';

export const SYNC_DEFAULTS = { group: '224.0.0.81', port: 8848, ttl: 1 } as const;

/** IP and UDP headers a sync packet carries. */
function headers(d: SyncDaemon): number {
  return d.group !== undefined && d.group.includes(':') ? 48 : 28;
}

/** A given maxlen as kept: at least 1024 for a backup (1 for a master), at most 65535 less the headers. */
export function kernelMaxlen(d: SyncDaemon): number | undefined {
  if (d.maxlen === undefined) return undefined;
  return Math.min(Math.max(d.maxlen, d.state === 'backup' ? 1024 : 1), 65535 - headers(d));
}

/** The daemon as the kernel lists it after starting it on an interface with this MTU. */
export function kernelDaemon(d: SyncDaemon, mtu: number): Required<SyncDaemon> {
  const mtuUsed = d.state === 'backup' ? Math.min(Math.max(mtu, 1500), 65535) : 1500;
  return {
    state: d.state,
    ifname: d.ifname,
    syncid: d.syncid,
    group: d.group ?? SYNC_DEFAULTS.group,
    port: d.port ?? SYNC_DEFAULTS.port,
    ttl: d.ttl ?? SYNC_DEFAULTS.ttl,
    maxlen: kernelMaxlen(d) ?? mtuUsed - headers(d),
  };
}
