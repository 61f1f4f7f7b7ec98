// Choosing an IPVS driver.
import { IpvsadmDriver, type IpvsadmDriverOptions } from './ipvsadm.js';
import { MemoryDriver } from './memory.js';
import type { IpvsDriver, Table } from './types.js';

export { IpvsadmDriver, MemoryDriver };
export type { IpvsadmDriverOptions };

/**
 * The drivers built from options alone. The netlink driver is ./netlink.ts; choosing between the
 * kinds (`--ipvs ipvsadm|netlink|auto|memory`) happens where the daemon starts (daemon/run.ts).
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
    default:
      throw new Error(`unknown IPVS driver kind: ${String(kind)}`);
  }
}
