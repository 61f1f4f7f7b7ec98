// Model → ldirectord.cf text that both lvsd and ldirectord read back to the same model.
// Values ldirectord.cf cannot carry (a "#" or TAB inside a virtual section, a newline,
// leading blanks in an unquoted value, ambiguous per-real request/receive) are refused
// with a ConfigError pointing at where the value came from.
import { ConfigError } from './errors.js';
import type { Config, EmailStatus, Fallback, GlobalSettings, InheritableSettings, Location, RealServer, VirtualService } from './model.js';
import { GLOBAL_ONLY_DIRECTIVES, INHERITABLE_DIRECTIVES, POOL_DIRECTIVES } from './directives.js';
import { portToService } from './services.js';
import { hostPort } from './effective.js';

/** The director-pair directives, in the order they are written. */
const PAIR_DIRECTIVES = ['syncinterface', 'syncid', 'syncstate', 'syncgroup', 'syncport', 'syncttl', 'syncmaxlen', 'trackfile'] as const;

/** Announcing through BIRD (several active directors). */
const BGP_DIRECTIVES = ['bird', 'birdroutes', 'announceholddown'] as const;
const BGP_NOTE = '# lvsd extensions (ldirectord refuses them): announce healthy virtual addresses through BIRD';

const PAIR_NOTE = '# lvsd extensions (ldirectord refuses them): director pair (IPVS sync daemon, pool-health file)';

const ALL: EmailStatus[] = ['starting', 'running', 'stopping', 'reloading'];

export type EntryValue = string | number | boolean | string[] | Fallback | RealServer;
/** One directive to write, in output order; shared with the YAML writer. */
export type Entry = [name: string, value: EntryValue];

function statusValue(s: EmailStatus[]): string | string[] {
  if (s.length === 0) return 'none';
  if (ALL.every((x) => s.includes(x))) return 'all';
  return s;
}

function inheritableEntries(s: InheritableSettings): Entry[] {
  const out: Entry[] = [];
  for (const name of INHERITABLE_DIRECTIVES) {
    if (name === 'fallback' || name === 'fallback6') continue;
    const v = s[name];
    if (v === undefined) continue;
    out.push([name, name === 'emailalertstatus' ? statusValue(v as EmailStatus[]) : (v as EntryValue)]);
  }
  for (const name of POOL_DIRECTIVES) {
    const v = s[name];
    if (v !== undefined) out.push([name, v]);
  }
  return out;
}

/** The global directives that are set, in a stable order. */
export function globalEntries(g: GlobalSettings): Entry[] {
  const out = inheritableEntries(g);
  if (g.fallback) out.push(['fallback', g.fallback]);
  if (g.fallback6) out.push(['fallback6', g.fallback6]);
  for (const name of GLOBAL_ONLY_DIRECTIVES) {
    const v = g[name];
    if (v !== undefined) out.push([name, v]);
  }
  if (g.sslverify !== undefined) out.push(['sslverify', g.sslverify]);
  if (g.statushttp) out.push(['statushttp', hostPort(g.statushttp.host, g.statushttp.port)]);
  for (const name of PAIR_DIRECTIVES) {
    const v = g[name];
    if (v !== undefined) out.push([name, v]);
  }
  for (const name of BGP_DIRECTIVES) {
    const v = g[name];
    if (v !== undefined) out.push([name, v]);
  }
  if (g.ipvsdriver) out.push(['ipvsdriver', g.ipvsdriver]);
  if (g.ipvsadm) out.push(['ipvsadm', g.ipvsadm]);
  return out;
}

