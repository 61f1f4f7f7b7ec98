// What an alert mail says: ldirectord's subject and body (spec §4) for one event, a summary for
// several coalesced ones, the virtual services' current state, and the defences that keep
// config values out of headers and secrets out of mails.
import type { ChangeKind, DaemonState, Health } from '../events/index.js';
import type { Config, VirtualService } from '../config/model.js';
import { hostPort, virtualId } from '../config/effective.js';

/** IPVS changes, repeats for a real still down, and a reload whose config did not parse. */
export type AlertKind = ChangeKind | 'inaccessible' | 'reload-failed' | 'role' | 'cert-expiring' | 'override';

/** One thing worth a mail: an IPVS change or a repeat for a real still down. */
export interface AlertItem {
  kind: AlertKind;
  /** ldirectord's log text, e.g. `Deleted real server: 10.1.1.2:80 (10.0.0.1:80)`. */
  message: string;
  /** `ip:port (vip:port)`, when the change is about a real or fallback. */
  subject?: string;
  virtual?: VirtualService;
  /** daemon state when it happened (ldirectord's Daemon-Status). */
  status: DaemonState;
  at: number;
}

/** A real server as the daemon sees it now. weight: its weight in IPVS; undefined = not in the table. */
export interface RealState {
  address: string;
  port: number;
  health: Health;
  weight?: number;
  /** why it is down (the last check's message). */
  reason?: string;
}

/** A virtual service as the daemon sees it now. */
export interface VirtualState {
  reals: RealState[];
  fallback?: { address: string; port: number; active: boolean };
}

export interface MailContent {
  subject: string;
  text: string;
}

/** Header-safe text: every control character (CR/LF first of all) becomes a space. */
export function headerSafe(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
}

/** Body-safe text: lines stay lines, other control characters go. */
function bodySafe(s: string): string {
  return s.replace(/\r\n?/g, '\n').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, ' ');
}

const LOCAL = String.raw`[^\s<>(),;:"\\\[\]@\x00-\x1f\x7f]+`;
const DOMAIN = String.raw`[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]`;
const ADDR = new RegExp(String.raw`^(${LOCAL})(?:@(${DOMAIN}))?$`);
const NAMED = new RegExp(String.raw`^([^<>"\x00-\x1f\x7f]*)<([^<>]+)>$`);

export interface Mailbox {
  name: string;
  address: string;
}

/**
 * One address as emailalert/emailalertfrom give it: `ops@example.com`, `root` (local
 * sendmail), or `Ops <ops@example.com>`; one pair of enclosing double quotes is dropped.
 * Anything else, control characters above all, is refused (undefined).
 */
export function parseMailbox(raw: string): Mailbox | undefined {
  let s = raw.trim();
  if (/^"[^"]*"$/.test(s)) s = s.slice(1, -1).trim();
  if (/[\x00-\x1f\x7f]/.test(s)) return undefined;
  const named = NAMED.exec(s);
  const name = named ? named[1]!.trim() : '';
  const addr = (named ? named[2]! : s).trim();
  return ADDR.test(addr) ? { name, address: addr } : undefined;
}

/**
 * Secrets that must not leave the host by mail: every virtual's passwd and secret (values of
 * 3 characters or more; shorter ones would mangle ordinary words), and URL credentials.
 */
export function redactor(cfg: Config | undefined): (s: string) => string {
  const secrets = new Set<string>();
  for (const v of cfg?.virtuals ?? []) for (const x of [v.passwd, v.secret]) if (x && x.length >= 3) secrets.add(x);
  const sorted = [...secrets].sort((a, b) => b.length - a.length);
  return (s) => {
    let out = s.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1***@');
    for (const x of sorted) out = out.split(x).join('***');
    return out;
  };
}

