// HAProxy's agent-check reply (its configuration manual, "agent-check"): one line of words
// separated by blanks or commas, in any order, and an optional description after "#". Words are
// case-insensitive; `maxconn:N` is HAProxy's own and is accepted and ignored (IPVS has u: per
// real in the config instead). Pure: the line in, what it says out, or why it says nothing.

/** operational word: the real is (not) able to serve. */
export type AgentOp = 'up' | 'down';
/** administrative word: `ready` ends a drain or a maintenance. */
export type AgentAdmin = 'ready' | 'drain' | 'maint';

export interface AgentReply {
  op?: AgentOp;
  /** the word that set `op` (down, fail and stopped all mean down). */
  opWord?: string;
  admin?: AgentAdmin;
  /** NN%: a share of the configured weight. */
  percent?: number;
  /** the text after "#", control characters removed, at most 200 characters. */
  description?: string;
}

const OP: Record<string, AgentOp> = { up: 'up', down: 'down', fail: 'down', stopped: 'down' };
const ADMIN: Record<string, AgentAdmin> = { ready: 'ready', drain: 'drain', maint: 'maint' };

export function parseAgentReply(line: string): AgentReply | { error: string } {
  const text = line.split(/[\r\n]/, 1)[0]!;
  const hash = text.indexOf('#');
  const words = (hash < 0 ? text : text.slice(0, hash)).split(/[\s,]+/).filter(Boolean);
  const reply: AgentReply = {};
  if (hash >= 0) {
    // eslint-disable-next-line no-control-regex
    const description = text.slice(hash + 1).replace(/[\x00-\x1f\x7f-\x9f]/g, '').trim().slice(0, 200);
    if (description) reply.description = description;
  }
  if (words.length === 0) return { error: 'no agent word in the reply' };
  for (const raw of words) {
    const w = raw.toLowerCase();
    const pct = /^(\d{1,9})%$/.exec(w);
    if (pct) reply.percent = Number(pct[1]);
    else if (OP[w]) [reply.op, reply.opWord] = [OP[w], w];
    else if (ADMIN[w]) reply.admin = ADMIN[w];
    else if (!/^maxconn:\d+$/.test(w)) return { error: `not an agent word: ${JSON.stringify(raw.slice(0, 40))}` };
  }
  return reply;
}
