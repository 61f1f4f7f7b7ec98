// The one typed model of an lvsd / ldirectord configuration.
// Both front ends (ldirectord.cf and YAML) produce exactly this; everything downstream
// (health targets, desired table, alerts, status) reads only this.
//
// Values are what the file says after ldirectord's own parse-time derivations
// (service from port, protocol from port 53, ranges expanded, hostnames and service
// names resolved). Settings that may be given globally and per virtual are kept apart
// (`GlobalSettings` vs `VirtualService.overrides`) so a conversion writes them back where
// they were; `effective()` in ./effective.ts merges them with ldirectord's precedence.
import type { CheckService, CheckType } from '../checks/types.js';

export type Forward = 'gate' | 'masq' | 'ipip';
export type Protocol = 'tcp' | 'udp' | 'fwm';
export type Family = 4 | 6;

// checktype= and service= name one of the checks lvsd has, in the checkers' own words.
export type { CheckType };
export { CHECK_SERVICES as SERVICES } from '../checks/types.js';
export type Service = CheckService;

export type EmailStatus = 'starting' | 'running' | 'stopping' | 'reloading';

/** Where a value came from, for error messages and alerts. */
export interface Location {
  file: string;
  line: number;
}

/** A fallback ("sorry") server. port undefined = use the virtual's port. */
export interface Fallback {
  address: string;
  family: Family;
  port?: number;
  forward: Forward;
  source: Location;
}

/** Settings that exist both globally and per virtual; undefined = not given. */
export interface InheritableSettings {
  checktimeout?: number;
  negotiatetimeout?: number;
  checkinterval?: number;
  checkcount?: number;
  failurecount?: number;
  fallback?: Fallback;
  fallback6?: Fallback;
  fallbackcommand?: string;
  quiescent?: boolean;
  emailalert?: string[];
  emailalertfreq?: number;
  emailalertstatus?: EmailStatus[];
  cleanstop?: boolean;
  smtp?: string;
  // lvsd extensions (pool policy, global and per virtual)
  /** consecutive passing checks before a down real returns (default 1). */
  rise?: number;
  /** seconds over which a returning real's weight ramps up to its own (default 0: at once). */
  slowstart?: number;
  /** lvsd: mail when a real's TLS certificate has this many days left or fewer (0 = never). */
  certwarndays?: number;
}

export interface GlobalSettings extends InheritableSettings {
  autoreload?: boolean;
  callback?: string;
  logfile?: string;
  execute?: string[];
  fork?: boolean;
  supervised?: boolean;
  readdquiescent?: boolean;
  emailalertfrom?: string;
  maintenancedir?: string;
  // lvsd extensions (accepted in both formats; ldirectord would reject them)
  /** verify TLS certificates of https/ldaps/imaps/pops checks (ldirectord: never). */
  sslverify?: boolean;
  /** serve status.json, /metrics and the status page on this address (off when undefined). */
  statushttp?: { host: string; port: number };
  /** manage the IPVS connection sync daemon on this interface (unset: leave sync daemons alone). */
  syncinterface?: string;
  /** sync id 0-255 (default 0: no filtering). */
  syncid?: number;
  /** which sync daemons run (default role: master while the role is master, backup otherwise). */
  syncstate?: SyncStateSetting;
  /** multicast group, UDP port, TTL and packet length; the kernel's defaults when undefined. */
  syncgroup?: string;
  syncport?: number;
  syncttl?: number;
  syncmaxlen?: number;
  /** write pool health here for keepalived's track_file: 0 every virtual has a healthy real, 1 not. */
  trackfile?: string;
  /** BIRD's control socket: set, lvsd announces each healthy virtual address through BIRD. */
  bird?: string;
  /** the include file lvsd writes for BIRD (default DEFAULT_BIRD_ROUTES). */
  birdroutes?: string;
  /** seconds an address must want announcing, without a break, before it is (default 5). */
  announceholddown?: number;
  /** the IPVS driver when no --ipvs is given (default ipvsadm); read at start. */
  ipvsdriver?: 'ipvsadm' | 'netlink' | 'auto';
  /** the ipvsadm binary when no --ipvsadm is given; read at start. */
  ipvsadm?: string;
}

/** syncstate=: `role` follows `lvsd role`; the others are fixed. */
export type SyncStateSetting = 'role' | 'master' | 'backup' | 'both';

export interface RealServer {
  address: string;
  family: Family;
  /** 0 when the line gave no port (fwmark services). */
  port: number;
  forward: Forward;
  weight: number;
  /** per-real request/receive override (both or neither). */
  request?: string;
  receive?: string;
  /** ipvsadm -y / -x thresholds; 0 = none. */
  lower: number;
  upper: number;
  source: Location;
}

export interface VirtualService {
  source: Location;
  family: Family;
  protocol: Protocol;
  /** literal IP for tcp/udp services; undefined for fwmark. */
  address?: string;
  /** 0 for fwmark services. */
  port: number;
  fwmark?: number;
  reals: RealServer[];
  fallback?: Fallback;
  service: Service;
  checktype: CheckType;
  /** for checktype=combined: negotiate after this many successful connects. */
  negotiateEvery?: number;
  checkcommand: string;
  checkport?: number;
  request: string;
  receive: string;
  httpmethod: 'GET' | 'HEAD';
  virtualhost?: string;
  login: string;
  passwd: string;
  database: string;
  secret: string;
  scheduler: string;
  persistent?: number;
  netmask?: string;
  schedflags?: string;
  ops: boolean;
  monitorfile?: string;
  servicename?: string;
  comment?: string;
  load?: string;
  /** share of the pool's configured weight that must be healthy to announce the address (0..1;
   * undefined: any healthy real with weight > 0; 0: always while lvsd runs). */
  announcethreshold?: number;
  // agent weights (lvsd extension, README "Pool policy: agent weights")
  /** the TCP port of the reals' agents (HAProxy's agent-check protocol); unset: no agent. */
  agentport?: number;
  /** seconds between two agent probes (default: checkinterval). */
  agentinterval?: number;
  /** text sent to the agent once connected (`\n` becomes a LF). */
  agentsend?: string;
  /** external checks: the first line of the program's output is read as agent words. */
  agentoutput?: boolean;
  /** per-virtual values of the inheritable settings (fallback lives in `fallback`). */
  overrides: Omit<InheritableSettings, 'fallback' | 'fallback6'>;
}

export interface Config {
  /** absolute path of the file the model was read from. */
  file: string;
  format: 'cf' | 'yaml';
  global: GlobalSettings;
  virtuals: VirtualService[];
  /** non-fatal findings (ldirectord's "Warning ..." lines). */
  warnings: ConfigWarning[];
}

export interface ConfigWarning extends Location {
  message: string;
}
