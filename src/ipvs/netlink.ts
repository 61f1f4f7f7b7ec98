// IPVS through generic netlink, straight to the kernel (family "IPVS", include/uapi/linux/ip_vs.h).
//
// Node has no AF_NETLINK sockets, so the socket itself comes from the optional dependency `netlink`
// (a thin native addon with prebuilt binaries); only its raw datagram socket is used. Framing,
// sequence numbers, ACKs, dumps and the IPVS attribute codec are here, so nothing else of that
// package matters. Without the package, or without ip_vs in the kernel, probeNetlink() says false
// and `--ipvs auto` falls back to ipvsadm.
//
// Semantics follow ipvsadm 1.31 exactly, so both drivers give the same table for the same changes:
// the same attributes are sent (netmask 0xffffffff / 128 when not persistent, flags with a full
// mask), gate/ipip destinations of non-fwmark services are stored on the service port (but not
// on delete, as ipvsadm), lines ipvsadm would refuse are refused with its message (validateChange),
// and kernel errors carry ipvsadm's texts (libipvs ipvs_strerror).
// Changes are pipelined on one socket: the kernel handles each request in order inside sendmsg,
// so order holds; at most WINDOW requests are outstanding so ACKs cannot overflow the receive buffer.
// Dumps (the read) go one at a time: a netlink socket runs a single dump at once.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { FORMAT, canonicalAddress, kernelDestPort, normalizeAttrs, sortLikeIpvsadm, validateChange } from './rules.js';
import { IpvsError } from './types.js';
import type { ApplyResult, Change, Dest, IpvsDriver, Service, ServiceAttrs, ServiceKey, SyncDaemon, SyncDaemonControl, SyncState, Table } from './types.js';
import type { Forward } from '../config/model.js';

// --- protocol constants (linux/netlink.h, linux/genetlink.h, linux/ip_vs.h) ---------------------
const NETLINK_GENERIC = 16;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const GENL_ID_CTRL = 16;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;
const IPVS_GENL_VERSION = 1;

const CMD = {
  NEW_SERVICE: 1, SET_SERVICE: 2, DEL_SERVICE: 3, GET_SERVICE: 4, NEW_DEST: 5, SET_DEST: 6, DEL_DEST: 7, GET_DEST: 8,
  NEW_DAEMON: 9, DEL_DAEMON: 10, GET_DAEMON: 11,
} as const;
const CMD_ATTR = { SERVICE: 1, DEST: 2, DAEMON: 3 } as const;
const DAEMON = { STATE: 1, MCAST_IFN: 2, SYNC_ID: 3, SYNC_MAXLEN: 4, MCAST_GROUP: 5, MCAST_GROUP6: 6, MCAST_PORT: 7, MCAST_TTL: 8 } as const;
const DAEMON_STATE: Record<SyncState, number> = { master: 1, backup: 2 };
const SVC = { AF: 1, PROTOCOL: 2, ADDR: 3, PORT: 4, FWMARK: 5, SCHED_NAME: 6, FLAGS: 7, TIMEOUT: 8, NETMASK: 9 } as const;
const DST = { ADDR: 1, PORT: 2, FWD_METHOD: 3, WEIGHT: 4, U_THRESH: 5, L_THRESH: 6, ADDR_FAMILY: 11 } as const;
const SVC_F = { PERSISTENT: 0x1, ONEPACKET: 0x4, SCHED1: 0x8, SCHED2: 0x10, SCHED3: 0x20 } as const;
const AF = { 4: 2, 6: 10 } as const;
const PROTO = { tcp: 6, udp: 17 } as const;
const FWD: Record<Forward, number> = { masq: 0, ipip: 2, gate: 3 };
/** IP_VS_CONN_F_FWD_MASK values back to lvsd's names; LOCALNODE (1) lists as "Local", read as gate like ipvsadm's driver. */
const FWD_NAME: Record<number, Forward> = { 0: 'masq', 1: 'gate', 2: 'ipip', 3: 'gate' };

/** Requests in flight on one socket; each ACK (or echoed error) must fit in the receive buffer. */
const WINDOW = 64;
const RCVBUF = 1 << 20;

