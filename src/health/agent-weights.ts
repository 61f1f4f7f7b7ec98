// Agent weights: what each real's agent last said (HAProxy's agent-check words, or the first
// output line of an external check with agentoutput=yes), and what that makes of the real.
//  - `NN%`: the weight is that share of the CONFIGURED weight, never of the current one, so
//    repeated replies cannot compound (keepalived's dynamic MISC_CHECK weights grew without
//    bound); a share above 100% gives the configured weight, a non-zero one at least 1.
//  - `drain`: weight 0 while it holds; `ready` ends a drain or a maintenance.
//  - `down`, `fail`, `stopped`: the real is held down (a health transition, like a failed check);
//    `maint`: held out as well, logged as maintenance, not as a failure; `up` lifts a `down`
//    (the real returns at its next passing check).
//  - an agent that cannot be reached, is slow or talks garbage changes nothing: its last word
//    stands and the failure is reported (HAProxy: connectivity is the regular check's business).
// Control characters in replies are kept: the log and status escape what they show.
// Pure state: the daemon feeds probe results in and reads holds and the weight stage out.
import { parseAgentReply, type AgentAdmin, type AgentOp } from '../checks/agent-reply.js';
import type { CheckResult } from '../checks/types.js';
import { hostPort, virtualId } from '../config/effective.js';
import type { DaemonBus } from '../events/index.js';
import type { Binding } from './targets.js';

export interface AgentState {
  op: AgentOp;
  /** down, fail or stopped: which word took it down. */
  opWord?: string;
  admin: AgentAdmin;
  percent?: number;
  description?: string;
  /** the last reply understood, and when (Date.now()). */
  reply?: string;
  at?: number;
  /** the last probe that said nothing usable, until a reply is understood again. */
  error?: { message: string; at: number };
}

/** What status shows of a real's agent. */
export interface AgentView {
  reply: string | null;
  /** the agent's say in one word: up, down, drain or maint. */
  state: 'up' | 'down' | 'drain' | 'maint';
  percent: number | null;
  /** the weight the agent asks for (clamped to 0..configured). */
  weight: number;
  at: string | null;
  error: { message: string; at: string } | null;
}

export interface AgentChange {
  /** a hold began or ended (the daemon forces the real down or lets its check bring it back). */
  hold: boolean;
  /** the weight the agent asks for changed. */
  weight: boolean;
}

/** The key an agent's state is kept under: the agent probe's, or the external check's own. */
export function agentSource(b: Binding): string | undefined {
  return b.agent?.target.key ?? (b.virtual.agentoutput ? b.target.key : undefined);
}

export class AgentWeights {
  private states = new Map<string, AgentState>();
  /** check key → agent source, for the checks of reals an agent speaks for. */
  private byCheck = new Map<string, string>();
  private bindingsOf = new Map<string, Binding[]>();

  constructor(private readonly bus: DaemonBus) {}

  /** Install the bindings of a (new) config: agents still there keep what they said. */
  bind(bindings: readonly Binding[]): void {
    this.byCheck = new Map();
    this.bindingsOf = new Map();
    for (const b of bindings) {
      const source = agentSource(b);
      if (!source) continue;
      this.byCheck.set(b.target.key, source);
      const list = this.bindingsOf.get(source) ?? [];
      list.push(b);
      this.bindingsOf.set(source, list);
    }
    for (const k of this.states.keys()) if (!this.bindingsOf.has(k)) this.states.delete(k);
  }

  /** The agent source that speaks for this check, if any. */
  sourceOfCheck(checkKey: string): string | undefined {
    return this.byCheck.get(checkKey);
  }

  /** The check keys an agent speaks for. */
  checksOf(source: string): string[] {
    return [...new Set((this.bindingsOf.get(source) ?? []).map((b) => b.target.key))];
  }

