// Runs one ping check inside the network namespace this process was started in (the test
// starts it with `unshare -n`, so the namespace is new, private and dies with the process).
// argv: <lo up|down> <ignore echo: yes|no> <address> <family> <checkcount>; prints the result as JSON.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { pingChecker } from '../../../src/checks/ping.js';
import { never, target } from '../helpers.js';

const [lo, ignore, host = '127.0.0.1', family = '4', count = '1'] = process.argv.slice(2);
if (lo === 'up') execFileSync('ip', ['link', 'set', 'lo', 'up']);
if (ignore === 'yes') {
  // /proc/sys/net is per network namespace: this only affects the private one.
  writeFileSync('/proc/sys/net/ipv4/icmp_echo_ignore_all', '1');
  writeFileSync('/proc/sys/net/ipv6/icmp/echo_ignore_all', '1');
}
const r = await pingChecker.check(
  target({ checktype: 'ping', host, family: family === '6' ? 6 : 4, checkcount: Number(count), checktimeout: 1 }),
  never,
);
process.stdout.write(JSON.stringify(r));
