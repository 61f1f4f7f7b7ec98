// Choosing an IPVS driver.
import { IpvsadmDriver, type IpvsadmDriverOptions } from './ipvsadm.js';
import { MemoryDriver } from './memory.js';
import type { IpvsDriver, Table } from './types.js';

export { IpvsadmDriver, MemoryDriver };
export type { IpvsadmDriverOptions };

/**
 * Driver kinds. Still to come (another engineer): 'netlink' (./netlink.ts, generic netlink
 * straight to the kernel) and 'auto' (netlink when the kernel answers, else ipvsadm).
 */
export type DriverKind = 'ipvsadm' | 'memory';

export interface DriverOptions extends IpvsadmDriverOptions {
  /** memory: the table to start from (default empty) */
  table?: Table;
}

export function createDriver(kind: DriverKind, opts: DriverOptions = {}): IpvsDriver {
  switch (kind) {
    case 'ipvsadm':
      return new IpvsadmDriver(opts);
    case 'memory':
      return new MemoryDriver(opts.table);
    // case 'netlink': return new NetlinkDriver(opts);           (src/ipvs/netlink.ts)
    // case 'auto': return (await netlinkAvailable()) ? netlink : ipvsadm;
    default:
      throw new Error(`unknown IPVS driver kind: ${String(kind)}`);
  }
}
