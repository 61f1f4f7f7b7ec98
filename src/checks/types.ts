// One interface for every health check, in the manner of Seesaw's healthcheck/:
// a checker knows one protocol and nothing about IPVS, state or timers.
import type { CheckType, Family, Protocol, Service } from '../config/model.js';

/** Everything a checker needs about one real server, resolved from config. */
export interface CheckTarget {
  /** check identity; identical targets share one check (ldirectord's real id). */
  key: string;
  checktype: CheckType;
  service: Service;
  protocol: Protocol;
  family: Family;
  /** the real server's address and the port checks go to (checkport, else real port, else service port). */
  host: string;
  port: number;
  /** the virtual service, for external checks' arguments: vip (or fwmark) and vport. */
  vip: string;
  vport: number;
  /** the real server's own port as configured (external checks' rport). */
  rport: number;
  request: string;
  /** receive, already translated from Perl syntax; undefined when empty. */
  receive?: RegExp;
  virtualhost?: string;
  httpmethod: 'GET' | 'HEAD';
  login: string;
  passwd: string;
  database: string;
  secret: string;
  checkcommand: string;
  checkcount: number;
  /** seconds, after precedence (spec §1.5). */
  checktimeout: number;
  negotiatetimeout: number;
  /** checktype=combined: negotiate once every negotiateEvery+1 checks. */
  negotiateEvery?: number;
  /** verify TLS certificates (lvsd extension; default off as in ldirectord). */
  sslverify: boolean;
}

export interface CheckResult {
  ok: boolean;
  /** short human reason: HTTP status line, "Connection refused", "timeout after 5s", "Success". */
  message: string;
}

export interface Checker {
  /**
   * Run one check. Must settle by the time `signal` aborts (the scheduler's hard deadline)
   * and must never throw: failures are results.
   */
  check(target: CheckTarget, signal: AbortSignal): Promise<CheckResult>;
}
