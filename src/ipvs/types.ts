// The IPVS table as lvsd sees it, independent of how it is read or written
// (ipvsadm, netlink, or the in-memory table of the demo and tests).
import type { Family, Forward } from '../config/model.js';

export type IpvsProtocol = 'tcp' | 'udp' | 'fwm';

/** Identifies one virtual service in the kernel. */
export interface ServiceKey {
  protocol: IpvsProtocol;
  family: Family;
  /** tcp/udp: literal IP address (IPv6 without brackets); fwm: undefined. */
  address?: string;
  /** tcp/udp: port; fwm: 0. */
  port: number;
  /** fwm only. */
  fwmark?: number;
}

export interface ServiceAttrs {
  scheduler: string;
  /** persistence timeout in seconds; undefined = not persistent. */
  persistent?: number;
  /** persistence netmask (dotted quad for IPv4, prefix length for IPv6); only with persistent. */
  netmask?: string;
  /** scheduler flags as ipvsadm -b takes them, e.g. `sh-fallback,sh-port`. */
  schedflags?: string;
  /** one-packet scheduling (udp only). */
  ops: boolean;
}

export interface Dest {
  address: string;
  port: number;
  forward: Forward;
  weight: number;
  /** -x upper and -y lower connection thresholds; 0 = none. */
  upper: number;
  lower: number;
}

export interface Service extends ServiceAttrs {
  key: ServiceKey;
  dests: Dest[];
}

export interface Table {
  services: Service[];
}

/**
 * The kernel table as an output (status, metrics, the page) sees it: the one last read or
 * applied, and whether applying fails. Nothing in it can write the table.
 */
export interface TableView {
  /** undefined until the table has been read. */
  readonly known: Table | undefined;
  /** the last apply failed and a retry is pending. */
  readonly failing: boolean;
}

/** One change; a change set is applied by a driver as one batch. */
export type Change =
  | { op: 'add-service'; service: ServiceKey; attrs: ServiceAttrs }
  | { op: 'edit-service'; service: ServiceKey; attrs: ServiceAttrs }
  | { op: 'del-service'; service: ServiceKey }
  | { op: 'add-dest'; service: ServiceKey; dest: Dest }
  | { op: 'edit-dest'; service: ServiceKey; dest: Dest }
  | { op: 'del-dest'; service: ServiceKey; address: string; port: number };

/** Outcome of applying a change set: which changes failed and why (the rest took effect). */
export interface ApplyResult {
  failed: { change: Change; error: string }[];
}

/** The IPVS connection-sync daemon's two states; a namespace may run one of each. */
export type SyncState = 'master' | 'backup';

/** One IPVS connection-sync daemon, as `ipvsadm --start-daemon` / IPVS_CMD_NEW_DAEMON take it. */
export interface SyncDaemon {
  state: SyncState;
  /** the multicast interface (mcast_ifn). */
  ifname: string;
  /** 0-255; 0 = no filtering. */
  syncid: number;
  /** optional; the kernel's defaults: group 224.0.0.81 (IPv4), port 8848, ttl 1, maxlen from the MTU. */
  group?: string;
  port?: number;
  ttl?: number;
  maxlen?: number;
}

/** The kernel's connection sync daemons (`ipvsadm --start-daemon/--stop-daemon/-L --daemon`). */
export interface SyncDaemonControl {
  /** the running ones (at most one per state), as the kernel reports them (its defaults filled in). */
  readDaemons(): Promise<SyncDaemon[]>;
  /** fails with ipvsadm's text, e.g. `Daemon has already run`, `No such device`. */
  startDaemon(d: SyncDaemon): Promise<void>;
  /** fails with `No daemon is running` when that state runs none. */
  stopDaemon(state: SyncState): Promise<void>;
}

export interface IpvsDriver {
  readonly name: string;
  /** The whole current table. */
  read(): Promise<Table>;
  /** Apply the changes in order, as one batch where the backend allows it. */
  apply(changes: Change[]): Promise<ApplyResult>;
  /** the sync daemons, where the driver can reach them. */
  readonly sync?: SyncDaemonControl;
  close?(): Promise<void>;
}

/** The sync daemons as status reads them (the sync reconciler's view; read-only). */
export interface SyncView {
  /** lvsd manages them (syncinterface= is set). */
  readonly managed: boolean;
  /** what the kernel ran at the last read; undefined before the first. */
  readonly known?: readonly SyncDaemon[];
  /** what lvsd wants running; undefined while it does not manage them. */
  readonly desired?: readonly SyncDaemon[];
  readonly lastError?: { message: string; at: number };
}

/** `master sync daemon on eth1 (syncid 7, group 239.1.2.3)`: for logs and status. */
export function syncDaemonString(d: SyncDaemon): string {
  const opts = [`syncid ${d.syncid}`];
  if (d.group !== undefined) opts.push(`group ${d.group}`);
  if (d.port !== undefined) opts.push(`port ${d.port}`);
  if (d.ttl !== undefined) opts.push(`ttl ${d.ttl}`);
  if (d.maxlen !== undefined) opts.push(`maxlen ${d.maxlen}`);
  return `${d.state} sync daemon on ${d.ifname} (${opts.join(', ')})`;
}

/** Error from a driver that could not run at all (binary missing, hung, no permission). */
export class IpvsError extends Error {
  override name = 'IpvsError';
}

export function serviceKeyString(k: ServiceKey): string {
  if (k.protocol === 'fwm') return `fwm${k.family === 6 ? '6' : ''}:${k.fwmark}`;
  const a = k.address ?? '';
  return `${k.protocol}:${a.includes(':') ? `[${a}]` : a}:${k.port}`;
}
