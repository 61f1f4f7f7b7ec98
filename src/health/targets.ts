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
}

function receiveOf(src: string | undefined): RegExp | undefined {
  if (!src) return undefined;
  const r = translatePerlRegex(src);
  // The config parser has already rejected what cannot be translated.
  return 'regex' in r ? r.regex : undefined;
}

export function checkTargetFor(cfg: Config, v: VirtualService, r: RealServer): CheckTarget {
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
    receive: receiveOf(receive),
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
  };
  return { key: targetKey(base, receive, eff.checkinterval), ...base };
}

/**
 * A readable key (`negotiate:http:tcp:127.0.0.2:80`) plus a digest of everything else that
 * changes what the check does. Secrets only enter the digest, never the readable part.
 */
function targetKey(t: Omit<CheckTarget, 'key'>, receive: string, interval: number): string {
  const external = t.checktype === 'external' || t.checktype === 'external-perl';
  const digest = createHash('sha256')
    .update(
      JSON.stringify([
        t.request, receive, t.virtualhost, t.httpmethod, t.login, t.passwd, t.database, t.secret,
        t.checkcommand, t.checkcount, t.checktimeout, t.negotiatetimeout, t.negotiateEvery, t.sslverify,
        interval, external ? [t.vip, t.vport, t.rport] : null,
      ]),
    )
    .digest('hex')
    .slice(0, 12);
  const what = t.checktype === 'negotiate' || t.checktype === 'combined' ? `${t.checktype}:${t.service}` : t.checktype;
  return `${what}:${t.protocol}:${hostPort(t.host, t.port)}#${digest}`;
}

export function bindingsOf(cfg: Config): Binding[] {
  const out: Binding[] = [];
  for (const v of cfg.virtuals) {
    const eff = effective(cfg, v);
    const seen = new Set<string>();
    for (const r of v.reals) {
      const id = `${virtualId(v)}/${hostPort(r.address, r.port)}`;
      // A real listed twice in one virtual is one IPVS destination (ldirectord: one id).
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({
        id,
        virtual: v,
        real: r,
        target: checkTargetFor(cfg, v, r),
        checkinterval: eff.checkinterval,
        failurecount: eff.failurecount,
      });
    }
  }
  return out;
}
