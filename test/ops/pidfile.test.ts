// The pid file claim: a live lvsd keeps it, a stale or empty one is taken over, and the claim
// leaves no helper files behind.
import t from 'tap';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { claimPidFile, readPid } from '../../src/daemon/pidfile.js';
import { TempDir } from '../helpers/lvsd.js';

t.test('claim, refuse for a live lvsd, take over stale and empty files', async (t) => {
  const dir = new TempDir();
  t.teardown(() => dir.remove());
  const path = dir.file('lvsd.pid');

  t.ok(claimPidFile(path, process.pid), 'free: claimed');
  t.equal(readFileSync(path, 'utf8'), `${process.pid}\n`);
  t.ok(claimPidFile(path, process.pid), 'claiming again for ourselves is fine');

  // a live process whose command line says lvsd holds it
  const holder = spawn('sh', ['-c', 'sleep 60', 'lvsd-holder'], { stdio: 'ignore' });
  t.teardown(() => void holder.kill());
  await new Promise((r) => holder.once('spawn', r));
  writeFileSync(path, `${holder.pid}\n`);
  t.same(readPid(path), { state: 'running', pid: holder.pid });
  t.notOk(claimPidFile(path, process.pid), 'a live lvsd keeps it');
  t.equal(readFileSync(path, 'utf8'), `${holder.pid}\n`, 'untouched');

  writeFileSync(path, '999999\n');
  t.ok(claimPidFile(path, process.pid), 'a dead pid is stale: taken over');
  t.equal(readFileSync(path, 'utf8'), `${process.pid}\n`);

  writeFileSync(path, '');
  t.ok(claimPidFile(path, process.pid), 'an empty file (a crash while writing) is stale too');
  t.equal(readFileSync(path, 'utf8'), `${process.pid}\n`);
  t.same(readdirSync(dir.path), ['lvsd.pid'], 'no helper files left');
});
