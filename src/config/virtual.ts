// Virtual sections: the header, each directive (read_config L1432–1607), and the
// resolution after the section (fallback, address, reals) in ldirectord's order.
import { stat, access, constants } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SERVICES } from './model.js';
import type { CheckType, Family, Protocol, Service, VirtualService } from './model.js';
import { didYouMean } from './suggest.js';
import { translatePerlRegex } from './perl-regex.js';
import { ldGetservbyname, portToService } from './services.js';
import { isIPv6Literal, resolveHost } from './resolve.js';
import { resolveReals, type RealTodo } from './reals.js';
import { parseFallbackSpec, resolveFallback, type FallbackSpec } from './fallback.js';
import { applyInheritable, GLOBAL_ONLY_DIRECTIVES, LVSD_DIRECTIVES, mailHeaderSafe, SECTION_DIRECTIVES, wholeNumber } from './directives.js';
import { exactHint, nonEmpty, NWS, partial, show, yesNo, type ParseState } from './parse-state.js';

const CHECKTYPES: CheckType[] = ['connect', 'negotiate', 'ping', 'off', 'on', 'external', 'external-perl'];

export interface VirtualDraft {
  v: VirtualService;
  /** `host:port` as written in the header (undefined for fwmark services). */
  hostPort?: string;
  /** the port as written in the header; a fallback without a port takes it (L2234). */
  headerPort?: string;
  serviceGiven: boolean;
  fallback?: FallbackSpec;
  reals: RealTodo[];
  /** lines of the agent directives, checked together once the section is read. */
  agentAt: Map<string, number>;
}

/** Parses the value of `virtual=` / `virtual6=` (L1332–1352). */
export function startVirtual(st: ParseState, family: Family, value: string, line: number): VirtualDraft {
  const name = family === 6 ? 'virtual6' : 'virtual';
  let hostPort: string | undefined;
  let headerPort: string | undefined;
  let fwmark: number | undefined;
  let used: string;
  let m: RegExpExecArray | null;
  if (family === 4 && (m = /^(\d+\.\d+\.\d+\.\d+):([0-9A-Za-z_-]+)/.exec(value))) {
    [used, hostPort, headerPort] = [m[0], `${m[1]}:${m[2]}`, m[2]];
  } else if ((m = /^([0-9A-Za-z._+-]+):([0-9A-Za-z_-]+)/.exec(value))) {
    [used, hostPort, headerPort] = [m[0], `${m[1]}:${m[2]}`, m[2]];
  } else if ((m = /^(\d+)/.exec(value))) {
    used = m[0];
    fwmark = Number(m[1]);
    if (/^\d+\.\d/.test(value)) st.warn(line, `${name}=${value} is read as firewall mark ${fwmark} (no :port given), as ldirectord does`);
    if (fwmark > 0xffffffff) st.warn(line, `firewall mark ${m[1]} does not fit in 32 bits`);
  } else if ((m = /^\[([0-9A-Fa-f:]+)\]:([0-9A-Za-z_-]+)/.exec(value))) {
    if (family === 4) st.fail(line, `${m[1]} is an IPv6 address: use virtual6=[${m[1]}]:${m[2]} instead of virtual=`);
    if (!isIPv6Literal(m[1]!)) st.fail(line, `invalid IPv6 address ${show(m[1]!)} for virtual service`);
    [used, hostPort, headerPort] = [m[0], `[${m[1]}]:${m[2]}`, m[2]];
  } else {
    return st.fail(
      line,
      value === ''
        ? `${name}= needs an address: ${family === 6 ? 'virtual6=[2001:db8::1]:80' : 'virtual=192.0.2.1:80'}, host:port, or a firewall mark number`
        : `invalid address for virtual service ${show(value)} — expected ${family === 6 ? '[IPv6]:port' : 'IPv4:port'}, host:port, or a firewall mark number`,
    );
  }
  if (value.slice(used.length).trim() !== '') st.warn(line, `${name}=${value}: ldirectord ignores ${show(value.slice(used.length).trim())} after ${show(used)}`);
  const fwm = fwmark !== undefined;
  const v: VirtualService = {
    source: st.loc(line),
    family,
    // udp when the *literal* port is 53 or domain (L1366)
    protocol: fwm ? 'fwm' : /:(53|domain)$/.test(hostPort!) ? 'udp' : 'tcp',
    port: 0,
    ...(fwm ? { fwmark } : {}),
    reals: [],
    service: 'none',
    checktype: 'negotiate',
    checkcommand: '/bin/true',
    request: '/',
    receive: '',
    httpmethod: 'GET',
    login: '',
    passwd: '',
    database: '',
    secret: '',
    scheduler: 'wrr',
    ops: false,
    overrides: {},
  };
  return { v, ...(hostPort !== undefined ? { hostPort, headerPort } : {}), serviceGiven: fwm, reals: [], agentAt: new Map() };
}

