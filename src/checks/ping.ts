// checktype=ping (spec §3.3 item 4): ICMP echo, checkcount attempts of checktimeout each.
// Node has no raw sockets, so this runs the system `ping` (iputils-ping) with an argv array:
// `ping -n -c 1 -W <s> [-6] <addr>`. Unlike Net::Ping in ldirectord it handles IPv6 too.
import net from 'node:net';
import { runCheck, up, down } from './deadline.js';
import { SAFE_PATH, runProcessGroup } from './process-group.js';
import type { CheckTarget, Checker, CheckResult } from './types.js';

// A second of slack per attempt for starting the process; `ping -W` bounds the wait itself.
const SPAWN_SLACK_S = 1;

async function pingAttempts(t: CheckTarget, address: string, signal: AbortSignal): Promise<CheckResult> {
  const attempts = Math.max(1, t.checkcount);
  const args = ['-n', '-c', '1', '-W', String(t.checktimeout), ...(t.family === 6 ? ['-6'] : []), address];
  for (let i = 0; i < attempts; i++) {
    const o = await runProcessGroup('ping', args, signal, { env: { PATH: SAFE_PATH, LC_ALL: 'C' } });
    if (o.code === 0) return up('Success');
    // Exit 1 is "no reply"; anything else is an error that another attempt will not cure.
    if (o.code !== 1) {
      const last = o.output.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? `exit status ${o.code}`;
      return down(last.replace(/^ping: (connect: )?/, ''));
    }
  }
  return down(`timeout after ${t.checktimeout}s` + (attempts > 1 ? ` (${attempts} attempts)` : ''));
}

export const pingChecker: Checker = {
  check: (target, signal) => {
    const address = target.host.replace(/^\[(.*)\]$/, '$1');
    const budget = Math.max(1, target.checkcount) * (target.checktimeout + SPAWN_SLACK_S);
    return runCheck(signal, budget, async (s) =>
      // Only literal addresses reach argv, so nothing can be read as a ping option.
      net.isIP(address) ? pingAttempts(target, address, s) : down(`not an IP address: ${address}`),
    );
  },
};
