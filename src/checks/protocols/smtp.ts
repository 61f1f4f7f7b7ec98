// service=smtp / submission (spec §6): greeting 220, EHLO (HELO when EHLO is refused), QUIT.
// Like ldirectord, request and receive are ignored; unlike it, the whole exchange is under
// negotiatetimeout rather than each step.
import { down, runCheck, up } from '../deadline.js';
import type { CheckResult, CheckTarget, Checker } from '../types.js';
import { LineClient, printable } from './line-client.js';

// Net::SMTP's default hello domain, so servers log the same name ldirectord used.
const HELLO = 'localhost.localdomain';

async function smtp(target: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
  const c = await LineClient.connect({ host: target.host, port: target.port, signal });
  const greeting = await c.readReply();
  if (greeting.code !== 220) return down(`unexpected greeting: ${printable(greeting.lines[0] ?? '')}`);
  let hello = await c.command(`EHLO ${HELLO}`);
  if (hello.code !== 250) hello = await c.command(`HELO ${HELLO}`);
  if (hello.code !== 250) return down(`HELO refused: ${printable(hello.lines[0] ?? '')}`);
  c.quit('QUIT');
  return up('Success');
}

export const smtpChecker: Checker = {
  check: (target, signal) => runCheck(signal, target.negotiatetimeout, (s) => smtp(target, s)),
};