/** The virtual's directives that differ from ldirectord's defaults (header excluded). */
export function virtualEntries(v: VirtualService): Entry[] {
  const out: Entry[] = [];
  const defaultProto = v.protocol === 'fwm' ? 'fwm' : v.port === 53 ? 'udp' : 'tcp';
  if (v.protocol !== defaultProto) out.push(['protocol', v.protocol]);
  // service= comes before login/passwd: an explicit ftp/sip service fills in empty ones.
  if (v.service !== (v.protocol === 'fwm' ? 'none' : portToService(v.port))) out.push(['service', v.service]);
  for (const r of v.reals) out.push([v.family === 6 ? 'real6' : 'real', r]);
  if (v.checktype === 'combined') out.push(['checktype', v.negotiateEvery ?? 0]);
  else if (v.checktype !== 'negotiate') out.push(['checktype', v.checktype]);
  if (v.checkcommand !== '/bin/true') out.push(['checkcommand', v.checkcommand]);
  if (v.checkport !== undefined) out.push(['checkport', v.checkport]);
  if (v.request !== '/') out.push(['request', v.request]);
  if (v.receive !== '') out.push(['receive', v.receive]);
  if (v.httpmethod !== 'GET') out.push(['httpmethod', v.httpmethod]);
  if (v.virtualhost !== undefined) out.push(['virtualhost', v.virtualhost]);
  for (const k of ['login', 'passwd', 'database', 'secret'] as const) if (v[k] !== '') out.push([k, v[k]]);
  if (v.load !== undefined) out.push(['load', v.load]);
  if (v.scheduler !== 'wrr') out.push(['scheduler', v.scheduler]);
  if (v.persistent !== undefined) out.push(['persistent', v.persistent]);
  if (v.netmask !== undefined) out.push(['netmask', v.netmask]);
  if (v.schedflags !== undefined) out.push(['schedflags', v.schedflags]);
  if (v.ops) out.push(['ops', true]);
  if (v.fallback) out.push([v.family === 6 ? 'fallback6' : 'fallback', v.fallback]);
  out.push(...inheritableEntries(v.overrides));
  if (v.monitorfile !== undefined) out.push(['monitorfile', v.monitorfile]);
  if (v.servicename !== undefined) out.push(['servicename', v.servicename]);
  if (v.comment !== undefined) out.push(['comment', v.comment]);
  if (v.announcethreshold !== undefined) out.push(['announcethreshold', v.announcethreshold]);
  for (const name of ['agentport', 'agentinterval', 'agentsend', 'agentoutput'] as const) {
    const value = v[name];
    if (value !== undefined) out.push([name, value]);
  }
  return out;
}

/** `virtual=...` / `virtual6=...` value. */
export function headerValue(v: VirtualService): string | number {
  if (v.protocol === 'fwm') return v.fwmark ?? 0;
  return v.family === 6 ? `[${v.address}]:${v.port}` : `${v.address}:${v.port}`;
}

export function fallbackText(f: Fallback): string {
  const host = f.family === 6 ? `[${f.address}]` : f.address;
  return `${f.port === undefined ? host : `${host}:${f.port}`} ${f.forward}`;
}

/** A real's ldirectord form without request/receive (which the YAML writer puts in fields). */
export function realAddressText(r: RealServer): string {
  const host = r.family === 6 ? `[${r.address}]` : r.address;
  let s = `${r.port === 0 ? host : `${host}:${r.port}`} ${r.forward} ${r.weight}`;
  if (r.lower) s += ` l:${r.lower}`;
  if (r.upper) s += ` u:${r.upper}`;
  return s;
}

// ---- cf text ---------------------------------------------------------------------------

type Scope = 'global' | 'section';
const QUOTED_SECTION = new Set(['request', 'receive', 'login', 'passwd', 'database', 'secret', 'load', 'checkcommand', 'fallbackcommand', 'monitorfile', 'virtualhost', 'agentsend']);
const QUOTED_GLOBAL = new Set(['callback', 'logfile']);

class CfWriter {
  readonly out: string[] = [];
  constructor(private readonly where: Location) {}

  fail(what: string): never {
    throw new ConfigError(this.where.file, this.where.line, `cannot write ${what} in ldirectord.cf format`);
  }

  /** Checks that a value survives ldirectord's line handling in this scope. */
  check(name: string, value: string, scope: Scope, quoted: boolean): string {
    if (value.includes('\n')) this.fail(`${name}: the value contains a newline`);
    if (scope === 'section' && value.includes('#')) this.fail(`${name}=${JSON.stringify(value)}: "#" starts a comment inside a virtual section`);
    if (scope === 'section' && value.includes('\t')) this.fail(`${name}: a TAB inside a virtual section becomes 4 spaces`);
    if (!quoted && /^[ \t\r\f\v]/.test(value)) this.fail(`${name}: leading whitespace would be dropped`);
    return value;
  }

