// The running daemon as status sees it: its config and state, its health book, the kernel table
// it last saw, its role, and its bus (to listen, and to log). The Daemon class fits this shape;
// status holds nothing that could start a check, change health or write the table.
import type { Config } from '../config/model.js';
import type { DaemonBus, DaemonState, Role } from '../events/index.js';
import type { BindingState } from '../health/book.js';
import type { Binding } from '../health/targets.js';
import type { AgentView } from '../health/agent-weights.js';
import type { SyncView, TableView } from '../ipvs/types.js';
import type { BgpStatus } from '../announce/announcer.js';

/** The health book, read-only: which bindings each check serves. */
export interface HealthView {
  keys(): string[];
  bindingsFor(key: string): readonly Binding[];
}

export interface DaemonView {
  readonly bus: DaemonBus;
  readonly config: Config;
  readonly state: DaemonState;
  /** this director's role in a pair (read only: `role WORD` reaches the daemon through StatusOptions.role). */
  readonly role: Role;
  readonly book: HealthView;
  readonly reconciler: TableView;
  /** the IPVS connection sync daemons. */
  readonly sync: SyncView;
  /** slowstart= ramps in progress (optional: views built without a daemon have none). */
  readonly slowStart?: { ramp(b: Binding): { weight: number; target: number; secondsLeft: number } | undefined };
  /** announcing through BIRD (bird=), when the daemon process attached it. */
  readonly announce?: { status(): BgpStatus };
  /** what the reals' agents last said (absent in views without agents). */
  readonly agents?: { view(b: Binding): AgentView | undefined };
  /** the operator's overrides, read only (they change through StatusOptions.override; optional as slowStart). */
  readonly overrides?: { of(b: Binding): { action: 'disable' | 'drain' | 'weight'; weight?: number; at: number } | undefined };
  /** every binding with its state. */
  snapshot(): { binding: Binding; state: BindingState }[];
}