/** Applies one directive of a virtual section (read_config L1432–1607). */
export async function applyVirtual(st: ParseState, d: VirtualDraft, name: string, value: string, line: number): Promise<void> {
  const v = d.v;
  if (applyInheritable(st, v.overrides, name, value, line)) {
    if (name === 'checkinterval') st.checkintervalAt.set(v, line);
    return;
  }
  switch (name) {
    case 'real':
    case 'real6':
      familyMatches(st, line, name, v.family, 'real');
      d.reals.push({ text: value, line });
      return;
    case 'fallback':
    case 'fallback6':
      familyMatches(st, line, name, v.family, 'fallback');
      d.fallback = parseFallbackSpec(st, line, name, value);
      return;
    case 'request': {
      nonEmpty(st, line, name, value, 'a request string');
      v.request = value.startsWith('/') ? value : '/' + value;
      return;
    }
    case 'receive': {
      nonEmpty(st, line, name, value, 'a Perl regular expression');
      const r = translatePerlRegex(value);
      if ('error' in r) st.fail(line, `receive=${show(value)} is a Perl regular expression that lvsd cannot use: ${r.error}`);
      v.receive = value;
      return;
    }
    case 'checktype':
      return checktype(st, v, value, line);
    case 'checkcommand':
      v.checkcommand = nonEmpty(st, line, name, value, 'the program to run');
      return;
    case 'checkport': {
      const m = /\d+/.exec(value);
      if (!m) return st.fail(line, `checkport needs a port number, got ${show(value)}`);
      const n = Number(m[0]);
      if (n < 1 || n > 65535) st.fail(line, `checkport must be in the range 1..65535, got ${m[0]}`);
      partial(st, line, name, value, m[0]);
      v.checkport = n;
      return;
    }
    case 'login':
    case 'passwd':
    case 'database':
    case 'secret':
      v[name] = nonEmpty(st, line, name, value, `the ${name === 'passwd' ? 'password' : name}`);
      return;
    case 'load': {
      const m = /\w+/.exec(value);
      if (!m) return st.fail(line, `invalid string for load testing ${show(value)}`);
      v.load = m[0];
      return;
    }
    case 'scheduler': {
      const m = /[a-z]+/.exec(value);
      if (!m) return st.fail(line, `invalid scheduler ${show(value)} — scheduler names are lowercase letters (rr, wrr, lc, wlc, sh, mh, ...)`);
      partial(st, line, name, value, m[0]);
      v.scheduler = m[0];
      return;
    }
    case 'persistent': {
      const m = /\d+/.exec(value);
      if (!m) return st.fail(line, `persistent needs a timeout in seconds, got ${show(value)}`);
      partial(st, line, name, value, m[0]);
      v.persistent = Number(m[0]);
      return;
    }
    case 'schedflags': {
      const m = new RegExp(`${NWS}+`).exec(value);
      if (!m) return st.fail(line, 'schedflags needs a value such as sh-fallback,sh-port');
      v.schedflags = m[0];
      return;
    }
    case 'netmask':
      if (v.family === 6) {
        if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 128) {
          st.fail(line, `invalid netmask ${show(value)}: an IPv6 service needs a prefix length between 1 and 128${exactHint(value, [value.trim()])}`);
        }
      } else if (!/^\d+\.\d+\.\d+\.\d+$/.test(value)) {
        st.fail(line, `invalid netmask ${show(value)}: dotted quad notation (e.g. 255.255.255.0) is required${exactHint(value, [value.trim()])}`);
      }
      v.netmask = value;
      return;
    case 'protocol':
      return protocol(st, v, value, line);
    case 'ops':
      v.ops = yesNo(st, line, name, value);
      return;
    case 'service':
      return service(st, d, value, line);
    case 'httpmethod': {
      const m = /\w+/.exec(value);
      const up = m?.[0].toUpperCase();
      if (up !== 'GET' && up !== 'HEAD') return st.fail(line, `httpmethod must be GET or HEAD, got ${show(value)}`);
      v.httpmethod = up;
      return;
    }
    case 'virtualhost':
      v.virtualhost = value;
      return;
    case 'monitorfile':
      await checkWritable(st, line, value);
      v.monitorfile = value;
      return;
    case 'servicename':
      v.servicename = mailHeaderSafe(st, line, name, value);
      return;
    case 'comment':
      v.comment = value;
      return;
    case 'announcethreshold':
      if (!/^(?:0(?:\.\d{1,6})?|1(?:\.0{1,6})?|\.\d{1,6})$/.test(value)) {
        return st.fail(line, `announcethreshold needs a fraction from 0 to 1 (e.g. 0.5), got ${show(value)}${exactHint(value, [value.trim()])}`);
      }
      if (v.protocol === 'fwm') st.warn(line, 'announcethreshold has no effect on a firewall-mark service (it has no address to announce)');
      v.announcethreshold = Number(value);
      return;
    case 'agentport':
    case 'agentinterval':
      d.agentAt.set(name, line);
      v[name] = name === 'agentport' ? wholeNumber(st, line, name, value, 1, 65535) : wholeNumber(st, line, name, value, 1, 86400);
      return;
    case 'agentsend':
      d.agentAt.set(name, line);
      // eslint-disable-next-line no-control-regex
      if (/[\x00-\x1f\x7f]/.test(nonEmpty(st, line, name, value, 'the text sent to the agent'))) {
        return st.fail(line, `agentsend=${show(value)} contains a control character; write a line feed as \\n`);
      }
      v.agentsend = value;
      return;
    case 'agentoutput':
      d.agentAt.set(name, line);
      v.agentoutput = yesNo(st, line, name, value);
      return;
    default:
      if ((GLOBAL_ONLY_DIRECTIVES as readonly string[]).includes(name) || (LVSD_DIRECTIVES as readonly string[]).includes(name)) {
        return st.fail(line, `${name} is a global directive and cannot be used inside a virtual section — move it above the first virtual= line`);
      }
      return st.fail(line, `unknown directive ${show(name)} in a virtual section${didYouMean(name, SECTION_DIRECTIVES)}`);
  }
}