  entry(scope: Scope, [name, value]: Entry): void {
    if (Array.isArray(value)) {
      if (name === 'execute') return value.forEach((e) => this.entry(scope, [name, e]));
      if (value.length === 0) this.fail(`an empty ${name} list`);
      return this.entry(scope, [name, value.join(name === 'emailalert' ? ', ' : ',')]);
    }
    let text: string;
    if (typeof value === 'boolean') text = value ? 'yes' : 'no';
    else if (typeof value === 'number') text = String(value);
    else if (typeof value === 'string') text = value;
    else if ('forward' in value && 'weight' in value) text = this.realText(value);
    else text = fallbackText(value);
    const quoted = (scope === 'section' ? QUOTED_SECTION : QUOTED_GLOBAL).has(name);
    this.check(name, text, scope, quoted);
    if (name === 'virtualhost' && text.includes('"')) this.fail(`virtualhost ${JSON.stringify(text)}: it contains a double quote`);
    if (name === 'sslverify') this.out.push('# lvsd extension (ldirectord refuses it): verify TLS certificates in checks');
    if (name === 'statushttp') this.out.push('# lvsd extension (ldirectord refuses it): status page, status.json and /metrics');
    if ((PAIR_DIRECTIVES as readonly string[]).includes(name) && !this.out.includes(PAIR_NOTE)) this.out.push(PAIR_NOTE);
    if ((BGP_DIRECTIVES as readonly string[]).includes(name) && !this.out.includes(BGP_NOTE)) this.out.push(BGP_NOTE);
    if (name === 'agentport' || name === 'agentoutput') this.out.push('\t# lvsd extension (ldirectord refuses it): agent weights');
    if (name === 'ipvsdriver' || name === 'ipvsadm') this.out.push('# lvsd extension (ldirectord refuses it): how lvsd reaches IPVS when no option says');
    this.out.push(`${scope === 'section' ? '\t' : ''}${name}=${quoted ? `"${text}"` : text}`);
  }

  /** The text after `real=`, checked to read back to the same request/receive. */
  realText(r: RealServer): string {
    const base = realAddressText(r);
    if (r.request === undefined) return base;
    const req = this.check('real request', r.request, 'section', true);
    const rec = this.check('real receive', r.receive ?? '', 'section', true);
    const part = ` "${req}", "${rec}"`;
    const m = /[ \t\n\r\f\v]+"(.*)"[, ][ \t\n\r\f\v]*"(.*)"(.*)/s.exec(part);
    if (!m || m[1] !== req || m[2] !== rec || m[3] !== '') this.fail(`real ${r.address}: request ${JSON.stringify(req)} and receive ${JSON.stringify(rec)} cannot be told apart`);
    // request/receive go between the weight and the thresholds.
    const [addrFwdWeight, thresholds] = [base.replace(/( l:\d+)?( u:\d+)?$/, ''), base.match(/( l:\d+)?( u:\d+)?$/)![0]];
    return addrFwdWeight + part + thresholds;
  }
}

function virtualBlock(v: VirtualService): string {
  const w = new CfWriter(v.source);
  w.out.push(`${v.family === 6 ? 'virtual6' : 'virtual'}=${headerValue(v)}`);
  const entries = virtualEntries(v);
  const explicitService = entries.some(([n]) => n === 'service');
  if (explicitService && (v.service === 'ftp' || v.service === 'sip') && v.login === '') w.fail(`an empty login with service=${v.service}`);
  if (explicitService && v.service === 'ftp' && v.passwd === '') w.fail('an empty passwd with service=ftp');
  for (const e of entries) w.entry('section', e);
  // ldirectord reads a bare virtual= line at the end of a file twice (a duplicate).
  if (entries.length === 0) w.out.push('\t# no real servers');
  return w.out.join('\n');
}

export function writeCf(cfg: Config): string {
  const head = new CfWriter({ file: cfg.file, line: 0 });
  head.out.push(`# ldirectord.cf written by lvsd from ${cfg.file}`);
  for (const e of globalEntries(cfg.global)) head.entry('global', e);
  return [head.out.join('\n'), ...cfg.virtuals.map(virtualBlock)].join('\n\n') + '\n';
}
