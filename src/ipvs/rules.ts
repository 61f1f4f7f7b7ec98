// ipvsadm 1.31's text forms, both ways: a Change as the rule line `ipvsadm -R` reads, and the
// output of `ipvsadm -S -n` and `ipvsadm -L -n [--thresholds]` back into a Table. Pure functions.
// Every format fact (printf layouts, texts, limits) is in FORMAT and LIMITS below, taken from
// ipvsadm.c / libipvs.c 1.28-1.31 and checked against /usr/sbin/ipvsadm 1.31 run on a fake kernel
// (test/ipvs/fakekernel); correct them there if a capture from a real kernel disagrees.
import { isIPv4, isIPv6 } from 'node:net';
import type { Family, Forward } from '../config/model.js';
import type { Change, Dest, Service, ServiceAttrs, ServiceKey, Table } from './types.js';

export const LIMITS = {
  /** Debian's ipvsadm takes -w, -x and -y up to INT_MAX (upstream: -w up to 65535). */
  weightMax: 2147483647,
  thresholdMax: 2147483647,
  /** -p: 1 .. 31 days; -p without a value means 360 (IPVS_SVC_PERSISTENT_TIMEOUT). */
  persistentMax: 86400 * 31,
  persistentDefault: 360,
  fwmarkMax: 4294967295,
  /** IP_VS_SCHEDNAME_MAXLEN - 1: ipvsadm cuts longer names. */
  schedulerMaxLen: 15,
} as const;

export const FORMAT = {
  header: /^IP Virtual Server version \d+\.\d+\.\d+ \(size=\d+\)$/,
  /** title lines of -L (any variant) and the "  -> RemoteAddress:Port" line under them */
  title: /^(Prot LocalAddress:Port|\s+-> RemoteAddress:Port)/,
  /** "%-4s %s" protocol and address:port, then " %s" scheduler and the flag words */
  listService: /^(TCP|UDP|SCTP)\s+(\S+)\s+(\S+)(.*)$/,
  /** "FWM  %d" or "FWM  %d IPv6", then the scheduler */
  listFwm: /^FWM\s+(-?\d+)( IPv6)?\s+(\S+)(.*)$/,
  /** " (flags)", " persistent %u", " mask %s|%i", " pe %s", " ops" */
  listServiceTail: /^(?: \(([^)]*)\))?(?: persistent (\d+)(?: mask (\S+))?(?: pe (\S+))?)?( ops)?\s*$/,
  /** "  -> %-28s %-7s %-6d %-10u %-10u" */
  listDest: /^\s+-> (\S+)\s+(Route|Masq|Tunnel|Local)\s+(-?\d+)\s+\d+\s+\d+\s*$/,
  /** --thresholds: "  -> %-28s %-10u %-10u %-10u %-10u" (upper, lower, active, inactive) */
  listDestThresholds: /^\s+-> (\S+)\s+(\d+)\s+(\d+)\s+\d+\s+\d+\s*$/,
  forwardFromList: { Route: 'gate', Masq: 'masq', Tunnel: 'ipip', Local: 'gate' } as Record<string, Forward>,
  forwardFlag: { gate: '-g', masq: '-m', ipip: '-i' } as Record<Forward, string>,
  forwardFromFlag: { '-g': 'gate', '-m': 'masq', '-i': 'ipip' } as Record<string, Forward>,
  /** print_sched_flags names, in the order ipvsadm prints them */
  schedFlagNames: (scheduler: string): [string, string, string] =>
    scheduler === 'sh' || scheduler === 'mh'
      ? [`${scheduler}-fallback`, `${scheduler}-port`, 'flag-3']
      : ['flag-1', 'flag-2', 'flag-3'],
};

// ---------------------------------------------------------------------------------------------
// Addresses

/** The address as the kernel gives it back (inet_ntop), or undefined when it is no IP literal. */
export function canonicalAddress(a: string): string | undefined {
  if (isIPv4(a)) return a.split('.').map(Number).join('.');
  if (!isIPv6(a) || a.includes('%')) return undefined;
  return ntop6(pton6(a));
}

function pton6(a: string): number[] {
  let s = a;
  let tail: number[] = [];
  const last = s.slice(s.lastIndexOf(':') + 1);
  if (last.includes('.')) {
    const q = last.split('.').map(Number);
    tail = [(q[0]! << 8) | q[1]!, (q[2]! << 8) | q[3]!];
    s = s.slice(0, s.length - last.length) + '0:0';
  }
  const [h, t] = s.split('::') as [string, string | undefined];
  const head = h ? h.split(':') : [];
  const rest = t === undefined ? [] : t ? t.split(':') : [];
  const w = [...head, ...Array<string>(8 - head.length - rest.length).fill('0'), ...rest].map((x) => parseInt(x, 16));
  if (tail.length) w.splice(6, 2, ...tail);
  return w;
}