function familyMatches(st: ParseState, line: number, name: string, family: Family, base: string): void {
  const want = family === 6 ? `${base}6` : base;
  if (name !== want) {
    st.fail(line, `${name}= cannot be used in a ${family === 6 ? 'virtual6' : 'virtual'} section — use ${want}= (${family === 6 ? 'IPv6' : 'IPv4'})`);
  }
}

function checktype(st: ParseState, v: VirtualService, value: string, line: number): void {
  const digits = /\d+/.exec(value);
  if (digits) {
    // Any digits make it checktype=N ("negotiate2" included), as ldirectord reads it.
    v.checktype = 'combined';
    v.negotiateEvery = Number(digits[0]);
    if (value.trim() !== digits[0]) st.warn(line, `checktype=${value} is read as checktype=${digits[0]} (negotiate once every ${Number(digits[0]) + 1} checks), as ldirectord does`);
    return;
  }
  const m = /[\w-]+/.exec(value);
  if (!m || !(CHECKTYPES as string[]).includes(m[0])) {
    st.fail(line, `checktype must be connect, negotiate, on, off, ping, external, external-perl or a number, got ${show(value)}${didYouMean(m?.[0] ?? value, CHECKTYPES)}`);
  }
  partial(st, line, 'checktype', value, m[0]);
  v.checktype = m[0] as CheckType;
  delete v.negotiateEvery;
}

function protocol(st: ParseState, v: VirtualService, value: string, line: number): void {
  const m = /\w+/.exec(value);
  if (!m) return st.fail(line, `invalid protocol ${show(value)}`);
  if (v.protocol === 'fwm') {
    if (m[0] !== 'fwm') st.fail(line, `protocol must be fwm for a firewall-mark virtual service, got ${show(m[0])}`);
    return;
  }
  if (m[0] !== 'tcp' && m[0] !== 'udp') {
    st.fail(line, `protocol must be tcp or udp for an address:port virtual service, got ${show(m[0])}${m[0] === 'fwm' ? ' (fwm needs virtual=<mark>)' : ''}`);
  }
  partial(st, line, 'protocol', value, m[0]);
  v.protocol = m[0] as Protocol;
}

function service(st: ParseState, d: VirtualDraft, value: string, line: number): void {
  const v = d.v;
  const m = /\w+/.exec(value);
  if (!m || !(SERVICES as readonly string[]).includes(m[0])) {
    const hint = m?.[0] === 'ssh' || m?.[0] === 'tcp' ? ' (for a plain TCP check use checktype=connect)' : didYouMean(m?.[0] ?? value, SERVICES);
    return st.fail(line, `unknown service ${show(m?.[0] ?? value)} — service must be one of ${SERVICES.join(', ')}${hint}`);
  }
  partial(st, line, 'service', value, m[0]);
  v.service = m[0] as Service;
  d.serviceGiven = true;
  // Login defaults depend on the line order in ldirectord: they apply when service= is
  // read while login/passwd are still empty.
  if (v.service === 'ftp' && v.login === '') v.login = 'anonymous';
  else if (v.service === 'sip' && v.login === '') v.login = `ldirectord@${st.hostname}`;
  if (v.service === 'ftp' && v.passwd === '') v.passwd = `ldirectord@${st.hostname}`;
}

