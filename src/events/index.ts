// The words every layer shares: health, change kinds, daemon states, and the event bus. The core
// (scheduler → health → table → reconciler) only emits; logging, e-mail alerts, systemd
// notification and status subscribe. Nothing here blocks; nothing here imports the daemon.
import { EventEmitter } from 'node:events';
import type { Config, VirtualService, RealServer } from '../config/model.js';
import type { CertInfo, CheckResult } from '../checks/types.js';
import type { Change } from '../ipvs/types.js';

export type DaemonState = 'starting' | 'running' | 'reloading' | 'stopping';
export type Health = 'unknown' | 'up' | 'down';
/**
 * This director's part in a pair, as its failover engine (keepalived's notify scripts,
 * Pacemaker's promote/demote) last told it; 'unknown' until told. Both roles run every check and
 * keep the whole table in the kernel; the role switches the IPVS sync daemon and what lvsd reports.
 */
export type Role = 'master' | 'backup' | 'fault' | 'unknown';
export const ROLES: readonly Role[] = ['master', 'backup', 'fault', 'unknown'];

/** What an IPVS change meant, in ldirectord's vocabulary (its log message catalogue, spec §3.6). */
export type ChangeKind =
  | 'added-virtual'
  | 'changed-virtual'
  | 'purged-virtual'
  | 'added-real'
  | 'restored-real'
  /** a pool policy (slow start, agent, override) moved an up real between two non-zero weights: logged, not mailed. */
  | 'reweighted-real'
  | 'quiesced-real'
  | 'readd-quiescent-real'
  | 'deleted-real'
  | 'purged-real'
  | 'added-fallback'
  | 'deleted-fallback';

export interface DaemonEvents {
  /** every finished check (debug log, monitorfile, metrics). */
  check: [{ key: string; result: CheckResult; latencyMs: number; at: number }];
  /** a real server's health changed in one virtual service. */
  transition: [
    {
      virtual: VirtualService;
      real: RealServer;
      from: Health;
      to: Health;
      /** failures counted so far and the configured failurecount. */
      failures: number;
      failurecount: number;
      message: string;
      at: number;
    },
  ];
  /** a soft failure: counted, not yet acted on (ldirectord logs these). */
  softfail: [{ virtual: VirtualService; real: RealServer; failures: number; failurecount: number; message: string }];
  /** a soft failure count was reset by a success. */
  softreset: [{ virtual: VirtualService; real: RealServer }];
  /** a down real passed a check: counted toward rise=, not yet back. */
  softrise: [{ virtual: VirtualService; real: RealServer; successes: number; rise: number; message: string }];
  /** a down real's count toward rise= was reset by a failed check. */
  risereset: [{ virtual: VirtualService; real: RealServer; successes: number; message: string }];
  /** one IPVS change that was applied successfully. */
  ipvs: [
    {
      kind: ChangeKind;
      change: Change;
      virtual?: VirtualService;
      /** ldirectord's log line for this change, e.g. `Deleted real server: 10.1.1.2:80 (10.0.0.1:80)`. */
      message: string;
      /** `ip:port (vip:port)` for reals and fallbacks: the key of repeat alerts. */
      subject?: string;
      at: number;
    },
  ];
  /** a change set or a read failed. */
  'ipvs-error': [{ error: string; changes: Change[] }];
  /** the desired table has been applied (after a round of checks, a reload, a repair). */
  applied: [{ changes: number; at: number }];
  state: [{ state: DaemonState; config: Config }];
  reload: [{ ok: boolean; file: string; error?: string; at: number }];
  /** the director's role changed (`lvsd role`, a restart that restored it from its state file). */
  role: [{ from: Role; to: Role; at: number; source: 'command' | 'restored' }];
  /** a real's TLS certificate came within certwarndays of expiry (once per certificate and virtual service). */
  'cert-expiring': [
    {
      virtual: VirtualService;
      real: RealServer;
      cert: CertInfo;
      daysLeft: number;
      /** the log line and mail subject. */
      message: string;
      /** `ip:port (vip:port)`, as for other real server alerts. */
      subject: string;
      at: number;
    },
  ];
  /**
   * an operator override (`lvsd disable|drain|weight|enable`) was set, cleared, restored from its
   * state file, or dropped because a reload removed its real. `virtual` is absent for a dropped one.
   */
  override: [{ message: string; virtual?: VirtualService; subject: string; at: number }];
  /** free-form daemon log line. */
  log: [{ level: 'error' | 'warn' | 'info' | 'debug'; message: string }];
}

export class DaemonBus extends EventEmitter<DaemonEvents> {}

/** The log line and mail subject of a role change. */
export function roleMessage(e: DaemonEvents['role'][0]): string {
  return e.source === 'restored' ? `Role: ${e.to} (kept from the previous run)` : `Role: ${e.from} -> ${e.to}`;
}