const CATEGORY: Record<AlertKind, [string, string]> = {
  'deleted-real': ['real server', 'down'],
  'quiesced-real': ['real server', 'down'],
  'readd-quiescent-real': ['real server', 'down'],
  'added-real': ['real server', 'up'],
  'restored-real': ['real server', 'up'],
  'reweighted-real': ['real server', 'reweighted'],
  'purged-real': ['real server', 'purged'],
  inaccessible: ['real server', 'inaccessible'],
  'reload-failed': ['configuration reload', 'failed'],
  role: ['role', 'changed'],
  'cert-expiring': ['TLS certificate', 'expiring'],
  override: ['override', 'changed'],
  'added-fallback': ['fallback server', 'added'],
  'deleted-fallback': ['fallback server', 'removed'],
  'added-virtual': ['virtual service', 'added'],
  'changed-virtual': ['virtual service', 'changed'],
  'purged-virtual': ['virtual service', 'purged'],
};

const SUBJECT_MAX = 200;

/** `[svc] ` when the items' virtuals have service names, `[a, b] ` for several. */
function servicePrefix(items: AlertItem[]): string {
  const names = [...new Set(items.map((i) => i.virtual?.servicename).filter((n): n is string => !!n))];
  return names.length ? `[${names.join(', ')}] ` : '';
}

/** The subject without the [servicename] prefix (what ldirectord logs as `emailalert: ...`). */
export function bareSubject(items: AlertItem[]): string {
  if (items.length === 1) return items[0]!.message;
  const counts = new Map<string, number>();
  for (const i of items) {
    const [noun, verb] = CATEGORY[i.kind];
    counts.set(`${noun}|${verb}`, (counts.get(`${noun}|${verb}`) ?? 0) + 1);
  }
  const head = [...counts]
    .map(([k, n]) => {
      const [noun, verb] = k.split('|');
      return `${n} ${noun}${n === 1 ? '' : 's'} ${verb}`;
    })
    .join(', ');
  let list = '';
  let shown = 0;
  for (const i of items) {
    const id = i.subject ?? i.message;
    if (head.length + list.length + id.length + 2 > SUBJECT_MAX) break;
    list += (shown ? ', ' : '') + id;
    shown++;
  }
  return `${head}: ${list}${shown < items.length ? `, ... (+${items.length - shown} more)` : ''}`;
}

function describeReal(r: RealState): string {
  const where = r.weight === undefined ? 'not in IPVS' : r.weight === 0 ? 'in IPVS with weight 0' : `in IPVS with weight ${r.weight}`;
  return `  real ${hostPort(r.address, r.port)}: ${r.health}, ${where}${r.reason && r.health === 'down' ? ` (${r.reason})` : ''}`;
}

export interface ComposeContext {
  hostname: string;
  /** the virtual's state now, from the daemon; undefined = unknown. */
  describe(v: VirtualService): VirtualState | undefined;
  redact(s: string): string;
}

/** The mail for a group of items (one recipient set), in event order. */
export function compose(items: AlertItem[], ctx: ComposeContext): MailContent {
  const safe = (s: string) => ctx.redact(bodySafe(s));
  const prefixed = (i: AlertItem) => `${servicePrefix([i])}${i.message}`;
  const subject = headerSafe(ctx.redact(`${servicePrefix(items)}${bareSubject(items)}`));
  const last = items[items.length - 1]!;
  const lines = [`lvsd host: ${ctx.hostname}`];
  for (const i of items) lines.push(`Log-Message: ${safe(prefixed(i))}`);
  lines.push(`Daemon-Status: ${last.status}`);

  const virtuals = [...new Map(items.filter((i) => i.virtual).map((i) => [virtualId(i.virtual!), i.virtual!])).values()];
  for (const v of virtuals) {
    lines.push('');
    if (v.servicename) lines.push(`Service name: ${safe(v.servicename)}`);
    if (v.comment) lines.push(`Comment: ${safe(v.comment)}`);
    const st = ctx.describe(v);
    if (!st) continue;
    lines.push(`Virtual service ${virtualId(v)} now:`);
    for (const r of st.reals) lines.push(safe(describeReal(r)));
    if (st.fallback) lines.push(`  fallback ${hostPort(st.fallback.address, st.fallback.port)}: ${st.fallback.active ? 'active' : 'inactive'}`);
  }
  return { subject, text: `${lines.join('\n')}\n` };
}