/** ldirectord opens the monitorfile for append at parse time; lvsd checks without creating it. */
async function checkWritable(st: ParseState, line: number, path: string): Promise<void> {
  if (path === '') st.fail(line, 'monitorfile needs a file name');
  const s = await stat(path).catch(() => undefined);
  if (s?.isDirectory()) st.fail(line, `unable to open monitorfile ${path}: it is a directory`);
  const target = s ? path : dirname(path);
  const ok = await access(target, constants.W_OK).then(() => true, () => false);
  if (!ok) st.fail(line, `unable to open monitorfile ${path}: ${s ? 'not writable' : `directory ${dirname(path)} does not exist or is not writable`}`);
}

/**
 * After the whole section is read: fallback, then the virtual's address, then the reals
 * are resolved, in ldirectord's order (so errors are reported at the same line).
 */
export async function finishVirtual(st: ParseState, d: VirtualDraft, endLine: number): Promise<VirtualService> {
  const v = d.v;
  if (d.fallback) {
    const implied = d.fallback.port === undefined ? (d.headerPort ?? '0') : undefined;
    const protos = v.protocol === 'fwm' ? ['fwm'] : [v.protocol];
    v.fallback = await resolveFallback(st, d.fallback, v.family, protos, implied);
  }
  if (d.hostPort !== undefined) await resolveVirtualAddress(st, d);
  checkAgent(st, d);
  v.reals = await resolveReals(st, d.reals, v.family);
  st.addVirtual(v, endLine);
  return v;
}

/** The agent directives make sense only together: say which one is out of place, at its line. */
function checkAgent(st: ParseState, d: VirtualDraft): void {
  const v = d.v;
  const at = (name: string): number => d.agentAt.get(name) ?? v.source.line;
  if (v.agentoutput && v.checktype !== 'external' && v.checktype !== 'external-perl') {
    st.fail(at('agentoutput'), `agentoutput=yes reads the output of an external check, but this virtual service has checktype=${v.checktype === 'combined' ? v.negotiateEvery : v.checktype}`);
  }
  if (v.agentoutput && v.agentport !== undefined) st.fail(at('agentoutput'), 'agentoutput=yes and agentport= are two agents for one real server: choose one');
  for (const name of ['agentinterval', 'agentsend'] as const) {
    if (v[name] !== undefined && v.agentport === undefined) st.fail(at(name), `${name}= needs agentport= (the port the agents listen on) in the same virtual service`);
  }
}

/** _ld_read_config_virtual_resolve (L1832). */
async function resolveVirtualAddress(st: ParseState, d: VirtualDraft): Promise<void> {
  const v = d.v;
  const hp = d.hostPort!;
  const pm = /(:(\d+|[A-Za-z0-9_-]+))?$/.exec(hp)!;
  const host = hp.slice(0, pm.index);
  const portText = pm[2];
  const line = v.source.line;
  const address = await resolveHost(host, v.family);
  if (address === undefined) {
    const literal4 = /^\d+\.\d+\.\d+\.\d+$/.test(host);
    st.fail(
      line,
      v.family === 6 && literal4
        ? `${host} is an IPv4 address: use virtual= instead of virtual6=`
        : `cannot resolve ${show(host)} to an ${v.family === 6 ? 'IPv6' : 'IPv4'} address for the virtual service`,
    );
  }
  const port = portText === undefined ? undefined : ldGetservbyname(portText, v.protocol);
  if (!port) {
    return st.fail(line, `invalid port ${show(portText ?? '')} for the virtual service${portText !== undefined && /^\d+$/.test(portText) ? ' (must be 0..65535)' : ` (no ${v.protocol} service of that name in /etc/services)`}`);
  }
  v.address = address;
  v.port = port.port;
  if (!d.serviceGiven) {
    v.service = portToService(port.text);
    if (port.text !== String(port.port) && portToService(port.port) !== 'none') {
      st.warn(line, `port ${show(port.text)} is not written as ${port.port}, so ldirectord (and lvsd) derive service=none, i.e. no negotiate check; write ${port.port} or set service=${portToService(port.port)}`);
    }
  }
}
