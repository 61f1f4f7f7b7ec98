// `real=` / `real6=` lines: syntax, resolution and ranges, as ldirectord reads them
// (_ld_read_config_real_resolve L2002, add_real_server_range L2078, add_real_server L2127).
import type { Family, Forward, RealServer } from './model.js';
import type { ParseState } from './parse-state.js';
import { translatePerlRegex } from './perl-regex.js';
import { ldGetservbyname } from './services.js';
import { intToIpv4, ipv4ToInt, resolveHost } from './resolve.js';

/** Options after the address: forwarding method, weight, request/receive, thresholds. */
export type RealOptions = Pick<RealServer, 'forward' | 'weight' | 'request' | 'receive' | 'lower' | 'upper'>;

/** A real given field by field (YAML); `host` may be a name, `hostEnd` makes it a range. */
export interface RealSpec {
  host: string;
  hostEnd?: string;
  /** port or service name; undefined = 0 (fwmark services). */
  port?: string;
  options: RealOptions;
}

export type RealTodo = { text: string; line: number } | { spec: RealSpec; line: number };

/** lvsd refuses ranges longer than this (ldirectord would try to add them all). */
export const MAX_RANGE = 65536;

const WS = '[ \\t\\n\\r\\f\\v]';
const HOST = '(\\d+\\.\\d+\\.\\d+\\.\\d+|[A-Za-z0-9.-]+|\\[[0-9A-fa-f:]+\\])';
// The address part exactly as ldirectord matches it (not anchored, see parseRealText).
const REAL_RE = new RegExp(`${HOST}(->${HOST})?(:(\\d+|[A-Za-z0-9_-]+))?${WS}+(.*)`, 's');

function show(s: string): string {
  return JSON.stringify(s);
}

/** Splits a `real=` value into address parts and the option text, or fails at `line`. */
export function parseRealText(st: ParseState, text: string, line: number): { host: string; hostEnd?: string; port: string; flags: string } {
  const m = REAL_RE.exec(text);
  if (!m) {
    const noFwd = /^\S+$/.test(text.trim());
    return st.fail(
      line,
      `invalid real server ${show(text)} — expected ADDRESS[:PORT] gate|masq|ipip [WEIGHT] ["REQUEST", "RECEIVE"] [l:LOWER] [u:UPPER]${noFwd ? ' (the forwarding method is required)' : ''}`,
    );
  }
  if (m.index > 0) {
    // Deviation: ldirectord's regex is not anchored and silently skips the start, so
    // `192.168.6.2::5060` becomes host "5060" (0.0.19.196). lvsd refuses such lines.
    const skipped = text.slice(0, m.index);
    const read = `host "${m[1]}"${m[5] !== undefined ? ` port "${m[5]}"` : ''}`;
    return st.fail(line, `invalid real server ${show(text)}: it does not start with ADDRESS[:PORT] (ldirectord would skip ${show(skipped)} and read ${read}); write one ":" between host and port`);
  }
  return { host: m[1]!, ...(m[3] !== undefined ? { hostEnd: m[3] } : {}), port: m[5] ?? '0', flags: m[6]! };
}

/** add_real_server's reading of the options (every regex unanchored, as in ldirectord). */
export function parseRealOptions(st: ParseState, flags: string, line: number): RealOptions {
  const dropped = (what: string, s: string): void => {
    if (s.trim() !== '') st.warn(line, `real server options: ${show(s.trim())} before the ${what} is ignored (ldirectord ignores it too)`);
  };
  const fm = /(\w+)(.*)/s.exec(flags);
  if (!fm || (fm[1] !== 'gate' && fm[1] !== 'masq' && fm[1] !== 'ipip')) {
    return st.fail(line, `forwarding method must be gate, masq or ipip${fm ? `, got ${show(fm[1]!)}` : ''} (it follows the address: real=10.0.0.1:80 gate)`);
  }
  dropped('forwarding method', flags.slice(0, fm.index));
  const opts: RealOptions = { forward: fm[1] as Forward, weight: 1, lower: 0, upper: 0 };
  let rest = fm[2]!;
  const step = (re: RegExp, what: string): RegExpExecArray | null => {
    const m = re.exec(rest);
    if (m) {
      dropped(what, rest.slice(0, m.index));
      rest = m[m.length - 1]!;
    }
    return m;
  };
  const w = step(new RegExp(`${WS}+(\\d+)(.*)`, 's'), 'weight');
  if (w) opts.weight = Number(w[1]);
  const rr = step(new RegExp(`${WS}+"(.*)"[, ]${WS}*"(.*)"(.*)`, 's'), 'request/receive');
  if (rr) {
    opts.request = rr[1]!.startsWith('/') ? rr[1]! : '/' + rr[1]!;
    opts.receive = rr[2]!;
  }
  const l = step(new RegExp(`${WS}+l:(\\d+)(.*)`, 's'), 'l: threshold');
  if (l) opts.lower = Number(l[1]);
  const u = step(new RegExp(`${WS}+u:(\\d+)(.*)`, 's'), 'u: threshold');
  if (u) opts.upper = Number(u[1]);
  if (new RegExp(`[^ \\t\\n\\r\\f\\v]`).test(rest)) {
    const hint = /^\s*-\d/.test(rest)
      ? ' (the weight cannot be negative)'
      : /^\s*"[^"]*"\s*$/.test(rest)
        ? ' (a request needs a receive string too: "REQUEST", "RECEIVE")'
        : ' (options are: WEIGHT "REQUEST", "RECEIVE" l:LOWER u:UPPER, in that order)';
    st.fail(line, `invalid real server options around ${show(rest)}${hint}`);
  }
  return opts;
}