// --- errors ------------------------------------------------------------------------------------
const E = os.constants.errno;
type Op = 'add_service' | 'update_service' | 'del_service' | 'add_dest' | 'update_dest' | 'del_dest' | 'get_dests' | 'start_daemon' | 'stop_daemon';
/** libipvs ipvs_strerror: (operation, errno) → text; then per-errno texts; then glibc strerror. */
const OP_ERRORS: [Op | null, number, string][] = [
  ['add_service', E.EEXIST, 'Service already exists'],
  ['add_service', E.ENOENT, 'Scheduler or persistence engine not found'],
  ['update_service', E.ESRCH, 'No such service'],
  ['update_service', E.ENOENT, 'Scheduler or persistence engine not found'],
  ['del_service', E.ESRCH, 'No such service'],
  ['add_dest', E.ESRCH, 'Service not defined'],
  ['add_dest', E.EEXIST, 'Destination already exists'],
  ['update_dest', E.ESRCH, 'Service not defined'],
  ['update_dest', E.ENOENT, 'No such destination'],
  ['del_dest', E.ESRCH, 'Service not defined'],
  ['del_dest', E.ENOENT, 'No such destination'],
  ['get_dests', E.ESRCH, 'No such service'],
  ['start_daemon', E.EEXIST, 'Daemon has already run'],
  ['stop_daemon', E.ESRCH, 'No daemon is running'],
  [null, E.EPERM, 'Permission denied (you must be root)'],
  [null, E.EINVAL, 'Invalid operation.  Possibly wrong module version, address not unicast, ...'],
  [null, E.ENOPROTOOPT, 'Protocol not available'],
  [null, E.ENOMEM, 'Memory allocation problem'],
  [null, E.EOPNOTSUPP, 'Operation not supported with IPv6'],
  [null, E.EAFNOSUPPORT, 'Operation not supported with specified address family'],
];
const STRERROR: Record<number, string> = {
  [E.ERANGE]: 'Numerical result out of range',
  [E.EBUSY]: 'Device or resource busy',
  [E.ENOBUFS]: 'No buffer space available',
  [E.ENOENT]: 'No such file or directory',
  [E.ESRCH]: 'No such process',
  [E.EEXIST]: 'File exists',
  [E.EACCES]: 'Permission denied',
  [E.EMSGSIZE]: 'Message too long',
  [E.ENODEV]: 'No such device',
};

/** The text ipvsadm prints for a kernel errno returned to an operation. */
export function ipvsErrorText(op: Op | null, errno: number): string {
  const hit = OP_ERRORS.find(([o, e]) => e === errno && (o === op || o === null)) ?? OP_ERRORS.find(([o, e]) => o === null && e === errno);
  if (hit) return hit[2];
  return STRERROR[errno] ?? `kernel error ${errno} (${errnoName(errno)})`;
}

function errnoName(errno: number): string {
  return Object.entries(E).find(([, v]) => v === errno)?.[0] ?? 'unknown';
}

/** A kernel answer with a negative status. */
export class NetlinkErrno extends Error {
  override name = 'NetlinkErrno';
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}

// --- attributes --------------------------------------------------------------------------------
const align4 = (n: number): number => (n + 3) & ~3;

/** One netlink attribute (type, payload), padded to 4 bytes. */
function attr(type: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(align4(4 + payload.length));
  b.writeUInt16LE(4 + payload.length, 0);
  b.writeUInt16LE(type, 2);
  payload.copy(b, 4);
  return b;
}
const u16 = (t: number, v: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return attr(t, b); };
const be16 = (t: number, v: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return attr(t, b); };
const u32 = (t: number, v: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return attr(t, b); };
const str = (t: number, s: string): Buffer => attr(t, Buffer.from(`${s}\0`));
const u8 = (t: number, v: number): Buffer => attr(t, Buffer.from([v & 255]));
const nest = (t: number, parts: Buffer[]): Buffer => attr(t, Buffer.concat(parts));

