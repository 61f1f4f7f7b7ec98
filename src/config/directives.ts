// What each directive's value means, with ldirectord 4.12's exact acceptance rules
// (read_config L1316–1830). Shared by the ldirectord.cf and YAML front ends: they differ
// only in how a value is cut out of the text (quotes, comments, indentation), which each
// front end does before calling in here. Virtual sections: ./virtual.ts.
import { stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { EmailStatus, Family, GlobalSettings, InheritableSettings, SyncStateSetting } from './model.js';
import { didYouMean } from './suggest.js';
import { parseFallbackSpec, resolveFallback } from './fallback.js';
import { exactHint, nonEmpty, partial, positive, show, WS, yesNo, type ParseState } from './parse-state.js';

// ---- directive names (spec §1.6) -------------------------------------------------------

export const GLOBAL_ONLY_DIRECTIVES = [
  'autoreload', 'callback', 'logfile', 'execute', 'fork', 'supervised', 'readdquiescent', 'emailalertfrom', 'maintenancedir',
] as const;
export const INHERITABLE_DIRECTIVES = [
  'checktimeout', 'negotiatetimeout', 'checkinterval', 'checkcount', 'failurecount', 'fallback', 'fallback6',
  'fallbackcommand', 'quiescent', 'emailalert', 'emailalertfreq', 'emailalertstatus', 'cleanstop', 'smtp',
] as const;
export const VIRTUAL_ONLY_DIRECTIVES = [
  'virtual', 'virtual6', 'real', 'real6', 'request', 'receive', 'checktype', 'checkcommand', 'checkport', 'login',
  'passwd', 'database', 'secret', 'load', 'scheduler', 'persistent', 'schedflags', 'netmask', 'protocol', 'ops',
  'service', 'httpmethod', 'virtualhost', 'monitorfile', 'servicename', 'comment',
] as const;
/** Recognised by ldirectord only to be refused. */
export const DEPRECATED_DIRECTIVES = ['connecttimeout', 'timeout'] as const;
/** lvsd additions (ldirectord would refuse them). */
export const LVSD_DIRECTIVES = [
  'sslverify', 'statushttp', 'ipvsdriver', 'ipvsadm',
  // director pairs: the IPVS sync daemon and the pool-health file (README "Director pairs")
  'syncinterface', 'syncid', 'syncstate', 'syncgroup', 'syncport', 'syncttl', 'syncmaxlen', 'trackfile',
  // several active directors: announcing virtual addresses through BIRD (README "Several active directors")
  'bird', 'birdroutes', 'announceholddown',
] as const;
/** lvsd additions kept both globally and per virtual (pool policy, README "Pool policy"; certwarndays, README "Checks"). */
export const POOL_DIRECTIVES = ['rise', 'slowstart', 'certwarndays'] as const;
/** rise: at most this many passing checks (a day of 1 s checks is plenty). */
const MAX_RISE = 100_000;
/** slowstart: at most a day. */
const MAX_SLOWSTART = 86_400;
/** lvsd additions inside a virtual section (announce, agent weights). */
export const LVSD_VIRTUAL_DIRECTIVES = ['announcethreshold', 'agentport', 'agentinterval', 'agentsend', 'agentoutput'] as const;
/** certwarndays: at most ten years ahead. */
const MAX_CERT_WARN_DAYS = 3650;
/** The sync daemon's settings besides syncinterface: without it they have nothing to act on. */
export const SYNC_OPTIONS = ['syncid', 'syncstate', 'syncgroup', 'syncport', 'syncttl', 'syncmaxlen'] as const;
/** The sync daemon's numeric settings and their bounds (syncmaxlen: ipvsadm's own, 65535 less the
 * IP and UDP headers; the kernel then clamps it to the MTU). */
const SYNC_NUMBERS = { syncid: [0, 255], syncport: [1, 65535], syncttl: [1, 255], syncmaxlen: [1, 65507] } as const;
export const SYNC_STATES: readonly SyncStateSetting[] = ['role', 'master', 'backup', 'both'];
/** ipvsdriver=: how the daemon reaches IPVS (--ipvs wins; `memory` stays a command-line test mode). */
export const CONFIG_DRIVERS = ['ipvsadm', 'netlink', 'auto'] as const;

export const GLOBAL_DIRECTIVES: readonly string[] = [...GLOBAL_ONLY_DIRECTIVES, ...INHERITABLE_DIRECTIVES, ...POOL_DIRECTIVES, ...LVSD_DIRECTIVES];
/** Directives inside a virtual section (the header itself excluded). */
export const SECTION_DIRECTIVES: readonly string[] = [
  ...VIRTUAL_ONLY_DIRECTIVES.filter((d) => d !== 'virtual' && d !== 'virtual6'),
  ...INHERITABLE_DIRECTIVES,
  ...POOL_DIRECTIVES,
  ...LVSD_VIRTUAL_DIRECTIVES,
];
export const KNOWN_DIRECTIVES: readonly string[] = [
  ...GLOBAL_ONLY_DIRECTIVES, ...INHERITABLE_DIRECTIVES, ...VIRTUAL_ONLY_DIRECTIVES, ...POOL_DIRECTIVES, ...LVSD_DIRECTIVES, ...LVSD_VIRTUAL_DIRECTIVES,
];

const STATUSES: EmailStatus[] = ['starting', 'running', 'stopping', 'reloading'];

/**
 * read_emailalert: one pair of enclosing quotes is stripped; must be non-empty. The list is
 * kept as addresses; trailing blanks (a CR) do not keep the quotes on, as they would in
 * ldirectord, where they end up in the To: header.
 */
function emailAlert(st: ParseState, line: number, value: string): string[] {
  if (value === '' || value === '""') return st.fail(line, 'emailalert needs at least one e-mail address');
  const trimmed = value.trim();
  const m = /^"([^"]*)"$/.exec(trimmed);
  const list = (m ? m[1]! : trimmed).split(',').map((a) => a.trim()).filter((a) => a !== '');
  for (const a of list) mailHeaderSafe(st, line, 'emailalert', a);
  return list;
}

