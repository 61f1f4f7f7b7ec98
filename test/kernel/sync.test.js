// Runs INSIDE the test VM (node test/kernel/run.js), against the real kernel, in this file's own
// network namespace, on a dummy interface made here. The IPVS connection sync daemon:
//   - the ipvsadm and netlink drivers start, read and stop it identically to the real ipvsadm
//     (`ipvsadm -L -n --daemon` is the judge) and fail with the same texts;
//   - the real lvsd with each driver: syncinterface= → the kernel's daemon with the right state,
//     interface and syncid; `lvsd role master` switches backup → master; a daemon stopped by hand
//     is started again; a clean stop stops it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dist, ipvsadm, Lvsd } from './lab.js';

const { NetlinkDriver } = await dist('ipvs/netlink.js');
const { IpvsadmDriver } = await dist('ipvs/ipvsadm.js');
const { queryControl } = await dist('status/client.js');

const IF = 'lvsd-s0';
execFileSync('ip', ['link', 'add', IF, 'type', 'dummy']);
execFileSync('ip', ['link', 'set', IF, 'up']);
const daemons = () => ipvsadm('-L', '-n', '--daemon');
const stopAll = () => {
  for (const s of ['master', 'backup']) {
    try {
      execFileSync('/usr/sbin/ipvsadm', ['--stop-daemon', s], { stdio: 'ignore' });
    } catch {
      // "No daemon is running": expected, and kept out of the TAP stream
    }
  }
};
const drivers = () => [['ipvsadm', new IpvsadmDriver({ path: '/usr/sbin/ipvsadm' })], ['netlink', new NetlinkDriver()]];

test('both drivers start, read and stop sync daemons as ipvsadm does', async () => {
  const all = drivers();
  try {
    for (const [name, d] of all) {
      stopAll();
      await d.sync.startDaemon({ state: 'master', ifname: IF, syncid: 7 });
      await d.sync.startDaemon({ state: 'backup', ifname: IF, syncid: 9, group: '239.1.2.3', port: 8849, ttl: 2, maxlen: 1400 });
      assert.equal(daemons(), [
        `master sync daemon (mcast=${IF}, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)`,
        `backup sync daemon (mcast=${IF}, syncid=9, maxlen=1400, group=239.1.2.3, port=8849, ttl=2)`, '',
      ].join('\n'), `${name}: what the kernel runs`);
      for (const [other, r] of all) {
        assert.deepEqual(await r.sync.readDaemons(), [
          { state: 'master', ifname: IF, syncid: 7, maxlen: 1472, group: '224.0.0.81', port: 8848, ttl: 1 },
          { state: 'backup', ifname: IF, syncid: 9, maxlen: 1400, group: '239.1.2.3', port: 8849, ttl: 2 },
        ], `${name} started, ${other} reads`);
      }
      await assert.rejects(d.sync.startDaemon({ state: 'master', ifname: IF, syncid: 7 }), /^IpvsError: Daemon has already run$/, `${name}: twice`);
      await d.sync.stopDaemon('master');
      await assert.rejects(d.sync.stopDaemon('master'), /^IpvsError: No daemon is running$/, `${name}: stopped twice`);
      await assert.rejects(d.sync.startDaemon({ state: 'master', ifname: 'lvsd-nosuch', syncid: 1 }), /^IpvsError: No such device$/, `${name}: no interface`);
      await d.sync.startDaemon({ state: 'master', ifname: IF, syncid: 0, group: 'ff02::1:81' });
      assert.match(daemons(), /^master sync daemon \(mcast=lvsd-s0, syncid=0, maxlen=1452, group=ff02::1:81, port=8848, ttl=1\)$/m, `${name}: an IPv6 group`);
      stopAll();
      assert.deepEqual(await d.sync.readDaemons(), [], `${name}: none`);
    }
  } finally {
    stopAll();
    for (const [, d] of all) await d.close?.();
  }
});

const CONFIG = [
  'checkinterval=1',
  `syncinterface=${IF}`,
  'syncid=42',
  '',
  'virtual=10.0.9.100:80',
  '    real=10.0.9.1:80 masq',
  '    checktype=on',
  '',
].join('\n');

for (const driver of ['ipvsadm', 'netlink']) {
  test(`lvsd (${driver}): directives and role → the kernel's sync daemon, repaired, stopped at a clean stop`, async () => {
    stopAll();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lvsd-sync-'));
    const lvsd = new Lvsd(dir, driver);
    lvsd.writeConfig(CONFIG);
    lvsd.start();
    // the control socket straight (what `lvsd role` sends): a CLI process costs many seconds here
    const control = (line) => queryControl(path.join(dir, 'lvsd.sock'), line, 60_000);
    try {
      const backup = new RegExp(`^backup sync daemon \\(mcast=${IF}, syncid=42, maxlen=1472, group=224\\.0\\.0\\.81, port=8848, ttl=1\\)\\n$`);
      await lvsd.until('a backup daemon (the role is not known yet)', () => backup.test(daemons()), 120_000);
      const status = JSON.parse(await control('status'));
      assert.equal(status.sync.managed, true);
      assert.equal(status.role, 'unknown');

      assert.equal(await control('role master'), 'ok master\n');
      const master = new RegExp(`^master sync daemon \\(mcast=${IF}, syncid=42,[^\\n]*\\)\\n$`);
      await lvsd.until('master instead of backup', () => master.test(daemons()), 120_000);
      await lvsd.until('status shows the kernel daemon', async () => JSON.parse(await control('status')).sync.daemons?.[0]?.state === 'master', 60_000);

      ipvsadm('--stop-daemon', 'master');
      await lvsd.until('the hand-stopped daemon started again (the 10 s repair)', () => master.test(daemons()), 120_000);

      const r = await lvsd.stop();
      assert.equal(r.code, 0);
      assert.equal(daemons(), '', 'a clean stop stops it');
      assert.equal(ipvsadm('-S', '-n'), '', 'and removes the virtual service (cleanstop)');
    } finally {
      await lvsd.stop().catch(() => {});
      stopAll();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
