// Negotiate check for service simpletcp (spec §6, check_simpletcp): send `request` minus its
// leading "/" (only the two characters `\n` become a LF, as in ldirectord), half-close, and read
// lines until one matches `receive`. Over UDP (protocol udp) the request is one datagram and
// every reply datagram's lines are tried. ldirectord's empty receive hit Perl's `//` quirk (it
// reused the last successful pattern); lvsd treats an empty receive as "any answer line".
import { runCheck, up, down } from './deadline.js';
import { matchReceive } from './receive.js';
import { LineReader, datagramLines } from './lines.js';
import { familyOf, tcpExchange, udpExchange } from './transport.js';
import type { CheckTarget, Checker, CheckResult } from './types.js';

export function simpletcpPayload(request: string): Buffer {
  return Buffer.from(request.replace(/^\//, '').replace(/\\n/g, '\n'), 'utf8');
}

async function verdict(lines: string[], receive: RegExp | undefined, signal: AbortSignal): Promise<CheckResult | undefined> {
  if (lines.length === 0) return undefined;
  return !receive || (await matchReceive(receive, lines, signal)) ? up('Success') : undefined;
}

export function simpletcpCheck(t: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
  const request = (): Buffer => simpletcpPayload(t.request);
  if (t.protocol === 'udp') {
    return udpExchange(
      { host: t.host, port: t.port, request, answer: (msg) => verdict(datagramLines(msg), t.receive, signal) },
      familyOf(t.host, t.family),
      signal,
    );
  }
  const reader = new LineReader();
  return tcpExchange(
    {
      host: t.host,
      port: t.port,
      request,
      halfClose: true,
      answer: (chunk) => verdict(reader.push(chunk), t.receive, signal),
      closed: async () => (await verdict(reader.end(), t.receive, signal)) ?? down('Response mismatch'),
    },
    signal,
  );
}

export const simpletcpChecker: Checker = {
  check: (target, signal) => runCheck(signal, target.negotiatetimeout, (s) => simpletcpCheck(target, s)),
};