/**
 * Values that go into mail headers or the SMTP dialogue (emailalert, emailalertfrom, smtp,
 * servicename) may hold no control character: a CR or LF would start a header of its own
 * (Bcc: ...). Trailing blanks, such as the CR of a CRLF file, are not part of the value.
 * lvsd deviation: ldirectord passed such values on to the mail.
 */
export function mailHeaderSafe(st: ParseState, line: number, name: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value.replace(/[ \t\r\n\f\v]+$/, ''))) {
    st.fail(line, `${name}=${show(value)} contains a control character (a CR or LF would add a mail header); not allowed`);
  }
  return value;
}

/** parse_emailalertstatus (L1231). */
function emailAlertStatus(st: ParseState, line: number, value: string): EmailStatus[] {
  const items = value.split(new RegExp(`${WS}*,${WS}*`));
  while (items.length && items[items.length - 1] === '') items.pop(); // Perl split drops trailing empties
  const none = items.includes('none');
  const set = new Set<EmailStatus>();
  for (const i of items) {
    if (i === 'none') continue;
    if (i === 'all') STATUSES.forEach((s) => set.add(s));
    else if ((STATUSES as string[]).includes(i)) set.add(i as EmailStatus);
    else st.fail(line, `invalid emailalertstatus value ${show(i)} — use all, none, or a comma-separated list of starting, running, stopping, reloading${didYouMean(i, [...STATUSES, 'all', 'none'])}`);
    if (none) st.fail(line, `emailalertstatus: "none" cannot be combined with ${show(i)}`);
  }
  return STATUSES.filter((s) => set.has(s));
}

/**
 * smtp=HOST[:PORT] or [IPv6]:PORT. lvsd honours the port (ldirectord's prefix match dropped it
 * and mailed port 25); what follows is ignored with a warning, as ldirectord ignores it.
 */
function smtpHost(st: ParseState, line: number, value: string): string {
  mailHeaderSafe(st, line, 'smtp', value);
  const m = /^(?:\[[0-9A-Fa-f:.]+\]:\d{1,5}|[0-9A-Za-z._+-]+(?::\d{1,5})?)/.exec(value);
  if (!m) return st.fail(line, `invalid smtp server address ${show(value)}`);
  const port = Number(/:(\d+)$/.exec(m[0])?.[1] ?? 25);
  if (port < 1 || port > 65535) return st.fail(line, `smtp port must be 1-65535, got ${show(value)}`);
  partial(st, line, 'smtp', value, m[0]);
  return m[0];
}

