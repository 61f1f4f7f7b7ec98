// checktype=ping through the system ping. Loopback always answers, so the failing cases run
// the checker inside a private network namespace (unshare -n): one with lo down (an error)
// and one whose kernel ignores echo requests (a real timeout).
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pingChecker } from '../../src/checks/ping.js';
import type { CheckResult } from '../../src/checks/types.js';
import { hasCommand, never, settles, target } from './helpers.js';

const noPing = hasCommand('ping') ? false : 'ping (Debian package iputils-ping) is not installed';
const ping6Works = !noPing && spawnSync('ping', ['-n', '-c', '1', '-W', '1', '-6', '::1'], { stdio: 'ignore' }).status === 0;
const noPing6 = noPing || (ping6Works ? false : 'ping -6 ::1 does not answer here (IPv6 disabled)');
const netnsWorks = spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
const noNetns =
  noPing ||
  (!hasCommand('ip') ? 'ip (Debian package iproute2) is not installed' : false) ||
  (netnsWorks ? false : 'cannot create a network namespace (unshare -n needs root / CAP_SYS_ADMIN)');

const helper = fileURLToPath(new URL('./netns/ping-in-netns.ts', import.meta.url));
const tsLoader = import.meta.resolve('@tapjs/typescript/import');

/** Runs the ping checker in a fresh network namespace (bounded by spawn's own timeout). */
function pingInNetns(args: string[]): CheckResult {
  const out = execFileSync('unshare', ['-n', '--', process.execPath, '--import', tsLoader, helper, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(out) as CheckResult;
}

t.test('127.0.0.1 answers: up', { skip: noPing }, async (t) => {
  const r = await pingChecker.check(target({ checktype: 'ping', host: '127.0.0.1' }), never);
  t.same(r, { ok: true, message: 'Success' });
});

t.test('::1 answers: up (IPv6, which Net::Ping could not do)', { skip: noPing6 }, async (t) => {
  const r = await pingChecker.check(target({ checktype: 'ping', host: '::1', family: 6 }), never);
  t.same(r, { ok: true, message: 'Success' });
});

t.test('a bracketed IPv6 literal is accepted too', { skip: noPing6 }, async (t) => {
  const r = await pingChecker.check(target({ checktype: 'ping', host: '[::1]', family: 6 }), never);
  t.equal(r.ok, true);
});

t.test('only literal addresses reach ping\'s argv', async (t) => {
  const r = await pingChecker.check(target({ checktype: 'ping', host: '-f' }), never);
  t.same(r, { ok: false, message: 'not an IP address: -f' });
});

t.test('in a namespace with lo down: down with the error, at once', { skip: noNetns }, async (t) => {
  const r = pingInNetns(['down', 'no', '127.0.0.1', '4', '3']);
  t.equal(r.ok, false);
  t.match(r.message, /unreachable/i);
});

t.test('no echo reply: "timeout" after checktimeout', { skip: noNetns }, async (t) => {
  const r = pingInNetns(['up', 'yes', '127.0.0.1', '4', '1']);
  t.same(r, { ok: false, message: 'timeout after 1s' });
});

t.test('checkcount attempts, each with checktimeout', { skip: noNetns }, async (t) => {
  const r = pingInNetns(['up', 'yes', '127.0.0.1', '4', '2']);
  t.same(r, { ok: false, message: 'timeout after 1s (2 attempts)' });
});

t.test('IPv6 no echo reply: timeout', { skip: noNetns || noPing6 }, async (t) => {
  const r = pingInNetns(['up', 'yes', '::1', '6', '1']);
  t.same(r, { ok: false, message: 'timeout after 1s' });
});

t.test('an aborted ping settles', { skip: noPing }, async (t) => {
  const ctl = new AbortController();
  const p = pingChecker.check(target({ checktype: 'ping', host: '127.0.0.1' }), ctl.signal);
  ctl.abort();
  t.same(await settles(p, 10), { ok: false, message: 'aborted' });
});