/** Attributes of one level by type (the last of a repeated type wins; flag bits masked off). */
export function parseAttrs(b: Buffer): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  for (let o = 0; o + 4 <= b.length;) {
    const len = b.readUInt16LE(o);
    if (len < 4 || o + len > b.length) break;
    m.set(b.readUInt16LE(o + 2) & 0x3fff, b.subarray(o + 4, o + len));
    o += align4(len);
  }
  return m;
}

// --- addresses ---------------------------------------------------------------------------------
/** union nf_inet_addr as ipvsadm sends it: 16 bytes, IPv4 in the first four. */
export function packAddress(address: string): Buffer {
  const b = Buffer.alloc(16);
  if (!address.includes(':')) {
    address.split('.').forEach((o, i) => b.writeUInt8(Number(o) & 255, i));
    return b;
  }
  // a dotted IPv4 tail (::ffff:1.2.3.4) becomes two hex words first
  const text = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`);
  const [head, tail] = text.split('::') as [string, string | undefined];
  const words = (x: string | undefined): string[] => (x ? x.split(':') : []);
  let w = words(head);
  if (tail !== undefined) {
    const t = words(tail);
    w = [...w, ...Array<string>(Math.max(0, 8 - w.length - t.length)).fill('0'), ...t];
  }
  w.slice(0, 8).forEach((x, i) => b.writeUInt16BE(parseInt(x, 16) || 0, i * 2));
  return b;
}

function unpackAddress(b: Buffer, family: 4 | 6): string {
  if (family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const w: string[] = [];
  for (let i = 0; i < 16; i += 2) w.push((b.length >= i + 2 ? b.readUInt16BE(i) : 0).toString(16));
  return canonicalAddress(w.join(':')) ?? w.join(':');
}

// --- IPVS messages -----------------------------------------------------------------------------
/** Attributes that identify a service: AF and the fwmark, or protocol, address and port. */
function serviceId(k: ServiceKey): Buffer[] {
  const parts = [u16(SVC.AF, AF[k.family])];
  if (k.protocol === 'fwm') parts.push(u32(SVC.FWMARK, k.fwmark ?? 0));
  else parts.push(u16(SVC.PROTOCOL, PROTO[k.protocol]), attr(SVC.ADDR, packAddress(k.address ?? '')), be16(SVC.PORT, k.port));
  return parts;
}

function schedFlagBits(flags: string | undefined): number {
  let bits = 0;
  for (const f of (flags ?? '').split(',')) {
    if (f === 'flag-1' || f.endsWith('-fallback')) bits |= SVC_F.SCHED1;
    else if (f === 'flag-2' || f.endsWith('-port')) bits |= SVC_F.SCHED2;
    else if (f === 'flag-3') bits |= SVC_F.SCHED3;
  }
  return bits;
}

/** What NEW_SERVICE / SET_SERVICE require besides the identity (all four, or EINVAL). */
function serviceAttrs(k: ServiceKey, a: ServiceAttrs): Buffer[] {
  const flags = (a.persistent !== undefined ? SVC_F.PERSISTENT : 0) | (a.ops ? SVC_F.ONEPACKET : 0) | schedFlagBits(a.schedflags);
  const fl = Buffer.alloc(8);
  fl.writeUInt32LE(flags, 0);
  fl.writeUInt32LE(0xffffffff, 4);
  const mask = Buffer.alloc(4);
  if (k.family === 6) mask.writeUInt32LE(a.persistent !== undefined && a.netmask !== undefined ? Number(a.netmask) : 128);
  else packAddress(a.persistent !== undefined && a.netmask !== undefined ? a.netmask : '255.255.255.255').copy(mask, 0, 0, 4);
  return [str(SVC.SCHED_NAME, a.scheduler), attr(SVC.FLAGS, fl), u32(SVC.TIMEOUT, a.persistent ?? 0), attr(SVC.NETMASK, mask)];
}

function destAttrs(k: ServiceKey, d: Dest, port: number): Buffer[] {
  const family = d.address.includes(':') ? 6 : 4;
  return [
    attr(DST.ADDR, packAddress(d.address)), be16(DST.PORT, port), u16(DST.ADDR_FAMILY, AF[family]),
    u32(DST.FWD_METHOD, FWD[d.forward]), u32(DST.WEIGHT, d.weight), u32(DST.U_THRESH, d.upper), u32(DST.L_THRESH, d.lower),
  ];
}

/** The generic netlink command, payload and libipvs operation name of one change. */
export function encodeChange(c: Change): { cmd: number; payload: Buffer; op: Op } {
  const svc = (extra: Buffer[] = []): Buffer => nest(CMD_ATTR.SERVICE, [...serviceId(c.service), ...extra]);
  switch (c.op) {
    case 'add-service': return { cmd: CMD.NEW_SERVICE, op: 'add_service', payload: svc(serviceAttrs(c.service, c.attrs)) };
    case 'edit-service': return { cmd: CMD.SET_SERVICE, op: 'update_service', payload: svc(serviceAttrs(c.service, c.attrs)) };
    case 'del-service': return { cmd: CMD.DEL_SERVICE, op: 'del_service', payload: svc() };
    case 'del-dest': {
      // ipvsadm rewrites the port for -a/-e only; -d names the destination as given.
      const d = [attr(DST.ADDR, packAddress(c.address)), be16(DST.PORT, c.port)];
      return { cmd: CMD.DEL_DEST, op: 'del_dest', payload: Buffer.concat([svc(), nest(CMD_ATTR.DEST, d)]) };
    }
    case 'add-dest':
    case 'edit-dest': {
      const port = kernelDestPort(c.service, c.dest.forward, c.dest.port);
      const payload = Buffer.concat([svc(), nest(CMD_ATTR.DEST, destAttrs(c.service, c.dest, port))]);
      return c.op === 'add-dest' ? { cmd: CMD.NEW_DEST, op: 'add_dest', payload } : { cmd: CMD.SET_DEST, op: 'update_dest', payload };
    }
  }
}

/** One NEW_SERVICE dump entry as lvsd's Service (without dests), in ipvsadm's normal form. */
export function decodeService(payload: Buffer): Service | undefined {
  const top = parseAttrs(payload).get(CMD_ATTR.SERVICE);
  if (!top) return undefined;
  const a = parseAttrs(top);
  const family = a.get(SVC.AF)?.readUInt16LE(0) === AF[6] ? 6 : 4;
  const fwmark = a.get(SVC.FWMARK)?.readUInt32LE(0) ?? 0;
  let key: ServiceKey;
  if (fwmark) key = { protocol: 'fwm', family, port: 0, fwmark };
  else {
    const proto = a.get(SVC.PROTOCOL)?.readUInt16LE(0);
    if (proto !== PROTO.tcp && proto !== PROTO.udp) return undefined; // SCTP and the like: not lvsd's
    key = {
      protocol: proto === PROTO.tcp ? 'tcp' : 'udp', family,
      address: unpackAddress(a.get(SVC.ADDR) ?? Buffer.alloc(16), family), port: a.get(SVC.PORT)?.readUInt16BE(0) ?? 0,
    };
  }
  const flags = a.get(SVC.FLAGS)?.readUInt32LE(0) ?? 0;
  const attrs: ServiceAttrs = { scheduler: cstr(a.get(SVC.SCHED_NAME)), ops: !!(flags & SVC_F.ONEPACKET) };
  if (flags & SVC_F.PERSISTENT) {
    attrs.persistent = a.get(SVC.TIMEOUT)?.readUInt32LE(0) ?? 0;
    const nm = a.get(SVC.NETMASK) ?? Buffer.alloc(4);
    attrs.netmask = family === 6 ? String(nm.readUInt32LE(0)) : unpackAddress(nm, 4);
  }
  const names = FORMAT.schedFlagNames(attrs.scheduler);
  const sf = [SVC_F.SCHED1, SVC_F.SCHED2, SVC_F.SCHED3].map((bit, i) => (flags & bit ? names[i] : '')).filter(Boolean).join(',');
  if (sf) attrs.schedflags = sf;
  return { key, ...normalizeAttrs(key, attrs), dests: [] };
}

/** One NEW_DEST dump entry. */
export function decodeDest(payload: Buffer, serviceFamily: 4 | 6): Dest | undefined {
  const top = parseAttrs(payload).get(CMD_ATTR.DEST);
  if (!top) return undefined;
  const a = parseAttrs(top);
  const family = a.has(DST.ADDR_FAMILY) ? (a.get(DST.ADDR_FAMILY)!.readUInt16LE(0) === AF[6] ? 6 : 4) : serviceFamily;
  const num = (t: number): number => a.get(t)?.readUInt32LE(0) ?? 0;
  return {
    address: unpackAddress(a.get(DST.ADDR) ?? Buffer.alloc(16), family),
    port: a.get(DST.PORT)?.readUInt16BE(0) ?? 0,
    forward: FWD_NAME[num(DST.FWD_METHOD) & 7] ?? 'gate',
    weight: num(DST.WEIGHT) | 0,
    upper: num(DST.U_THRESH),
    lower: num(DST.L_THRESH),
  };
}

/**
 * IPVS_CMD_NEW_DAEMON's payload: a nested IPVS_CMD_ATTR_DAEMON with what libipvs sends for
 * ipvsadm --start-daemon (state, interface, syncid; the optional settings only when given).
 */
export function encodeDaemon(d: SyncDaemon): Buffer {
  const parts = [u32(DAEMON.STATE, DAEMON_STATE[d.state]), str(DAEMON.MCAST_IFN, d.ifname), u32(DAEMON.SYNC_ID, d.syncid)];
  if (d.maxlen !== undefined) parts.push(u16(DAEMON.SYNC_MAXLEN, d.maxlen));
  if (d.group !== undefined) {
    parts.push(d.group.includes(':') ? attr(DAEMON.MCAST_GROUP6, packAddress(d.group)) : attr(DAEMON.MCAST_GROUP, packAddress(d.group).subarray(0, 4)));
  }
  if (d.port !== undefined) parts.push(u16(DAEMON.MCAST_PORT, d.port));
  if (d.ttl !== undefined) parts.push(u8(DAEMON.MCAST_TTL, d.ttl));
  return nest(CMD_ATTR.DAEMON, parts);
}

/**
 * One GET_DAEMON dump entry (ip_vs_genl_fill_daemon). Unlike a service's port, the sync port
 * travels in host order (the kernel keeps it so and converts when it opens the socket): a
 * big-endian one read 8848 back as 36898 on the real kernel.
 */
export function decodeDaemon(payload: Buffer): SyncDaemon | undefined {
  const top = parseAttrs(payload).get(CMD_ATTR.DAEMON);
  if (!top) return undefined;
  const a = parseAttrs(top);
  const code = a.get(DAEMON.STATE)?.readUInt32LE(0);
  const state = code === DAEMON_STATE.master ? 'master' : code === DAEMON_STATE.backup ? 'backup' : undefined;
  if (!state) return undefined;
  const d: SyncDaemon = { state, ifname: cstr(a.get(DAEMON.MCAST_IFN)), syncid: a.get(DAEMON.SYNC_ID)?.readUInt32LE(0) ?? 0 };
  const maxlen = a.get(DAEMON.SYNC_MAXLEN);
  if (maxlen && maxlen.length >= 2) d.maxlen = maxlen.readUInt16LE(0);
  const g6 = a.get(DAEMON.MCAST_GROUP6);
  const g4 = a.get(DAEMON.MCAST_GROUP);
  if (g6 && g6.length >= 16) d.group = unpackAddress(g6, 6);
  else if (g4 && g4.length >= 4) d.group = unpackAddress(g4, 4);
  const port = a.get(DAEMON.MCAST_PORT);
  if (port && port.length >= 2) d.port = port.readUInt16LE(0);
  const ttl = a.get(DAEMON.MCAST_TTL);
  if (ttl && ttl.length >= 1) d.ttl = ttl.readUInt8(0);
  return d;
}

const cstr = (b: Buffer | undefined): string => (b ? b.toString('latin1').replace(/\0.*$/s, '') : '');

// --- transport ---------------------------------------------------------------------------------
/** The part of the `netlink` package's RawNetlinkSocket used here. */
interface RawSocket {
  send(msg: Uint8Array, options?: { port?: number }, cb?: (err?: Error) => void): void;
  on(ev: 'message', cb: (msg: Buffer) => void): unknown;
  on(ev: 'error', cb: (err: Error) => void): unknown;
  close(): void;
  ref(): void;
  unref(): void;
}
type RawCtor = new (protocol: number, options?: { recvBufferSize?: number; sendBufferSize?: number }) => RawSocket;

let rawCtor: Promise<RawCtor> | undefined;
function loadRaw(): Promise<RawCtor> {
  // A variable specifier keeps the optional package out of type checking and out of hard imports.
  const pkg = 'netlink';
  rawCtor ??= import(pkg).then(
    (m: { RawNetlinkSocket?: RawCtor; default?: { RawNetlinkSocket?: RawCtor } }) => {
      const C = m.RawNetlinkSocket ?? m.default?.RawNetlinkSocket;
      if (!C) throw new IpvsError('the netlink package has no RawNetlinkSocket');
      return C;
    },
    (e: Error) => { rawCtor = undefined; throw new IpvsError(`the optional package "netlink" cannot be loaded: ${e.message}`); },
  );
  return rawCtor;
}

interface Pending { resolve(parts: Buffer[]): void; reject(e: Error): void; parts: Buffer[]; timer: NodeJS.Timeout }

/** Generic netlink requests on one socket: sequence numbers, ACKs, multipart dumps, a window. */
class GenlSocket {
  private seq = (Math.random() * 0x7fffffff) >>> 0;
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: (() => void)[] = [];
  dead: Error | undefined;
  private dumps: Promise<unknown> = Promise.resolve();

  constructor(private readonly raw: RawSocket, private readonly timeoutMs: number) {
    raw.on('message', (b) => this.receive(b));
    raw.on('error', (e) => this.fail(new IpvsError(`netlink socket: ${e.message}`)));
    raw.unref();
  }

  /**
   * Send one request; resolves with the payloads (after the genl header) of the replies.
   * A socket runs one dump at a time (the kernel answers EBUSY otherwise), so dumps queue up;
   * other requests pipeline freely.
   */
  request(family: number, cmd: number, payload: Buffer, dump = false): Promise<Buffer[]> {
    if (!dump) return this.send(family, cmd, payload, false);
    const run = this.dumps.then(() => this.send(family, cmd, payload, true));
    this.dumps = run.catch(() => undefined);
    return run;
  }

  private async send(family: number, cmd: number, payload: Buffer, dump: boolean): Promise<Buffer[]> {
    while (this.pending.size >= WINDOW && !this.dead) await new Promise<void>((r) => this.waiting.push(r));
    if (this.dead) throw this.dead;
    const seq = (this.seq = (this.seq + 1) >>> 0);
    const msg = Buffer.alloc(20 + payload.length);
    msg.writeUInt32LE(msg.length, 0);
    msg.writeUInt16LE(family, 4);
    msg.writeUInt16LE(NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK), 6);
    msg.writeUInt32LE(seq, 8);
    msg.writeUInt32LE(0, 12);
    msg.writeUInt8(cmd, 16);
    msg.writeUInt8(family === GENL_ID_CTRL ? 1 : IPVS_GENL_VERSION, 17);
    payload.copy(msg, 20);
    return new Promise<Buffer[]>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(seq, new IpvsError(`no answer from the kernel within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.pending.set(seq, { resolve, reject, parts: [], timer });
      if (this.pending.size === 1) this.raw.ref();
      this.raw.send(msg, { port: 0 }, (err) => { if (err) this.settle(seq, new IpvsError(`netlink send: ${err.message}`)); });
    });
  }

  private receive(b: Buffer): void {
    for (let o = 0; o + 16 <= b.length;) {
      const len = b.readUInt32LE(o);
      if (len < 16 || o + len > b.length) break;
      const type = b.readUInt16LE(o + 4);
      const seq = b.readUInt32LE(o + 8);
      const p = this.pending.get(seq);
      if (p) {
        if (type === NLMSG_ERROR || type === NLMSG_DONE) {
          const status = len >= 20 ? b.readInt32LE(o + 16) : 0;
          this.settle(seq, status < 0 ? new NetlinkErrno(-status, errnoName(-status)) : undefined);
        } else {
          // dump parts (NLM_F_MULTI) until DONE; a single reply is followed by its ACK
          p.parts.push(Buffer.from(b.subarray(o + 20, o + len)));
        }
      }
      o += align4(len);
    }
  }

  private settle(seq: number, err?: Error): void {
    const p = this.pending.get(seq);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(seq);
    if (this.pending.size === 0) this.raw.unref();
    if (err) p.reject(err);
    else p.resolve(p.parts);
    this.waiting.shift()?.();
  }

  private fail(e: Error): void {
    this.dead ??= e;
    for (const seq of [...this.pending.keys()]) this.settle(seq, e);
    for (const w of this.waiting.splice(0)) w();
  }

  close(): void {
    this.fail(new IpvsError('netlink socket closed'));
    this.raw.close();
  }
}