/** The directives kept both globally and per virtual (fallback excepted). */
export function applyInheritable(st: ParseState, target: InheritableSettings, name: string, value: string, line: number): boolean {
  switch (name) {
    case 'checktimeout':
    case 'negotiatetimeout':
      target[name] = positive(st, line, name, value, 'a timeout in seconds');
      return true;
    case 'checkinterval':
      target.checkinterval = positive(st, line, name, value, 'an interval in seconds');
      return true;
    case 'checkcount':
      target.checkcount = positive(st, line, name, value, 'a count');
      st.warn(line, "checkcount option is deprecated and slated for removal.  please see 'failurecount'");
      return true;
    case 'failurecount':
      target.failurecount = positive(st, line, name, value, 'a count');
      return true;
    case 'rise':
      target.rise = wholeNumber(st, line, name, value, 1, MAX_RISE);
      return true;
    case 'slowstart':
      target.slowstart = wholeNumber(st, line, name, value, 0, MAX_SLOWSTART);
      return true;
    case 'fallbackcommand':
      target.fallbackcommand = nonEmpty(st, line, name, value, 'a command');
      return true;
    case 'quiescent':
    case 'cleanstop':
      target[name] = yesNo(st, line, name, value);
      return true;
    case 'emailalert':
      target.emailalert = emailAlert(st, line, value);
      return true;
    case 'emailalertfreq': {
      const m = /^\d+/.exec(value);
      if (!m) return st.fail(line, `emailalertfreq needs a number of seconds (0 = no repeats), got ${show(value)}`);
      partial(st, line, name, value, m[0]);
      target.emailalertfreq = Number(m[0]);
      return true;
    }
    case 'emailalertstatus':
      target.emailalertstatus = emailAlertStatus(st, line, value);
      return true;
    case 'smtp':
      target.smtp = smtpHost(st, line, value);
      return true;
    case 'certwarndays':
      target.certwarndays = wholeNumber(st, line, name, value, 0, MAX_CERT_WARN_DAYS);
      return true;
    case 'connecttimeout':
      return st.fail(line, 'connecttimeout is no longer supported — use negotiatetimeout (ldirectord: "deprecated in favour of negotiatetimeout")');
    default:
      return false;
  }
}


// ---- global directives ------------------------------------------------------------------

/** Applies one global directive; the value is what the front end cut out (quotes removed where ldirectord requires them). */
export async function applyGlobal(st: ParseState, name: string, value: string, line: number): Promise<void> {
  const g = st.global;
  if (applyInheritable(st, g, name, value, line)) return;
  switch (name) {
    case 'fallback':
    case 'fallback6': {
      const family: Family = name === 'fallback6' ? 6 : 4;
      const spec = parseFallbackSpec(st, line, name, value);
      // Global fallbacks are resolved at once, for tcp and for udp (L1644).
      g[name] = await resolveFallback(st, spec, family, ['tcp', 'udp']);
      return;
    }
    case 'autoreload':
    case 'fork':
    case 'readdquiescent':
    case 'supervised':
    case 'sslverify':
      g[name] = yesNo(st, line, name, value);
      return;
    case 'callback':
      g.callback = value;
      return;
    case 'logfile':
      g.logfile = value;
      return;
    case 'execute':
      g.execute = [...(g.execute ?? []).filter((e) => e !== value), value];
      return;
    case 'emailalertfrom':
      g.emailalertfrom = mailHeaderSafe(st, line, name, nonEmpty(st, line, name, value, 'an e-mail address'));
      return;
    case 'maintenancedir': {
      g.maintenancedir = nonEmpty(st, line, name, value, 'a directory');
      const isDir = await stat(value).then((s) => s.isDirectory(), () => false);
      if (!isDir) st.warn(line, 'maintenance directory does not exist');
      return;
    }
    case 'statushttp': {
      const listen = parseListenAddress(value);
      if (typeof listen === 'string') return st.fail(line, `statushttp ${listen}`);
      g.statushttp = listen;
      return;
    }
    case 'syncinterface':
      g.syncinterface = interfaceName(st, line, value);
      return;
    case 'syncid':
    case 'syncport':
    case 'syncttl':
    case 'syncmaxlen': {
      st.syncAt.set(name, line);
      const [min, max] = SYNC_NUMBERS[name];
      g[name] = wholeNumber(st, line, name, value, min, max);
      return;
    }
    case 'syncstate':
      st.syncAt.set(name, line);
      if (!(SYNC_STATES as string[]).includes(value)) {
        return st.fail(line, `syncstate must be role, master, backup or both, got ${show(value)}${exactHint(value, SYNC_STATES)}${didYouMean(value, SYNC_STATES)}`);
      }
      g.syncstate = value as SyncStateSetting;
      return;
    case 'syncgroup':
      st.syncAt.set(name, line);
      g.syncgroup = multicastGroup(st, line, value);
      return;
    case 'trackfile':
    case 'bird':
    case 'birdroutes':
      g[name] = absolutePath(st, line, name, value);
      return;
    case 'announceholddown':
      g.announceholddown = wholeNumber(st, line, name, value, 0, 3600);
      return;
    // Agents (Pacemaker's ocf:heartbeat:ldirectord) pass no options: the driver is chosen here.
    case 'ipvsdriver':
      if (!(CONFIG_DRIVERS as readonly string[]).includes(value)) return st.fail(line, `ipvsdriver must be one of ${CONFIG_DRIVERS.join(', ')}, got ${show(value)}`);
      g.ipvsdriver = value as GlobalSettings['ipvsdriver'];
      return;
    case 'ipvsadm':
      if (!value.startsWith('/')) return st.fail(line, `ipvsadm needs the absolute path of the ipvsadm binary, got ${show(value)}`);
      g.ipvsadm = value;
      return;
    case 'timeout':
      return st.fail(line, 'timeout is no longer supported — use checktimeout and negotiatetimeout');
    default:
      return st.fail(line, `${name} is not a global directive`);
  }
}

