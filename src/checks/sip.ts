// Negotiate check for service sip (spec §6, check_sip): an OPTIONS request over the virtual's
// protocol; up on a final `SIP/2.0 200` response. Differences from ldirectord: the Via names
// the real transport (ldirectord always wrote UDP), branch/tag/Call-ID are random per check,
// provisional 1xx responses are skipped, any 200 reason phrase counts, and an empty login
// falls back to `lvsd@<hostname>` (ldirectord sent `sip:` with nothing after it).
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { hostPort } from '../address.js';
import { runCheck, up, down } from './deadline.js';
import { LineReader, datagramLines } from './lines.js';
import { familyOf, tcpExchange, udpExchange } from './transport.js';
import type { CheckTarget, Checker, CheckResult } from './types.js';

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

export function sipOptions(t: CheckTarget, local: AddressInfo): Buffer {
  const login = (t.login || `lvsd@${os.hostname()}`).replace(/[\r\n]/g, '');
  const transport = t.protocol === 'tcp' ? 'TCP' : 'UDP';
  const lines = [
    `OPTIONS sip:${login} SIP/2.0`,
    `Via: SIP/2.0/${transport} ${hostPort(local.address, local.port)};branch=z9hG4bK${hex(8)}`,
    'Max-Forwards: 70',
    `To: <sip:${login}>`,
    `From: <sip:${login}>;tag=${hex(4)}`,
    `Call-ID: ${hex(8)}`,
    'CSeq: 63104 OPTIONS',
    `Contact: <sip:${login}>`,
    'Accept: application/sdp',
    'Content-Length: 0',
    '',
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}

const STATUS = /^SIP\/2\.0 (\d{3})(?: |$)/;

/** The verdict of the first final status line among `lines`, if any. */
function verdict(lines: string[]): CheckResult | undefined {
  for (const line of lines) {
    const code = STATUS.exec(line)?.[1];
    if (!code || code.startsWith('1')) continue;
    return code === '200' ? up(line) : down(line);
  }
  return undefined;
}

export function sipCheck(t: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
  const request = (local: AddressInfo): Buffer => sipOptions(t, local);
  if (t.protocol === 'tcp') {
    const reader = new LineReader();
    return tcpExchange(
      {
        host: t.host,
        port: t.port,
        request,
        halfClose: false,
        answer: (chunk) => verdict(reader.push(chunk)),
        closed: () => verdict(reader.end()) ?? down('No SIP final response'),
      },
      signal,
    );
  }
  // Over UDP only a datagram's first line can be its status line.
  const answer = (msg: Buffer): CheckResult | undefined => verdict(datagramLines(msg).slice(0, 1));
  return udpExchange({ host: t.host, port: t.port, request, answer }, familyOf(t.host, t.family), signal);
}

export const sipChecker: Checker = {
  check: (target, signal) => runCheck(signal, target.negotiatetimeout, (s) => sipCheck(target, s)),
};