/** glibc inet_ntop: longest run (>= 2) of zero words as "::", IPv4-mapped/compatible tails dotted. */
function ntop6(w: number[]): string {
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && w[i] === 0) cur = cur.base < 0 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
    else if (cur.base >= 0) {
      if (cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (best.base >= 0 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) s += ':';
      continue;
    }
    if (i) s += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && w[5] === 0xffff))) {
      return `${s}${w[6]! >> 8}.${w[6]! & 255}.${w[7]! >> 8}.${w[7]! & 255}`;
    }
    s += w[i]!.toString(16);
  }
  return best.base >= 0 && best.base + best.len === 8 ? `${s}:` : s;
}

function familyOf(a: string): Family {
  return a.includes(':') ? 6 : 4;
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function splitHostPort(s: string): { address: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  const address = m && canonicalAddress(m[1]!);
  return address ? { address, port: Number(m![2]) } : undefined;
}

/** ipvsadm stores a gate/ipip destination of a non-fwmark service on the service's port. */
export function kernelDestPort(service: ServiceKey, forward: Forward, port: number): number {
  return service.protocol !== 'fwm' && forward !== 'masq' ? service.port : port;
}

// ---------------------------------------------------------------------------------------------
// Change -> rule line

export function serviceArgs(k: ServiceKey): string[] {
  if (k.protocol === 'fwm') return k.family === 6 ? ['-f', String(k.fwmark), '-6'] : ['-f', String(k.fwmark)];
  return [k.protocol === 'tcp' ? '-t' : '-u', hostPort(k.address ?? '', k.port)];
}

function attrArgs(a: ServiceAttrs): string[] {
  const args = ['-s', a.scheduler];
  if (a.persistent !== undefined) {
    args.push('-p', String(a.persistent));
    if (a.netmask !== undefined) args.push('-M', a.netmask);
  }
  if (a.ops) args.push('-o');
  if (a.schedflags) args.push('-b', a.schedflags);
  return args;
}

function destArgs(d: Dest): string[] {
  return ['-r', hostPort(d.address, d.port), FORMAT.forwardFlag[d.forward], '-w', String(d.weight), '-x', String(d.upper), '-y', String(d.lower)];
}

/** The arguments of one ipvsadm invocation (and of one -R line) for a change. */
export function changeToArgs(c: Change): string[] {
  const svc = serviceArgs(c.service);
  switch (c.op) {
    case 'add-service': return ['-A', ...svc, ...attrArgs(c.attrs)];
    case 'edit-service': return ['-E', ...svc, ...attrArgs(c.attrs)];
    case 'del-service': return ['-D', ...svc];
    case 'add-dest': return ['-a', ...svc, ...destArgs(c.dest)];
    case 'edit-dest': return ['-e', ...svc, ...destArgs(c.dest)];
    case 'del-dest': return ['-d', ...svc, '-r', hostPort(c.address, c.port)];
  }
}

/** One `ipvsadm -R` input line (no newline). */
export function changeToRule(c: Change): string {
  return changeToArgs(c).join(' ');
}

// ---------------------------------------------------------------------------------------------
// Refusals: what ipvsadm itself would reject while parsing a line. In -R such a line stops the
// whole restore (exit 2), so drivers refuse the change before sending anything.

const intIn = (v: number, min: number, max: number): boolean => Number.isInteger(v) && v >= min && v <= max;

function serviceKeyError(k: ServiceKey): string | undefined {
  if (k.protocol === 'fwm') {
    return intIn(k.fwmark ?? NaN, 1, LIMITS.fwmarkMax) ? undefined : `invalid fwmark value \`${k.fwmark}' specified`;
  }
  const a = k.address !== undefined ? canonicalAddress(k.address) : undefined;
  if (!a || familyOf(a) !== k.family || !intIn(k.port, 0, 65535)) return 'illegal virtual server address[:port] specified';
  return undefined;
}

function schedFlagsError(scheduler: string, flags: string): string | undefined {
  for (const f of flags.split(',')) {
    if (/^flag-[123]$/.test(f)) continue;
    const m = /^(sh|mh)-(fallback|port)$/.exec(f);
    if (!m) return `invalid scheduler flag \`${f}'`;
    if (m[1] !== scheduler) return `incompatible scheduler flag \`${f}'`;
  }
  return undefined;
}

function attrsError(k: ServiceKey, a: ServiceAttrs): string | undefined {
  if (!/^\S+$/.test(a.scheduler) || a.scheduler.length > LIMITS.schedulerMaxLen) return `invalid scheduler name \`${a.scheduler}'`;
  if (a.persistent !== undefined && !intIn(a.persistent, 1, LIMITS.persistentMax)) return `invalid timeout value \`${a.persistent}' specified`;
  if (a.persistent !== undefined && a.netmask !== undefined) {
    if (k.family === 6) {
      if (!/^\d+$/.test(a.netmask) || !intIn(Number(a.netmask), 1, 128)) return 'illegal ipv6 netmask specified';
    } else if (!isIPv4(a.netmask)) return 'illegal virtual server persistent mask specified';
  }
  if (k.protocol !== 'fwm' && k.port === 0 && a.persistent === undefined) return 'Zero port specified for non-persistent service';
  if (a.ops && k.protocol === 'tcp') return 'One-Packet Scheduling is only for UDP virtual services';
  if (a.schedflags) return schedFlagsError(a.scheduler, a.schedflags);
  return undefined;
}

function destError(k: ServiceKey, d: Dest): string | undefined {
  const a = canonicalAddress(d.address);
  if (!a || !intIn(d.port, 0, 65535)) return 'illegal real server address[:port] specified';
  if (!intIn(d.weight, 0, LIMITS.weightMax)) return 'illegal weight specified';
  if (!intIn(d.upper, 0, LIMITS.thresholdMax)) return 'illegal u_threshold specified';
  if (!intIn(d.lower, 0, LIMITS.thresholdMax)) return 'illegal l_threshold specified';
  if (familyOf(a) !== k.family && d.forward !== 'ipip') return 'Different address family is allowed only for tunneling servers';
  return undefined;
}

/** ipvsadm's message for a change it would refuse to parse, or undefined when the line is fine. */
export function validateChange(c: Change): string | undefined {
  const e = serviceKeyError(c.service);
  if (e) return e;
  switch (c.op) {
    case 'add-service':
    case 'edit-service': return attrsError(c.service, c.attrs);
    case 'add-dest':
    case 'edit-dest': return destError(c.service, c.dest);
    case 'del-dest': return canonicalAddress(c.address) && intIn(c.port, 0, 65535) ? undefined : 'illegal real server address[:port] specified';
    default: return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Normal form: what reading the kernel back gives for given attributes.

/** Drops what ipvsadm does not print: the netmask when default or not persistent; orders sched flags. */
export function normalizeAttrs(k: ServiceKey, a: ServiceAttrs): ServiceAttrs {
  const out: ServiceAttrs = { scheduler: a.scheduler, ops: !!a.ops };
  if (a.persistent !== undefined) {
    out.persistent = a.persistent;
    const dflt = k.family === 6 ? '128' : '255.255.255.255';
    if (a.netmask !== undefined && a.netmask !== dflt) out.netmask = a.netmask;
  }
  if (a.schedflags) {
    const names = FORMAT.schedFlagNames(a.scheduler);
    const bits = new Set<number>(a.schedflags.split(',').map((f) => (/-fallback$|^flag-1$/.test(f) ? 0 : /-port$|^flag-2$/.test(f) ? 1 : 2)));
    const s = names.filter((_, i) => bits.has(i)).join(',');
    if (s) out.schedflags = s;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Ordering: libipvs ipvs_cmp_services / ipvs_cmp_dests (unsigned differences taken as int, so
// they wrap: 10.0.0.1 sorts after 192.168.0.1) run through glibc's merge sort.

function addrWords(a: string): number[] {
  if (!a.includes(':')) return [a.split('.').reduce((v, o) => v * 256 + Number(o), 0)];
  const w = pton6(a);
  return [0, 2, 4, 6].map((i) => w[i]! * 65536 + w[i + 1]!);
}

function cmpAddr(a: string, b: string): number {
  const wa = addrWords(a);
  const wb = addrWords(b);
  let r = 0;
  for (let i = 0; !r && i < wa.length; i++) r = (wa[i]! - (wb[i] ?? 0)) | 0;
  return r;
}

const PROTO_NUMBER = { tcp: 6, udp: 17, fwm: 0 } as const;
const AF_NUMBER = { 4: 2, 6: 10 } as const;

function cmpServices(a: Service, b: Service): number {
  const x = a.key;
  const y = b.key;
  let r = ((x.fwmark ?? 0) - (y.fwmark ?? 0)) | 0;
  if (!r) r = AF_NUMBER[x.family] - AF_NUMBER[y.family];
  if (!r && x.protocol !== 'fwm' && y.protocol !== 'fwm') r = PROTO_NUMBER[x.protocol] - PROTO_NUMBER[y.protocol];
  if (!r && x.address && y.address) r = cmpAddr(x.address, y.address);
  return r || x.port - y.port;
}

function cmpDests(a: Dest, b: Dest): number {
  const fa = familyOf(a.address);
  const fb = familyOf(b.address);
  const r = fa === fb ? cmpAddr(a.address, b.address) : fa - fb;
  return r || a.port - b.port;
}

function msort<T>(a: T[], cmp: (x: T, y: T) => number): T[] {
  if (a.length <= 1) return a.slice();
  const n1 = a.length >> 1;
  const l = msort(a.slice(0, n1), cmp);
  const r = msort(a.slice(n1), cmp);
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < l.length && j < r.length) out.push(cmp(l[i]!, r[j]!) <= 0 ? l[i++]! : r[j++]!);
  return out.concat(l.slice(i), r.slice(j));
}

/** The table in the order `ipvsadm -L/-S` prints it. */
export function sortLikeIpvsadm(t: Table): Table {
  return { services: msort(t.services, cmpServices).map((s) => ({ ...s, dests: msort(s.dests, cmpDests) })) };
}

// ---------------------------------------------------------------------------------------------
// Table -> `ipvsadm -S -n` text (for the in-memory driver and for tests)

export function formatSave(t: Table): string {
  const lines: string[] = [];
  for (const s of sortLikeIpvsadm(t).services) {
    const svc = serviceArgs(s.key).join(' ');
    const a = normalizeAttrs(s.key, s);
    let line = `-A ${svc} -s ${a.scheduler}`;
    if (a.persistent !== undefined) line += ` -p ${a.persistent}${a.netmask !== undefined ? ` -M ${a.netmask}` : ''}`;
    if (a.ops) line += ' -o';
    if (a.schedflags) line += ` -b ${a.schedflags}`;
    lines.push(line);
    for (const d of s.dests) {
      const tun = d.forward === 'ipip' ? ' --tun-type ipip' : '';
      lines.push(`-a ${svc} -r ${hostPort(d.address, d.port)} ${FORMAT.forwardFlag[d.forward]} -w ${d.weight}${tun}`);
    }
  }
  return lines.map((l) => `${l}\n`).join('');
}

// ---------------------------------------------------------------------------------------------
// `ipvsadm -S -n` -> Table (thresholds are not in -S: they come as 0)

function parseServiceWords(w: string[]): { key: ServiceKey; rest: string[] } | undefined {
  const [opt, val, ...rest] = w;
  if (opt === '-f') {
    const six = rest[0] === '-6';
    const key: ServiceKey = { protocol: 'fwm', family: six ? 6 : 4, port: 0, fwmark: Number(val) >>> 0 };
    return { key, rest: six ? rest.slice(1) : rest };
  }
  if ((opt !== '-t' && opt !== '-u') || val === undefined) return undefined; // --sctp-service: not lvsd's
  const hp = splitHostPort(val);
  if (!hp) return undefined;
  return { key: { protocol: opt === '-t' ? 'tcp' : 'udp', family: familyOf(hp.address), address: hp.address, port: hp.port }, rest };
}

function optionValues(rest: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const o = rest[i]!;
    if (['-s', '-p', '-M', '--pe', '-b', '-r', '-w', '--tun-type', '--tun-port'].includes(o)) m.set(o, rest[++i] ?? '');
    else m.set(o, '');
  }
  return m;
}

export function parseSave(text: string): Table {
  const services: Service[] = [];
  const byKey = new Map<string, Service>();
  const keyOf = (k: ServiceKey): string => JSON.stringify([k.protocol, k.family, k.address, k.port, k.fwmark]);
  for (const raw of text.split('\n')) {
    const w = raw.trim().split(/\s+/);
    const cmd = w.shift();
    if (cmd !== '-A' && cmd !== '-a') continue;
    const p = parseServiceWords(w);
    if (!p) continue;
    const o = optionValues(p.rest);
    if (cmd === '-A') {
      const s: Service = { key: p.key, scheduler: o.get('-s') ?? 'wlc', ops: o.has('-o'), dests: [] };
      if (o.has('-p')) s.persistent = Number(o.get('-p'));
      if (o.has('-M')) s.netmask = o.get('-M');
      if (o.has('-b')) s.schedflags = o.get('-b');
      services.push(s);
      byKey.set(keyOf(p.key), s);
      continue;
    }
    const s = byKey.get(keyOf(p.key));
    const hp = splitHostPort(o.get('-r') ?? '');
    if (!s || !hp) continue;
    const flag = ['-g', '-m', '-i'].find((f) => o.has(f)) ?? '-g';
    s.dests.push({ ...hp, forward: FORMAT.forwardFromFlag[flag]!, weight: Number(o.get('-w') ?? 1), upper: 0, lower: 0 });
  }
  return { services };
}

// ---------------------------------------------------------------------------------------------
// `ipvsadm -L -n` and `ipvsadm -L -n --thresholds` -> Table

interface ListedService { key: ServiceKey; attrs: ServiceAttrs }

function parseListService(line: string): ListedService | undefined {
  let key: ServiceKey;
  let scheduler: string;
  let tail: string;
  const f = FORMAT.listFwm.exec(line);
  const m = f ? undefined : FORMAT.listService.exec(line);
  if (f) {
    key = { protocol: 'fwm', family: f[2] ? 6 : 4, port: 0, fwmark: Number(f[1]) >>> 0 };
    [scheduler, tail] = [f[3]!, f[4]!];
  } else if (m && m[1] !== 'SCTP') {
    const hp = splitHostPort(m[2]!);
    if (!hp) return undefined;
    key = { protocol: m[1] === 'TCP' ? 'tcp' : 'udp', family: familyOf(hp.address), address: hp.address, port: hp.port };
    [scheduler, tail] = [m[3]!, m[4]!];
  } else return undefined;
  const t = FORMAT.listServiceTail.exec(tail);
  const attrs: ServiceAttrs = { scheduler, ops: !!t?.[5] };
  if (t?.[1]) attrs.schedflags = t[1];
  if (t?.[2]) attrs.persistent = Number(t[2]);
  if (t?.[3]) attrs.netmask = t[3];
  return { key, attrs };
}

function parseListing(text: string, destLine: (line: string, s: Service) => void): Table {
  const services: Service[] = [];
  let cur: Service | undefined;
  for (const line of text.split('\n')) {
    if (!line.trim() || FORMAT.header.test(line) || FORMAT.title.test(line)) continue;
    if (/^\s+->/.test(line)) {
      if (cur) destLine(line, cur);
      continue;
    }
    const ls = parseListService(line);
    cur = ls ? { key: ls.key, ...ls.attrs, dests: [] } : undefined;
    if (cur) services.push(cur);
  }
  return { services };
}

/** `ipvsadm -L -n`: forward and weight per destination; thresholds come as 0. */
export function parseList(text: string): Table {
  return parseListing(text, (line, s) => {
    const m = FORMAT.listDest.exec(line);
    const hp = m && splitHostPort(m[1]!);
    if (m && hp) s.dests.push({ ...hp, forward: FORMAT.forwardFromList[m[2]!]!, weight: Number(m[3]), upper: 0, lower: 0 });
  });
}

/** `ipvsadm -L -n --thresholds`: upper and lower per destination (forward/weight not shown). */
export function parseListThresholds(text: string): Table {
  return parseListing(text, (line, s) => {
    const m = FORMAT.listDestThresholds.exec(line);
    const hp = m && splitHostPort(m[1]!);
    if (m && hp) s.dests.push({ ...hp, forward: 'gate', weight: 0, upper: Number(m[2]), lower: Number(m[3]) });
  });
}

function serviceId(k: ServiceKey): string {
  return JSON.stringify([k.protocol, k.family, k.address, k.port, k.fwmark]);
}

/** Copies upper/lower from a --thresholds listing into a table read with -S or -L. */
export function mergeThresholds(t: Table, thresholds: Table): Table {
  const th = new Map<string, Dest>();
  for (const s of thresholds.services) for (const d of s.dests) th.set(`${serviceId(s.key)}|${d.address}|${d.port}`, d);
  return {
    services: t.services.map((s) => ({
      ...s,
      dests: s.dests.map((d) => {
        const x = th.get(`${serviceId(s.key)}|${d.address}|${d.port}`);
        return { ...d, upper: x?.upper ?? 0, lower: x?.lower ?? 0 };
      }),
    })),
  };
}

/** True when both tables list the same services and destinations (thresholds aside). */
export function sameShape(a: Table, b: Table): boolean {
  const shape = (t: Table): string =>
    t.services.map((s) => `${serviceId(s.key)}:${s.dests.map((d) => `${d.address}|${d.port}`).sort().join(',')}`).sort().join(';');
  return shape(a) === shape(b);
}