/** A file or socket path lvsd opens itself: absolute (it runs in /), no control character. */
function absolutePath(st: ParseState, line: number, name: string, value: string): string {
  if (!value.startsWith('/')) return st.fail(line, `${name} needs an absolute path (lvsd runs in /), got ${show(value)}`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) return st.fail(line, `${name}=${show(value)} contains a control character (trailing blanks or a CR?)`);
  return value;
}

/** A whole number in [min, max], the whole value (a CR or a trailing word is refused). */
export function wholeNumber(st: ParseState, line: number, name: string, value: string, min: number, max: number): number {
  if (!/^\d{1,6}$/.test(value)) {
    const hint = /^\d+[ \t\r]+$/.test(value) ? exactHint(value, [value.trim()]) : '';
    return st.fail(line, `${name} needs a whole number from ${min} to ${max}, got ${show(value)}${hint}`);
  }
  const n = Number(value);
  if (n < min || n > max) return st.fail(line, `${name} must be from ${min} to ${max}, got ${n}`);
  return n;
}

/**
 * A network interface name as the kernel accepts one (dev_valid_name: 1-15 bytes, not . or ..,
 * no slash, colon or blank); one starting with "-" is refused too, as ipvsadm would take it
 * for an option.
 */
function interfaceName(st: ParseState, line: number, value: string): string {
  // eslint-disable-next-line no-control-regex
  const ok = /^[^\s/:\x00-\x1f\x7f-]/.test(value) && /^[^\s/:\x00-\x1f\x7f]{1,15}$/.test(value) && value !== '.' && value !== '..';
  if (!ok) return st.fail(line, `syncinterface needs a network interface name (1-15 characters, no blank, "/" or ":"), got ${show(value)}${exactHint(value, [value.trim()])}`);
  return value;
}

/** syncgroup: a literal IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast address. */
function multicastGroup(st: ParseState, line: number, value: string): string {
  const family = isIP(value);
  const multicast = family === 4 ? Number(value.split('.')[0]) >= 224 && Number(value.split('.')[0]) <= 239 : family === 6 && /^ff/i.test(value);
  if (!multicast) return st.fail(line, `syncgroup needs a multicast address (IPv4 224.0.0.0-239.255.255.255 or IPv6 ff00::/8), got ${show(value)}`);
  return value;
}

/**
 * statushttp= (and --status-http): `ADDR:PORT`, `[IPv6]:PORT`, or a bare `PORT` on 127.0.0.1.
 * Literal addresses only (no DNS at parse time). Returns the reason as a string when refused.
 */
export function parseListenAddress(text: string): { host: string; port: number } | string {
  const m = /^(?:(?:\[([^\]]+)\]|([^:\[\]]+)):)?(\d{1,5})$/.exec(text);
  const host = m ? (m[1] ?? m[2] ?? '127.0.0.1') : '';
  if (!m || !isIP(host) || (m[1] !== undefined && isIP(host) !== 6)) {
    return `needs ADDR:PORT with a literal IP address (e.g. 127.0.0.1:9101 or [::1]:9101), got ${show(text)}`;
  }
  const port = Number(m[3]);
  if (port > 65535) return `port must be 0-65535, got ${port}`;
  return { host, port };
}