function checkReceive(st: ParseState, opts: RealOptions, line: number): void {
  if (opts.receive === undefined || opts.receive === '') return;
  const r = translatePerlRegex(opts.receive);
  if ('error' in r) st.fail(line, `receive string ${show(opts.receive)} of this real server is a Perl regular expression that lvsd cannot use: ${r.error}`);
}

async function resolveOne(st: ParseState, host: string, family: Family, line: number, end: boolean): Promise<string> {
  const a = await resolveHost(host, family);
  if (a !== undefined) return a;
  const kind = family === 6 ? 'IPv6' : 'IPv4';
  const other = family === 6 ? /^\d+\.\d+\.\d+\.\d+$/.test(host) : host.startsWith('[');
  return st.fail(
    line,
    `cannot resolve ${end ? 'range end ' : ''}${show(host)} to an ${kind} address for the real server${other ? ` (use ${family === 6 ? 'real=' : 'real6='} in a ${family === 6 ? 'virtual=' : 'virtual6='} section)` : ''}`,
  );
}

/** Resolves the reals of one virtual, in order, expanding ranges. */
export async function resolveReals(st: ParseState, todos: RealTodo[], family: Family): Promise<RealServer[]> {
  const out: RealServer[] = [];
  for (const todo of todos) {
    const { line } = todo;
    const parsed = 'text' in todo ? parseRealText(st, todo.text, line) : undefined;
    const host = parsed?.host ?? (todo as { spec: RealSpec }).spec.host;
    const hostEnd = parsed ? parsed.hostEnd : (todo as { spec: RealSpec }).spec.hostEnd;
    const portText = parsed?.port ?? (todo as { spec: RealSpec }).spec.port ?? '0';
    const first = await resolveOne(st, host, family, line, false);
    const port = ldGetservbyname(portText, '');
    if (!port) st.fail(line, `invalid port ${show(portText)} for the real server${/^\d+$/.test(portText) ? ' (must be 0..65535)' : ' (no service of that name in /etc/services)'}`);
    let addresses = [first];
    if (hostEnd !== undefined) {
      const last = await resolveOne(st, hostEnd, family, line, true);
      if (family === 6) st.fail(line, 'address ranges (A->B) are not supported for IPv6 real servers');
      const [a, b] = [ipv4ToInt(first), ipv4ToInt(last)];
      if (a > b) st.fail(line, `invalid range ${first}->${last}: the first address is greater than the last`);
      // Deviation: ldirectord compares the loop counter as strings (Perl `le`), which
      // misbehaves when a range crosses a power of ten; lvsd expands numerically, capped.
      if (b - a + 1 > MAX_RANGE) st.fail(line, `range ${first}->${last} has ${b - a + 1} addresses; lvsd accepts at most ${MAX_RANGE}`);
      addresses = [];
      for (let i = a; i <= b; i++) addresses.push(intToIpv4(i));
    }
    const opts = parsed ? parseRealOptions(st, parsed.flags, line) : (todo as { spec: RealSpec }).spec.options;
    checkReceive(st, opts, line);
    for (const address of addresses) {
      out.push({
        address,
        family,
        port: port.port,
        forward: opts.forward,
        weight: opts.weight,
        ...(opts.request !== undefined ? { request: opts.request, receive: opts.receive! } : {}),
        lower: opts.lower,
        upper: opts.upper,
        source: st.loc(line),
      });
    }
  }
  return out;
}