/** Resolve a generic netlink family's id through nlctrl. */
async function familyId(sock: GenlSocket, name: string): Promise<number> {
  const [reply] = await sock.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, str(CTRL_ATTR_FAMILY_NAME, name));
  const id = reply && parseAttrs(reply).get(CTRL_ATTR_FAMILY_ID);
  if (!id) throw new IpvsError(`nlctrl gave no id for the ${name} family`);
  return id.readUInt16LE(0);
}

function runModprobe(timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn('modprobe', ['-q', 'ip_vs'], { stdio: 'ignore', env: { PATH: '/usr/sbin:/sbin:/usr/bin:/bin' } });
    } catch {
      resolve();
      return;
    }
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', () => { clearTimeout(t); resolve(); });
    child.on('close', () => { clearTimeout(t); resolve(); });
  });
}

// --- the driver --------------------------------------------------------------------------------
export interface NetlinkDriverOptions {
  /** a request without an answer fails after this many ms (default 5000) */
  timeoutMs?: number;
  /** run `modprobe ip_vs` when the IPVS family is missing, as ipvsadm does (default true) */
  modprobe?: boolean;
}

export class NetlinkDriver implements IpvsDriver {
  readonly name = 'netlink';
  private readonly timeoutMs: number;
  private readonly modprobe: boolean;
  private conn: Promise<{ sock: GenlSocket; family: number }> | undefined;

