// Runs INSIDE the test VM (node test/kernel/run.js): the Debian package (built on the host by
// run.js with packaging/build-deb.js) installed with dpkg into the guest's root, which is this
// machine's / under a tmpfs overlay, so nothing reaches the host. Then, from the installed files
// only: `lvsd --version`, `lvsd -t` on the shipped sample, both man pages through `man -l`,
// `systemd-analyze verify` on the installed unit, lvsd started against the guest kernel's real
// IPVS (a real server of this process's checked over loopback) and stopped; then the package removed and purged, leaving nothing behind.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const deb = process.env.LVSD_KERNEL_DEB;
const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', HOME: '/root' }; // nothing of the project's
const run = promisify(execFile);
const sh = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', env: ENV, timeout: 300_000, ...opts });
const ok = (cmd, args, opts) => {
  console.error(`package.test: ${cmd} ${args.join(' ')}`); // live in the job's stderr: where a slow step is
  const r = sh(cmd, args, opts);
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
};

/** The installed lvsd, run without blocking this process (its HTTP server answers the checks). */
async function lvsd(...args) {
  console.error(`package.test: lvsd ${args.join(' ')}`);
  const r = await run('lvsd', args, { env: ENV, timeout: 300_000 }).catch((e) => e);
  assert.ok(r.code === undefined, `lvsd ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Files of the package, and what it may leave at run time (logs, dpkg's records, unit links). */
function leftovers() {
  const found = [];
  const check = (p) => { try { fs.lstatSync(p); found.push(p); } catch { /* absent */ } };
  for (const p of installed) check(p);
  for (const dir of ['/var/lib/dpkg/info', '/var/log', '/etc/systemd/system/multi-user.target.wants']) {
    for (const f of fs.readdirSync(dir, { withFileTypes: false }).filter((n) => n.startsWith('lvsd'))) found.push(path.join(dir, f));
  }
  return found.sort();
}
/** Every path under /etc, to compare before install and after purge. */
const etcListing = () => execFileSync('find', ['/etc', '-xdev'], { encoding: 'utf8' }).split('\n').sort();

let installed = [];
const CONFIG = '/etc/ha.d/lvsd-package-test.cf';
const VIP = '10.77.0.1';

test('the package installs, runs against real IPVS and purges cleanly', async (t) => {
  assert.ok(deb, process.env.LVSD_KERNEL_DEB_ERROR ?? 'run.js built no package (LVSD_KERNEL_DEB unset)');
  const contents = ok('dpkg-deb', ['--contents', deb]).stdout;
  installed = contents.split('\n').map((l) => l.split(/\s+/)[5]).filter((p) => p && !p.endsWith('/')).map((p) => p.replace(/^\./, ''));
  assert.ok(installed.includes('/usr/sbin/lvsd'), contents);
  // The guest's root is the host's: a log of lvsd's tests run on the host may be there. Gone in
  // the guest's overlay only, so that the purge is seen to remove the log the daemon writes.
  for (const f of fs.readdirSync('/var/log').filter((n) => /^lvsd\.log/.test(n))) fs.rmSync(path.join('/var/log', f));
  // man-db's dpkg trigger would rebuild the whole man index (minutes under emulation); its own
  // switch, as in CI images. Guest only.
  fs.rmSync('/var/lib/man-db/auto-update', { force: true });
  const etcBefore = etcListing();
  const before = leftovers();
  t.diagnostic(`before install: ${before.length} of the package's paths present: ${before.join(' ') || 'none'}`);
  assert.deepEqual(before, [], 'nothing of lvsd before the install');

  await t.test('dpkg -i', () => {
    const r = ok('dpkg', ['-i', deb]);
    t.diagnostic(r.stdout.trim().split('\n').join(' | '));
    assert.equal(sh('dpkg-query', ['-W', '-f=${Status}', 'lvsd']).stdout, 'install ok installed');
    const conffiles = ok('dpkg-query', ['-W', '-f=${Conffiles}', 'lvsd']).stdout;
    assert.match(conffiles, /\/etc\/logrotate\.d\/lvsd [0-9a-f]{32}/);
  });

  await t.test('lvsd --version and lvsd -t on the sample', () => {
    const v = ok('lvsd', ['--version']).stdout;
    const { version } = JSON.parse(fs.readFileSync('/usr/lib/lvsd/package.json', 'utf8'));
    assert.equal(v.trim(), `lvsd ${version} (ldirectord-compatible)`);
    // one sample: every start of node costs tens of seconds under emulation
    ok('lvsd', ['-t', '/usr/share/doc/lvsd/examples/ldirectord.cf']);
  });

  await t.test('man -l on both pages', () => {
    for (const [page, expect] of [['/usr/share/man/man8/lvsd.8.gz', /--foreground/], ['/usr/share/man/man5/lvsd.cf.5.gz', /negotiatetimeout/]]) {
      const r = ok('man', ['--warnings', '-l', page], { env: { ...ENV, MANPAGER: 'cat', MANWIDTH: '80' } });
      assert.match(r.stdout, expect, page);
      assert.equal(r.stderr.trim(), '', `${page}: groff/man warnings`);
    }
  });

  await t.test('systemd-analyze verify on the installed unit', () => {
    const unit = installed.find((p) => p.endsWith('/system/lvsd.service'));
    assert.ok(unit, 'the unit is in the system unit directory');
    const r = sh('systemd-analyze', ['verify', '--man=no', '--generators=no', '--recursive-errors=no', unit]);
    const ours = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.includes('lvsd.service'));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(ours, []);
    assert.match(fs.readFileSync(unit, 'utf8'), /^Documentation=man:lvsd\(8\) man:lvsd\.cf\(5\)$/m);
  });

  await t.test('lvsd from the installed files drives the real IPVS table', async () => {
    const server = http.createServer((_, res) => res.end('OK\n'));
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const port = server.address().port;
    try {
      fs.mkdirSync('/etc/ha.d', { recursive: true });
      fs.writeFileSync(CONFIG, `checktimeout=3\ncheckinterval=1\n\nvirtual=${VIP}:80\n\treal=127.0.0.1:${port} masq\n\tservice=http\n\trequest="/"\n\treceive="OK"\n`, { mode: 0o644 });
      // Not spawnSync: this process must stay free to answer lvsd's checks.
      await lvsd(CONFIG, 'start'); // returns once the first round of checks is in the kernel
      const table = ok('ipvsadm', ['-L', '-n']).stdout;
      t.diagnostic(table);
      assert.match(table, new RegExp(`TCP\\s+${VIP.replace(/\./g, '\\.')}:80 wrr`));
      assert.match(table, new RegExp(`->\\s+127\\.0\\.0\\.1:${port}\\s+Masq\\s+1`));
      // the daemon runs under the command line typed: Pacemaker's ldirectord agent finds it so
      const pgrep = ok('pgrep', ['-f', `/usr/sbin/lvsd ${CONFIG} start`]).stdout.trim().split('\n');
      assert.equal(pgrep.length, 1, `pgrep found ${pgrep.join(' ')}`);
      await lvsd(CONFIG, 'stop');
      assert.doesNotMatch(ok('ipvsadm', ['-L', '-n']).stdout, new RegExp(VIP.replace(/\./g, '\\.')), 'cleanstop removed the service');
      assert.ok(fs.existsSync('/var/log/lvsd.log'), 'the daemon logged to /var/log/lvsd.log');
    } finally {
      await lvsd(CONFIG, 'stop').catch(() => {}); // after a failure: no daemon left behind
      server.close();
      fs.rmSync(CONFIG, { force: true });
    }
  });

  await t.test('dpkg -r keeps only the conffile; dpkg -P leaves nothing behind', () => {
    ok('dpkg', ['-r', 'lvsd']);
    const afterRemove = leftovers();
    t.diagnostic(`after remove: ${afterRemove.join(' ')}`);
    assert.ok(afterRemove.includes('/etc/logrotate.d/lvsd'), 'the conffile stays until purge');
    assert.ok(!afterRemove.includes('/usr/sbin/lvsd'));
    ok('dpkg', ['-P', 'lvsd']);
    const afterPurge = leftovers();
    t.diagnostic(`after purge: ${afterPurge.length} of the package's paths present: ${afterPurge.join(' ') || 'none'}`);
    assert.deepEqual(afterPurge, []);
    assert.notEqual(sh('dpkg-query', ['-W', 'lvsd']).status, 0, 'dpkg forgot the package');
    assert.deepEqual(etcListing(), etcBefore, '/etc as before the install');
  });
});
