// From config to check targets: one binding per (virtual, real), one target per distinct check.
// Identical checks in several virtual services share one target key and so run once per interval
// (ldirectord's real id, spec §1.3.1), but each binding keeps its own failure count.
import { createHash } from 'node:crypto';
import type { Config, RealServer, VirtualService } from '../config/model.js';
import { effective, hostPort, virtualId } from '../config/effective.js';
import type { CheckTarget } from '../checks/types.js';
import { translatePerlRegex } from '../config/perl-regex.js';
import { serviceToPort } from '../config/services.js';

export interface Binding {
  /** `<virtual id>/<ip:port>`: stable across reloads while the real stays in the virtual. */
  id: string;
  virtual: VirtualService;
  real: RealServer;
  target: CheckTarget;
  checkinterval: number;
  failurecount: number;
  /** passing checks before it returns from down (rise=). */
  rise: number;
  /** seconds its weight ramps over when it returns from down (slowstart=; 0: none). */
  slowstart: number;
  /** agentport=: the agent probe of this real and its interval (seconds). */
  agent?: { target: CheckTarget; interval: number };
}

/** A binding's id: `<virtual id>/<ip:port>`. */
export function bindingId(v: VirtualService, r: RealServer): string {
  return `${virtualId(v)}/${hostPort(r.address, r.port)}`;
}

/**
 * Work shared by the targets of one config: most reals of a virtual have the same check options,
 * so their digest and receive pattern are computed once, not once per real (a 10,000-real reload
 * spent most of its time in sha256 and the Perl-regex translator). Values are pure functions of
 * their keys; the receive RegExp carries no g/y flag, so one object serves every target.
 */
export interface TargetMemo {
  digests: Map<string, string>;
  receives: Map<string, RegExp | undefined>;
}

const newTargetMemo = (): TargetMemo => ({ digests: new Map(), receives: new Map() });

function receiveOf(src: string | undefined, memo?: TargetMemo): RegExp | undefined {
  if (!src) return undefined;
  if (memo?.receives.has(src)) return memo.receives.get(src);
  const r = translatePerlRegex(src);
  // The config parser has already rejected what cannot be translated.
  const regex = 'regex' in r ? r.regex : undefined;
  memo?.receives.set(src, regex);
  return regex;
}

export function checkTargetFor(cfg: Config, v: VirtualService, r: RealServer, memo?: TargetMemo): CheckTarget {
  const eff = effective(cfg, v);
  const request = r.request ?? v.request;
  const receive = r.receive ?? v.receive;
  const port = v.checkport ?? (r.port > 0 ? r.port : serviceToPort(v.service) ?? 0);
  const base: Omit<CheckTarget, 'key'> = {
    checktype: v.checktype,
    service: v.service,
    protocol: v.protocol,
    family: r.family,
    host: r.address,
    port,
    vip: v.protocol === 'fwm' ? String(v.fwmark) : (v.address ?? ''),
    vport: v.port,
    rport: r.port,
    request,
    receive: receiveOf(receive, memo),
    virtualhost: v.virtualhost,
    httpmethod: v.httpmethod,
    login: v.login,
    passwd: v.passwd,
    database: v.database,
    secret: v.secret,
    checkcommand: v.checkcommand,
    checkcount: eff.checkcount,
    checktimeout: eff.checktimeout,
    negotiatetimeout: eff.negotiatetimeout,
    negotiateEvery: v.negotiateEvery,
    sslverify: cfg.global.sslverify ?? false,
    ...(v.agentoutput ? { agentoutput: true } : {}),
  };
  return { key: targetKey(base, receive, eff.checkinterval, memo, agentKey(cfg, v, r, memo)), ...base };
}

/**
 * agentport=: the agent probe of a real (`check` is its check target), a connect-shaped target
 * the agent checker reads: host, agentport, agentsend, checktimeout.
 */
export function agentOf(cfg: Config, v: VirtualService, r: RealServer, check: CheckTarget, memo?: TargetMemo): Binding['agent'] {
  const key = agentKey(cfg, v, r, memo);
  if (key === undefined || v.agentport === undefined) return undefined;
  const target: CheckTarget = { ...check, key, checktype: 'connect', service: 'none', port: v.agentport, request: v.agentsend ?? '', receive: undefined };
  return { target, interval: v.agentinterval ?? effective(cfg, v).checkinterval };
}

/** One agent per real address, port, text sent, timeout and interval: equal ones are probed once. */
function agentKey(cfg: Config, v: VirtualService, r: RealServer, memo?: TargetMemo): string | undefined {
  if (v.agentport === undefined) return undefined;
  const eff = effective(cfg, v);
  const input = JSON.stringify(['agent', v.agentsend ?? '', eff.checktimeout, v.agentinterval ?? eff.checkinterval]);
  let digest = memo?.digests.get(input);
  if (digest === undefined) {
    digest = createHash('sha256').update(input).digest('hex').slice(0, 12);
    memo?.digests.set(input, digest);
  }
  return `agent:${hostPort(r.address, v.agentport)}#${digest}`;
}

/**
 * A readable key (`negotiate:http:tcp:127.0.0.2:80`) plus a digest of everything else that
 * changes what the check does. Secrets only enter the digest, never the readable part.
 */
function targetKey(t: Omit<CheckTarget, 'key'>, receive: string, interval: number, memo?: TargetMemo, agent?: string): string {
  const external = t.checktype === 'external' || t.checktype === 'external-perl';
  const input = JSON.stringify([
    t.request, receive, t.virtualhost, t.httpmethod, t.login, t.passwd, t.database, t.secret,
    t.checkcommand, t.checkcount, t.checktimeout, t.negotiatetimeout, t.negotiateEvery, t.sslverify,
    interval, external ? [t.vip, t.vport, t.rport] : null,
    // a check whose real an agent can hold down is not shared with reals no agent speaks for
    ...(agent ? [agent] : []),
  ]);
  let digest = memo?.digests.get(input);
  if (digest === undefined) {
    digest = createHash('sha256').update(input).digest('hex').slice(0, 12);
    memo?.digests.set(input, digest);
  }
  const what = t.checktype === 'negotiate' || t.checktype === 'combined' ? `${t.checktype}:${t.service}` : t.checktype;
  return `${what}:${t.protocol}:${hostPort(t.host, t.port)}#${digest}`;
}

export function bindingsOf(cfg: Config): Binding[] {
  const out: Binding[] = [];
  const memo = newTargetMemo();
  for (const v of cfg.virtuals) {
    const eff = effective(cfg, v);
    const seen = new Set<string>();
    for (const r of v.reals) {
      const id = bindingId(v, r);
      // A real listed twice in one virtual is one IPVS destination (ldirectord: one id).
      if (seen.has(id)) continue;
      seen.add(id);
      const target = checkTargetFor(cfg, v, r, memo);
      const agent = agentOf(cfg, v, r, target, memo);
      out.push({
        id,
        virtual: v,
        real: r,
        target,
        checkinterval: eff.checkinterval,
        failurecount: eff.failurecount,
        rise: eff.rise,
        slowstart: eff.slowstart,
        ...(agent ? { agent } : {}),
      });
    }
  }
  return out;
}
