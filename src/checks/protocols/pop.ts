// service=pop / pops (spec §6): greeting +OK; with a login, USER and PASS must be accepted; QUIT.
// Fixes ldirectord's verified bug where a check without login was always up, even with nothing
// listening: here the greeting is always required.
import { withPeerCert, type CertSink } from '../cert.js';
import { down, runCheck, up } from '../deadline.js';
import type { CheckResult, CheckTarget, Checker } from '../types.js';
import { LineClient, printable, tlsOptionsFor } from './line-client.js';

async function pop(target: CheckTarget, certs: CertSink | undefined, signal: AbortSignal): Promise<CheckResult> {
  const c = await LineClient.connect({
    host: target.host,
    port: target.port,
    signal,
    ...(certs ? { tls: tlsOptionsFor(target), certs } : {}),
  });
  const refusal = async (line?: string): Promise<string | undefined> => {
    if (line !== undefined) c.send(line);
    const reply = await c.readLine();
    return reply.startsWith('+OK') ? undefined : printable(reply);
  };
  const greeting = await refusal();
  if (greeting !== undefined) return down(`unexpected greeting: ${greeting}`);
  if (target.login !== '') {
    const user = await refusal(`USER ${target.login}`);
    if (user !== undefined) return down(`USER refused: ${user}`);
    const pass = await refusal(`PASS ${target.passwd}`);
    if (pass !== undefined) return down(`login failed: ${pass}`);
  }
  c.quit('QUIT');
  return up('Success');
}

export const popChecker: Checker = {
  check: (target, signal) => runCheck(signal, target.negotiatetimeout, (s) => pop(target, undefined, s)),
};

export const popsChecker: Checker = {
  check: (target, signal) => withPeerCert((certs) => runCheck(signal, target.negotiatetimeout, (s) => pop(target, certs, s))),
};
