// systemd/lvsd.service checked by systemd's own tools, offline (no running systemd needed):
// `systemd-analyze verify` on a copy whose ExecStart points at a stub (verify insists the
// binary exists and is executable, and /usr/sbin/lvsd may not be installed here), and
// `systemd-analyze security --offline=true` for the sandbox's exposure score.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasCommand, tempDir } from '../log/helpers.js';

const unitPath = new URL('../../systemd/lvsd.service', import.meta.url).pathname;
const noAnalyze = hasCommand('systemd-analyze') ? false : 'systemd-analyze (Debian package systemd) is not installed';

/** The unit with ExecStart's binary replaced by an executable stub in `dir`. */
function stubbedUnit(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'lvsd'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(bin, 'lvsd'), 0o755);
  const text = readFileSync(unitPath, 'utf8');
  const out = join(dir, 'lvsd.service');
  writeFileSync(out, text.replace('ExecStart=/usr/sbin/lvsd ', `ExecStart=${bin}/lvsd `));
  return out;
}

t.test('systemd-analyze verify accepts the unit', { skip: noAnalyze }, async (t) => {
  const dir = tempDir(t);
  const unit = stubbedUnit(dir);
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', '--generators=no', '--recursive-errors=no', unit], { encoding: 'utf8' });
  // other units on this machine may draw warnings (Conflicts= loads ldirectord.service);
  // nothing may be about ours
  const ours = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.includes('lvsd.service'));
  t.comment(`systemd-analyze verify: exit ${r.status}${ours.length ? `\n${ours.join('\n')}` : ''}`);
  t.equal(r.status, 0, r.stderr);
  t.same(ours, [], 'no complaint about lvsd.service');
});

t.test('systemd-analyze security: exposure stays low', { skip: noAnalyze }, async (t) => {
  const dir = tempDir(t);
  const unit = stubbedUnit(dir);
  const r = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', unit], { encoding: 'utf8' });
  const out = r.stdout + r.stderr;
  const score = /Overall exposure level for lvsd\.service: (\d+\.\d+)/.exec(out);
  t.ok(score, out);
  t.comment(out.split('\n').filter((l) => l.startsWith('✗') || l.startsWith('→')).map((l) => l.replace(/\s+$/, '').replace(/ {2,}/g, '  ')).join('\n'));
  t.ok(Number(score?.[1]) <= 3.0, `exposure ${score?.[1]} <= 3.0`);
});

t.test('the unit says what the daemon relies on', async (t) => {
  const keys = new Map<string, string[]>();
  for (const line of readFileSync(unitPath, 'utf8').split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line);
    if (m) keys.set(m[1]!, [...(keys.get(m[1]!) ?? []), m[2]!]);
  }
  t.same(keys.get('Type'), ['notify']);
  t.same(keys.get('ExecStart'), ['/usr/sbin/lvsd --foreground /etc/ha.d/ldirectord.cf start']);
  t.same(keys.get('ExecReload'), ['/bin/kill -HUP $MAINPID']);
  t.same(keys.get('CapabilityBoundingSet'), ['CAP_NET_ADMIN CAP_NET_RAW']);
  t.same(keys.get('RestrictAddressFamilies'), ['AF_UNIX AF_INET AF_INET6 AF_NETLINK']);
  t.ok(keys.get('WatchdogSec'), 'a watchdog');
  t.same(keys.get('Restart'), ['on-failure']);
});