  constructor(opts: NetlinkDriverOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.modprobe = opts.modprobe ?? true;
  }

  /** The socket and the IPVS family id, opened once and reopened after a failure. */
  private async connect(): Promise<{ sock: GenlSocket; family: number }> {
    const open = this.conn && (await this.conn.catch(() => undefined));
    if (open?.sock.dead) this.conn = undefined; // the socket broke (an error event): open a new one
    this.conn ??= (async () => {
      const Raw = await loadRaw();
      let raw: RawSocket;
      try {
        raw = new Raw(NETLINK_GENERIC, { recvBufferSize: RCVBUF });
      } catch (e) {
        throw new IpvsError(`cannot open a generic netlink socket: ${(e as Error).message}`);
      }
      const sock = new GenlSocket(raw, this.timeoutMs);
      try {
        try {
          return { sock, family: await familyId(sock, 'IPVS') };
        } catch (e) {
          if (!(e instanceof NetlinkErrno && e.errno === E.ENOENT) || !this.modprobe) throw e;
          await runModprobe(this.timeoutMs);
          return { sock, family: await familyId(sock, 'IPVS') };
        }
      } catch (e) {
        sock.close();
        if (e instanceof NetlinkErrno && e.errno === E.ENOENT) throw new IpvsError('the kernel has no IPVS (generic netlink family "IPVS" not found; is ip_vs loaded?)');
        throw e instanceof NetlinkErrno ? new IpvsError(`IPVS family lookup failed: ${ipvsErrorText(null, e.errno)}`) : e;
      }
    })();
    this.conn.catch(() => { this.conn = undefined; });
    return this.conn;
  }

