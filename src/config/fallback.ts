// fallback= / fallback6= (parse_fallback L2207, _ld_read_config_fallback_resolve L1954).
import type { Fallback, Family, Forward } from './model.js';
import { didYouMean } from './suggest.js';
import { ldGetservbyname } from './services.js';
import { resolveHost } from './resolve.js';
import { NWS, show, WS, type ParseState } from './parse-state.js';

export interface FallbackSpec {
  server: string;
  /** port or service name as written; undefined = the virtual's port. */
  port?: string;
  forward: Forward;
  line: number;
}

/** parse_fallback (L2207): `host[:port] [gate|masq|ipip]`, both parts found from the end. */
export function parseFallbackSpec(st: ParseState, line: number, name: string, value: string): FallbackSpec {
  let rest = value;
  let fwd: string | undefined;
  const m = new RegExp(`(${NWS}+)(${WS}+(${NWS}+))?${WS}*$`, 's').exec(value);
  if (m) {
    fwd = m[3];
    rest = m[1]!;
    if (value.slice(0, m.index).trim() !== '') st.warn(line, `${name}=${value}: ldirectord ignores ${show(value.slice(0, m.index).trim())}`);
  }
  const pm = /(:(\d+|[A-Za-z0-9_-]+))?$/.exec(rest)!;
  const server = rest.slice(0, pm.index);
  const port = pm[2];
  if (server === '') st.warn(line, `${name} has no host: ldirectord resolves an empty name to the loopback address`);
  let forward: Forward = 'gate';
  if (fwd !== undefined && fwd !== '' && fwd !== '0') {
    if (fwd !== 'gate' && fwd !== 'masq' && fwd !== 'ipip') {
      st.fail(line, `${name}: forwarding method must be gate, masq or ipip, got ${show(fwd)}${didYouMean(fwd, ['gate', 'masq', 'ipip'])}`);
    }
    forward = fwd;
  }
  return { server, ...(port !== undefined ? { port } : {}), forward, line };
}

/** _ld_read_config_fallback_resolve (L1954) for the given protocols. */
export async function resolveFallback(
  st: ParseState, spec: FallbackSpec, family: Family, protocols: string[], impliedPort?: string,
): Promise<Fallback> {
  const kind = family === 6 ? 'IPv6' : 'IPv4';
  const address = await resolveHost(spec.server, family);
  if (address === undefined) {
    st.fail(spec.line, `cannot resolve fallback server ${show(spec.server)} to an ${kind} address${family === 6 ? ' (use fallback6=[addr]:port)' : ''}`);
  }
  let port: number | undefined;
  const text = spec.port ?? impliedPort;
  // Perl truthiness: an empty or "0" port is kept as is and not looked up.
  if (text !== undefined && text !== '' && text !== '0') {
    for (const proto of protocols) {
      const r = ldGetservbyname(text, proto);
      if (!r) {
        st.fail(spec.line, `invalid port ${show(text)} for fallback server${/^\d+$/.test(text) ? ' (must be 0..65535)' : ` (no ${proto} service of that name in /etc/services)`}`);
      }
      port ??= r.port;
    }
  } else if (text === '0') port = 0;
  return {
    address,
    family,
    ...(spec.port !== undefined ? { port: port ?? 0 } : {}),
    forward: spec.forward,
    source: st.loc(spec.line),
  };
}