  /**
   * One probe result: a reply (ok, the line in `message`) or a failure to get one. Garbage is a
   * failure too. Returns what changed for the table.
   */
  record(source: string, result: CheckResult): AgentChange {
    if (!this.bindingsOf.has(source)) return { hold: false, weight: false };
    const s = this.states.get(source) ?? { op: 'up', admin: 'ready' };
    this.states.set(source, s);
    const parsed = result.ok ? parseAgentReply(result.message) : { error: result.message };
    if ('error' in parsed) {
      const message = result.ok ? `${parsed.error} (reply ${JSON.stringify(result.message.slice(0, 80))})` : parsed.error;
      if (!s.error) this.say(source, 'warn', `agent not usable: ${message}; its last word stands (${wordOf(s)})`);
      s.error = { message, at: Date.now() };
      return { hold: false, weight: false };
    }
    if (s.error) this.say(source, 'info', 'agent answers again');
    const held = holdOf(s);
    const before = { word: wordOf(s), percent: s.percent };
    s.error = undefined;
    s.reply = result.message.split(/[\r\n]/, 1)[0]!.slice(0, 200);
    s.at = Date.now();
    if (parsed.op) [s.op, s.opWord] = [parsed.op, parsed.opWord];
    if (parsed.admin) s.admin = parsed.admin;
    if (parsed.percent !== undefined) s.percent = parsed.percent;
    s.description = parsed.description;
    const hold = holdOf(s) !== held;
    const word = wordOf(s);
    if (word !== before.word) this.sayWord(source, s);
    else if (s.percent !== before.percent && word === 'up') this.say(source, 'info', `agent says ${s.percent}%`);
    return { hold, weight: hold || word !== before.word || s.percent !== before.percent };
  }

  /** Why the agent holds the real of this check out, or undefined. */
  holdFor(checkKey: string): string | undefined {
    const source = this.byCheck.get(checkKey);
    const s = source ? this.states.get(source) : undefined;
    return s ? holdOf(s) : undefined;
  }

  /**
   * The hold that spares running this check at all (an agent probe's word). An external check
   * that is its own agent (agentoutput) must run: its next output is the only way out of a hold.
   */
  holdBeforeCheck(checkKey: string): string | undefined {
    return this.byCheck.get(checkKey) === checkKey ? undefined : this.holdFor(checkKey);
  }

  /** The agent's say on an up real's weight (a WeightStage). */
  readonly stage = (b: Binding, weight: number): number => {
    const source = agentSource(b);
    const s = source ? this.states.get(source) : undefined;
    return s ? agentWeight(s, weight) : weight;
  };

  view(b: Binding): AgentView | undefined {
    const source = agentSource(b);
    if (!source) return undefined;
    const s = this.states.get(source) ?? { op: 'up', admin: 'ready' };
    return {
      reply: s.reply ?? null,
      state: wordOf(s),
      percent: s.percent ?? null,
      weight: holdOf(s) ? 0 : Math.max(0, Math.min(b.real.weight, agentWeight(s, b.real.weight))),
      at: s.at !== undefined ? new Date(s.at).toISOString() : null,
      error: s.error ? { message: s.error.message, at: new Date(s.error.at).toISOString() } : null,
    };
  }

  private sayWord(source: string, s: AgentState): void {
    const why = s.description ? ` (${s.description})` : '';
    switch (wordOf(s)) {
      case 'down':
        return this.say(source, 'warn', `agent says ${s.opWord ?? 'down'}${why}: held down until it says up`);
      case 'maint':
        return this.say(source, 'info', `agent says maint${why}: in maintenance, out of the pool on purpose (not a failure) until it says ready`);
      case 'drain':
        return this.say(source, 'info', `agent says drain${why}: weight 0, its connections go on`);
      default:
        return this.say(source, 'info', `agent says ${s.percent !== undefined ? `up ${s.percent}%` : 'up'}${why}`);
    }
  }

  private say(source: string, level: 'info' | 'warn', what: string): void {
    for (const b of this.bindingsOf.get(source) ?? []) {
      this.bus.emit('log', { level, message: `Real server ${hostPort(b.real.address, b.real.port)} (${virtualId(b.virtual)}): ${what}` });
    }
  }
}

/** maint outranks down outranks drain: the word that decides what happens to the real. */
function wordOf(s: AgentState): AgentView['state'] {
  if (s.admin === 'maint') return 'maint';
  if (s.op === 'down') return 'down';
  return s.admin === 'drain' ? 'drain' : 'up';
}

function holdOf(s: AgentState): string | undefined {
  const why = s.description ? ` (${s.description})` : '';
  if (s.admin === 'maint') return `agent says maint${why}: maintenance`;
  if (s.op === 'down') return `agent says ${s.opWord ?? 'down'}${why}`;
  return undefined;
}

function agentWeight(s: AgentState, weight: number): number {
  if (s.admin === 'drain') return 0;
  if (s.percent === undefined) return weight;
  if (s.percent === 0) return 0;
  return Math.min(weight, Math.max(1, Math.round((weight * s.percent) / 100)));
}
