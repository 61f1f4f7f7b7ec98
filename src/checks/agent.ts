// The agent probe (HAProxy's agent-check): connect to the real's agent port, send `request`
// (agentsend=, `\n` becomes a LF; often nothing), read one line. Up with the line as the message
// when one came; the words are judged by the health layer (health/agent-weights.ts). At most
// 1 KiB is read and the whole exchange has checktimeout: an agent that floods, hangs or closes
// in silence is a failed probe with a reason, never a stuck one.
import { runCheck, up, down } from './deadline.js';
import { LineReader } from './lines.js';
import { tcpExchange } from './transport.js';
import type { Checker } from './types.js';

/** An agent line is a few words; more than this is not an agent talking. */
export const AGENT_REPLY_CAP = 1024;

export const agentChecker: Checker = {
  check: (t, signal) =>
    runCheck(signal, t.checktimeout, (s) => {
      const reader = new LineReader(AGENT_REPLY_CAP);
      return tcpExchange(
        {
          host: t.host,
          port: t.port,
          request: () => Buffer.from(t.request.replace(/\\n/g, '\n'), 'utf8'),
          halfClose: false,
          answer: (chunk) => {
            const line = reader.push(chunk)[0];
            return line === undefined ? undefined : up(line);
          },
          closed: () => {
            const line = reader.end()[0];
            return line ? up(line) : down('the agent closed the connection without a reply');
          },
        },
        s,
      );
    }),
};
