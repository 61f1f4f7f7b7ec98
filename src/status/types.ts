// The status document: what `lvsd status --json`, /status.json and the status page show.
// Plain JSON (times as ISO strings), no secrets (see ./redact.ts). Additive changes only:
// scripts read it.
import type { DaemonState, Health, Role } from '../events/index.js';
import type { Forward } from '../config/model.js';
import type { SyncDaemon } from '../ipvs/types.js';
import type { BgpStatus } from '../announce/announcer.js';
import type { AgentView } from '../health/agent-weights.js';

export interface RealStatus {
  address: string;
  /** the configured port (the kernel may hold a gate/ipip real on the virtual's port). */
  port: number;
  forward: Forward;
  /** configured weight. */
  weight: number;
  /** the weight in the kernel table; null when the real is not in it. */
  kernelWeight: number | null;
  health: Health;
  /** consecutive failed checks while up, and how many take it down. */
  failures: number;
  failurecount: number;
  /** consecutive passing checks while down, and how many bring it back (rise=). */
  successes: number;
  rise: number;
  /** its slow-start ramp (slowstart=) while one runs: the weight allowed now, of `target`. */
  slowstart: { weight: number; target: number; secondsLeft: number } | null;
  /** when the current health began, and for how long it has held (seconds). */
  since: string;
  inStateSeconds: number;
  lastCheckAt: string | null;
  lastLatencyMs: number | null;
  /** what the last check said. */
  lastMessage: string | null;
  /** the last failed check, even if the real is up again. */
  lastFailure: { message: string; at: string } | null;
  /** the TLS certificate its last TLS check was shown (https, imaps, pops, ldaps); null: none seen. */
  cert: CertStatus | null;
  /** agentport= or agentoutput=: the agent's last reply, its word and the weight it asks for. */
  agent?: AgentView;
  /** an operator override (`lvsd disable|drain|weight`), which wins over the checks; null: none. */
  override: { action: 'disable' | 'drain' | 'weight'; weight?: number; since: string } | null;
}

export interface CertStatus {
  /** the certificate's subject CN. */
  subject: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint: string;
  notAfter: string;
  /** days until notAfter when the status was made, one decimal; negative once expired. */
  daysLeft: number;
  /** expired, or within certwarndays of expiry (when set). */
  expiring: boolean;
}

export interface FallbackStatus {
  address: string;
  port: number;
  forward: Forward;
  /** in the kernel table now (taking the traffic because no real is up). */
  active: boolean;
  kernelWeight: number | null;
}

export interface VirtualStatus {
  /** ldirectord's id: `tcp:10.0.0.1:80`, `fwm:7`. */
  id: string;
  /** how ldirectord prints it: `10.0.0.1:80`, `7`. */
  label: string;
  protocol: 'tcp' | 'udp' | 'fwm';
  family: 4 | 6;
  scheduler: string;
  service: string;
  checktype: string;
  checkinterval: number;
  quiescent: boolean;
  /** the virtual service exists in the kernel table. */
  inKernel: boolean;
  reals: RealStatus[];
  fallback: FallbackStatus | null;
  /** destinations in the kernel that the config does not name (draining after a reload). */
  others: { address: string; port: number; weight: number }[];
  counts: { up: number; down: number; unknown: number };
}

export interface TransitionRecord {
  at: string;
  virtual: string;
  real: string;
  from: Health;
  to: Health;
  message: string;
}

export interface StatusSnapshot {
  lvsd: {
    version: string;
    pid: number;
    state: DaemonState;
    config: string;
    startedAt: string;
    generatedAt: string;
  };
  ipvs: {
    /** the kernel table shown is the last one read or applied; false before the first read. */
    kernelKnown: boolean;
    /** the last apply failed and a retry is pending. */
    failing: boolean;
    lastError: { message: string; at: string } | null;
  };
  /** this director's role in a pair (`lvsd role`); `unknown` until told. */
  role: Role;
  /** the IPVS connection sync daemons. */
  sync: {
    /** lvsd manages them (syncinterface= is set); false: they are left to others and only shown. */
    managed: boolean;
    /** what the kernel ran at the last read (every repair interval); null before the first read. */
    daemons: SyncDaemon[] | null;
    /** what lvsd wants running (managed only). */
    desired: SyncDaemon[] | null;
    lastError: { message: string; at: string } | null;
  };
  lastReload: { ok: boolean; at: string; error?: string } | null;
  /** virtual addresses announced through BIRD (bird=); null while bird= has never been set. */
  bgp: BgpStatus | null;
  /** where the HTTP listener is, when there is one. */
  http: { url: string } | null;
  virtuals: VirtualStatus[];
  /** newest first. */
  transitions: TransitionRecord[];
}
