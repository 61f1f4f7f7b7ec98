// service=imap / imaps (spec §6): greeting `* OK` (or `* PREAUTH`); with a login, LOGIN must be
// answered OK; LOGOUT. The whole exchange is under negotiatetimeout.
import { withPeerCert, type CertSink } from '../cert.js';
import { down, runCheck, up } from '../deadline.js';
import type { CheckResult, CheckTarget, Checker } from '../types.js';
import { LineClient, printable, tlsOptionsFor } from './line-client.js';

const MAX_UNTAGGED = 100;

/** An IMAP quoted string (RFC 3501 §4.3); line breaks are refused by LineClient.send. */
function quoted(s: string): string {
  return `"${s.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

async function imap(target: CheckTarget, certs: CertSink | undefined, signal: AbortSignal): Promise<CheckResult> {
  const c = await LineClient.connect({
    host: target.host,
    port: target.port,
    signal,
    ...(certs ? { tls: tlsOptionsFor(target), certs } : {}),
  });
  const greeting = await c.readLine();
  if (!/^\* (OK|PREAUTH)\b/i.test(greeting)) return down(`unexpected greeting: ${printable(greeting)}`);
  if (target.login !== '') {
    c.send(`a1 LOGIN ${quoted(target.login)} ${quoted(target.passwd)}`);
    // Skip untagged data (CAPABILITY and the like) up to the tagged completion.
    let reply = await c.readLine();
    for (let n = 0; !reply.startsWith('a1 '); n++) {
      if (n >= MAX_UNTAGGED) return down(`no answer to LOGIN after ${MAX_UNTAGGED} lines`);
      reply = await c.readLine();
    }
    if (!/^a1 OK\b/i.test(reply)) return down(`login failed: ${printable(reply)}`);
  }
  c.quit('a2 LOGOUT');
  return up('Success');
}

export const imapChecker: Checker = {
  check: (target, signal) => runCheck(signal, target.negotiatetimeout, (s) => imap(target, undefined, s)),
};

export const imapsChecker: Checker = {
  check: (target, signal) => withPeerCert((certs) => runCheck(signal, target.negotiatetimeout, (s) => imap(target, certs, s))),
};
