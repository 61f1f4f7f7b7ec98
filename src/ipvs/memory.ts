// An IPVS table held in the process, for the demo and the tests. It applies changes the way
// `ipvsadm -R` on a real kernel does: ipvsadm's refusals (see validateChange) and port rewrite,
// the kernel's errors with ipvsadm's texts, and a failed change does not stop the batch.
// read() returns what IpvsadmDriver.read() would return for the same table (same order and
// normal form), so both drivers can be compared change for change.
import { canonicalAddress, formatSave, kernelDestPort, mergeThresholds, parseSave, validateChange } from './rules.js';
import type { ApplyResult, Change, Dest, IpvsDriver, Service, ServiceKey, SyncDaemon, SyncDaemonControl, Table } from './types.js';
import { kernelDaemon } from './sync-kernel.js';

/** Schedulers and persistence engines a stock kernel (6.1) has. */
const KERNEL_SCHEDULERS = new Set(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh']);

/** libipvs ipvs_strerror texts for the errno the kernel returns (ERANGE falls back to strerror). */
export const KERNEL_ERRORS = {
  serviceExists: 'Service already exists',
  noScheduler: 'Scheduler or persistence engine not found',
  noService: 'No such service',
  serviceNotDefined: 'Service not defined',
  destExists: 'Destination already exists',
  noDest: 'No such destination',
  range: 'Numerical result out of range',
  invalid: 'Invalid operation.  Possibly wrong module version, address not unicast, ...',
  daemonRuns: 'Daemon has already run',
  noDaemon: 'No daemon is running',
  noDevice: 'No such device',
} as const;

class KernelError extends Error {}

function sameKey(a: ServiceKey, b: ServiceKey): boolean {
  if (a.protocol === 'fwm' || b.protocol === 'fwm') return a.protocol === b.protocol && a.fwmark === b.fwmark && a.family === b.family;
  return a.protocol === b.protocol && a.family === b.family && a.port === b.port && canonicalAddress(a.address ?? '') === b.address;
}

/** The kernel refuses destinations that are not unicast (ip_vs_new_dest). */
function unicast(address: string): boolean {
  if (!address.includes(':')) {
    const o = address.split('.').map(Number);
    return o[0] !== 0 && o[0]! < 224 && address !== '255.255.255.255';
  }
  const w = address.toLowerCase();
  return w !== '::' && !w.startsWith('ff') && !/^fe[89ab]/.test(w);
}

export class MemoryDriver implements IpvsDriver {
  readonly name = 'memory';
  private services: Service[] = [];
  /** how many apply() calls were made (the tests count batches). */
  applies = 0;

  private daemons: Required<SyncDaemon>[] = [];

  /** `interfaces`: names a sync daemon may use, with their MTU (default: any name, MTU 1500). */
  constructor(initial?: Table, private readonly interfaces?: Map<string, number>) {
    if (initial) this.services = structuredClone(initial.services);
  }

  /** The sync daemons with the kernel's rules: one per state, defaults filled in, maxlen clamped. */
  readonly sync: SyncDaemonControl = {
    readDaemons: async () => ['master', 'backup'].flatMap((s) => this.daemons.filter((d) => d.state === s)).map((d) => ({ ...d })),
    startDaemon: async (d) => {
      if (this.daemons.some((x) => x.state === d.state)) throw new Error(KERNEL_ERRORS.daemonRuns);
      const mtu = this.interfaces ? this.interfaces.get(d.ifname) : d.ifname ? 1500 : undefined;
      if (mtu === undefined) throw new Error(KERNEL_ERRORS.noDevice);
      this.daemons.push(kernelDaemon(d, mtu));
    },
    stopDaemon: async (state) => {
      const i = this.daemons.findIndex((d) => d.state === state);
      if (i < 0) throw new Error(KERNEL_ERRORS.noDaemon);
      this.daemons.splice(i, 1);
    },
  };

  async read(): Promise<Table> {
    // ipvsadm sorts what the kernel lists, and its comparator wraps (not a total order), so the
    // input order shows through: the kernel lists address-keyed services before fwmark ones
    // (ip_vs_genl_dump_services) and each service's destinations newest first.
    const kernelOrder = [...this.services.filter((s) => s.key.protocol !== 'fwm'), ...this.services.filter((s) => s.key.protocol === 'fwm')];
    return mergeThresholds(parseSave(formatSave({ services: kernelOrder })), { services: this.services });
  }

  async apply(changes: Change[]): Promise<ApplyResult> {
    this.applies += 1;
    const failed: ApplyResult['failed'] = [];
    for (const change of changes) {
      const refused = validateChange(change);
      try {
        if (refused) throw new KernelError(`ipvsadm refuses the line: ${refused}`);
        this.applyOne(change);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        failed.push({ change, error: e.message });
      }
    }
    return { failed };
  }

  private find(k: ServiceKey): Service | undefined {
    return this.services.find((s) => sameKey(k, s.key));
  }

  private applyOne(c: Change): void {
    const svc = this.find(c.service);
    const fail = (msg: string): never => {
      throw new KernelError(msg);
    };
    switch (c.op) {
      case 'add-service':
        if (svc) fail(KERNEL_ERRORS.serviceExists);
        if (!KERNEL_SCHEDULERS.has(c.attrs.scheduler)) fail(KERNEL_ERRORS.noScheduler);
        this.services.push({ key: { ...c.service, address: c.service.address && canonicalAddress(c.service.address) }, ...c.attrs, dests: [] });
        return;
      case 'edit-service':
        if (!svc) return fail(KERNEL_ERRORS.noService);
        if (!KERNEL_SCHEDULERS.has(c.attrs.scheduler)) fail(KERNEL_ERRORS.noScheduler);
        // -E sends every attribute, so whatever is not given is cleared.
        Object.assign(svc, { persistent: undefined, netmask: undefined, schedflags: undefined }, c.attrs);
        return;
      case 'del-service':
        if (!svc) return fail(KERNEL_ERRORS.noService);
        this.services.splice(this.services.indexOf(svc), 1);
        return;
      case 'del-dest': {
        if (!svc) return fail(KERNEL_ERRORS.serviceNotDefined);
        // -d takes the port as given: no DR/TUN rewrite here.
        const i = this.destIndex(svc, c.address, c.port);
        if (i < 0) fail(KERNEL_ERRORS.noDest);
        svc.dests.splice(i, 1);
        return;
      }
      case 'add-dest':
      case 'edit-dest': {
        if (!svc) return fail(KERNEL_ERRORS.serviceNotDefined);
        const d: Dest = { ...c.dest, address: canonicalAddress(c.dest.address)!, port: kernelDestPort(c.service, c.dest.forward, c.dest.port) };
        if (d.lower > d.upper) fail(KERNEL_ERRORS.range);
        const i = this.destIndex(svc, d.address, d.port);
        if (c.op === 'add-dest') {
          if (i >= 0) fail(KERNEL_ERRORS.destExists);
          if (!unicast(d.address)) fail(KERNEL_ERRORS.invalid);
          // the kernel links a new destination at the head of the list (list_add_rcu in
          // __ip_vs_update_dest)
          svc.dests.unshift(d);
        } else {
          if (i < 0) fail(KERNEL_ERRORS.noDest);
          svc.dests[i] = d;
        }
      }
    }
  }

  private destIndex(s: Service, address: string, port: number): number {
    const a = canonicalAddress(address);
    return s.dests.findIndex((d) => d.address === a && d.port === port);
  }
}