  /** IPVS_CMD_NEW_DAEMON / DEL_DAEMON / GET_DAEMON; failures carry ipvsadm's texts. */
  readonly sync: SyncDaemonControl = {
    readDaemons: async () => {
      const { sock, family } = await this.connect();
      try {
        const parts = await sock.request(family, CMD.GET_DAEMON, Buffer.alloc(0), true);
        return parts.map(decodeDaemon).filter((d): d is SyncDaemon => !!d);
      } catch (e) {
        throw e instanceof NetlinkErrno ? new IpvsError(`reading the sync daemons: ${ipvsErrorText(null, e.errno)}`) : e;
      }
    },
    startDaemon: (d) => this.daemonRequest(CMD.NEW_DAEMON, encodeDaemon(d), 'start_daemon'),
    stopDaemon: (state) => this.daemonRequest(CMD.DEL_DAEMON, nest(CMD_ATTR.DAEMON, [u32(DAEMON.STATE, DAEMON_STATE[state])]), 'stop_daemon'),
  };

  private async daemonRequest(cmd: number, payload: Buffer, op: Op): Promise<void> {
    const { sock, family } = await this.connect();
    try {
      await sock.request(family, cmd, payload);
    } catch (e) {
      throw e instanceof NetlinkErrno ? new IpvsError(ipvsErrorText(op, e.errno)) : e;
    }
  }

