// The pid file claim: a live lvsd keeps it, a stale or empty one is taken over, and the claim
// leaves no helper files behind.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPidFile, readPid } from '../../src/daemon/pidfile.js';
import { LVSD, TempDir } from '../helpers/lvsd.js';

t.test('claim, refuse for a live lvsd, take over stale and empty files', async (t) => {
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const path = dir.file('lvsd.pid');

  t.ok(claimPidFile(path, process.pid), 'free: claimed');
  t.equal(readFileSync(path, 'utf8'), `${process.pid}\n`);
  t.ok(claimPidFile(path, process.pid), 'claiming again for ourselves is fine');

  // A live process that runs the lvsd program holds it, even under another name: sh's $0 is a
  // link named ldirectord to bin/lvsd.js (as /usr/sbin/ldirectord would be), no "lvsd" in argv.
  const sbin = mkdtempSync(join(tmpdir(), 'sbin-'));
  t.teardown(() => rmSync(sbin, { recursive: true, force: true }));
  const link = join(sbin, 'ldirectord');
  symlinkSync(LVSD, link);
  const holder = spawn('sh', ['-c', 'sleep 60', link], { stdio: 'ignore' });
  t.teardown(() => void holder.kill());
  await new Promise((r) => holder.once('spawn', r));
  t.notMatch(readFileSync(`/proc/${holder.pid}/cmdline`, 'utf8'), /lvsd/, 'no "lvsd" in its command line');
  writeFileSync(path, `${holder.pid}\n`);
  t.same(readPid(path), { state: 'running', pid: holder.pid });
  t.notOk(claimPidFile(path, process.pid), 'a live lvsd keeps it');
  t.equal(readFileSync(path, 'utf8'), `${holder.pid}\n`, 'untouched');

  // A live process that only has the word in its command line is not lvsd.
  const other = spawn('sh', ['-c', 'sleep 60', 'lvsd-holder'], { stdio: 'ignore' });
  t.teardown(() => void other.kill());
  await new Promise((r) => other.once('spawn', r));
  writeFileSync(path, `${other.pid}\n`);
  t.same(readPid(path), { state: 'stale', pid: other.pid }, 'the word "lvsd" alone is no lvsd');

  writeFileSync(path, '999999\n');
  t.ok(claimPidFile(path, process.pid), 'a dead pid is stale: taken over');
  t.equal(readFileSync(path, 'utf8'), `${process.pid}\n`);

  writeFileSync(path, '');
  t.ok(claimPidFile(path, process.pid), 'an empty file (a crash while writing) is stale too');
  t.equal(readFileSync(path, 'utf8'), `${process.pid}\n`);
  t.same(readdirSync(dir.path), ['lvsd.pid'], 'no helper files left');
});
