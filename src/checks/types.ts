// One interface for every health check, in the manner of Seesaw's healthcheck/:
// a checker knows one protocol and nothing about IPVS, state, timers or the config model.
// The checks' own names below are what checktype= and service= choose from; health/targets.ts
// maps a config onto CheckTarget.

/** How a real server is checked; `combined` is checktype=N (negotiate once every N+1 checks). */
export type CheckType =
  | 'connect'
  | 'negotiate'
  | 'combined'
  | 'ping'
  | 'external'
  | 'external-perl'
  | 'on'
  | 'off';

/** The protocols a negotiate check speaks, by ldirectord's service names. */
export const CHECK_SERVICES = [
  'dns', 'ftp', 'http', 'https', 'http_proxy', 'imap', 'imaps', 'ldap', 'ldaps', 'mysql', 'nntp',
  'none', 'oracle', 'pgsql', 'pop', 'pops', 'radius', 'simpletcp', 'sip', 'smtp', 'submission',
] as const;
export type CheckService = (typeof CHECK_SERVICES)[number];

/** Everything a checker needs about one real server, resolved from config. */
export interface CheckTarget {
  /** check identity; identical targets share one check (ldirectord's real id). */
  key: string;
  checktype: CheckType;
  service: CheckService;
  /** the virtual service's protocol: it picks TCP or UDP for the checks that speak both. */
  protocol: 'tcp' | 'udp' | 'fwm';
  /** the real server's address family. */
  family: 4 | 6;
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
  /** external checks: return the program's first output line (agentoutput=yes). */
  agentoutput?: boolean;
}

/** The leaf certificate a TLS check was shown (https, imaps, pops, ldaps). */
export interface CertInfo {
  /** the certificate's notAfter, ms since the epoch. */
  notAfter: number;
  /** its subject's CN (else the whole subject), at most 200 characters. */
  subject: string;
  /** SHA-256 fingerprint: one certificate, however many reals show it. */
  fingerprint: string;
}

export interface CheckResult {
  ok: boolean;
  /** short human reason: HTTP status line, "Connection refused", "timeout after 5s", "Success". */
  message: string;
  /** the peer certificate, when the check completed a TLS handshake (whatever its verdict). */
  cert?: CertInfo;
  /** external checks: the first line of the program's output (read as agent words with agentoutput=yes). */
  output?: string;
}

export interface Checker {
  /**
   * Run one check. Must settle by the time `signal` aborts (the scheduler's hard deadline)
   * and must never throw: failures are results.
   */
  check(target: CheckTarget, signal: AbortSignal): Promise<CheckResult>;
}