  async read(): Promise<Table> {
    const { sock, family } = await this.connect();
    let services: Service[];
    try {
      services = (await sock.request(family, CMD.GET_SERVICE, Buffer.alloc(0), true))
        .map(decodeService).filter((s): s is Service => !!s);
    } catch (e) {
      throw asIpvsError(e, 'reading services');
    }
    // One destination dump per service (queued by the socket); a service deleted meanwhile (ESRCH) is left out.
    const withDests = await Promise.all(services.map(async (s) => {
      try {
        const parts = await sock.request(family, CMD.GET_DEST, nest(CMD_ATTR.SERVICE, serviceId(s.key)), true);
        return { ...s, dests: parts.map((p) => decodeDest(p, s.key.family)).filter((d): d is Dest => !!d) };
      } catch (e) {
        if (e instanceof NetlinkErrno && e.errno === E.ESRCH) return undefined;
        throw asIpvsError(e, 'reading destinations');
      }
    }));
    return sortLikeIpvsadm({ services: withDests.filter((s): s is Service => !!s) });
  }

  async apply(changes: Change[]): Promise<ApplyResult> {
    const failed: ApplyResult['failed'] = [];
    const toSend: Change[] = [];
    for (const c of changes) {
      const refused = validateChange(c);
      if (refused) failed.push({ change: c, error: `ipvsadm refuses the line: ${refused}` });
      else toSend.push(c);
    }
    if (toSend.length === 0) return { failed };
    const { sock, family } = await this.connect();
    const results = await Promise.all(toSend.map(async (change) => {
      const { cmd, payload, op } = encodeChange(change);
      try {
        await sock.request(family, cmd, payload);
        return undefined;
      } catch (e) {
        return { change, error: e instanceof NetlinkErrno ? ipvsErrorText(op, e.errno) : (e as Error).message };
      }
    }));
    for (const r of results) if (r) failed.push(r);
    // keep the caller's order: refusals and kernel failures interleaved as the changes were given
    const order = new Map(changes.map((c, i) => [c, i]));
    failed.sort((a, b) => order.get(a.change)! - order.get(b.change)!);
    return { failed };
  }

  async close(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    if (c) (await c.catch(() => undefined))?.sock.close();
  }
}

function asIpvsError(e: unknown, what: string): Error {
  if (e instanceof NetlinkErrno) return new IpvsError(`${what}: ${ipvsErrorText('get_dests', e.errno)}`);
  return e instanceof Error ? e : new IpvsError(`${what}: ${String(e)}`);
}

/** True when generic netlink IPVS answers here (the package loads, the family resolves, a dump works). */
export async function probeNetlink(opts: NetlinkDriverOptions = {}): Promise<boolean> {
  const d = new NetlinkDriver({ timeoutMs: 2000, ...opts });
  try {
    await d.read();
    return true;
  } catch {
    return false;
  } finally {
    await d.close();
  }
}
