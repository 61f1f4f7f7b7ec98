// service=nntp (spec §6): up when the server's banner starts with 2 (200/201). ldirectord's
// connect timeout was silently ignored (wrong key case); here the whole exchange is bounded.
import { down, runCheck, up } from '../deadline.js';
import type { CheckResult, CheckTarget, Checker } from '../types.js';
import { LineClient, printable } from './line-client.js';

async function nntp(target: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
  const c = await LineClient.connect({ host: target.host, port: target.port, signal, maxLine: 1024 });
  const banner = await c.readLine();
  if (!banner.startsWith('2')) return down(`unexpected banner: ${printable(banner)}`);
  c.quit('QUIT');
  return up('Success');
}

export const nntpChecker: Checker = {
  check: (target, signal) => runCheck(signal, target.negotiatetimeout, (s) => nntp(target, s)),
};
